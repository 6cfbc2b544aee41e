import { hostname } from 'node:os';
import { InvalidArgTypeError, OutOfRangeError } from '@reactor/fds';

/** One level method, as pino's: fields and a message, or a message alone. */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

/**
 * What the reactor logs through: any object with pino's six level methods —
 * a pino logger, a bunyan one, or a small adapter of your own. When it has
 * `child()`, each loop logs through `logger.child({ component: 'reactor' })`;
 * without one, `component` is added to the fields of each line.
 *
 * The loop logs its life at `debug`, paused accepts at `warn`, and handler
 * exceptions (with `onError: 'log'`) at `error`.
 */
export interface ReactorLogger {
  /** Level 60. */
  fatal: LogFn;
  /** Level 50: handler exceptions under `onError: 'log'`. */
  error: LogFn;
  /** Level 40: the loop keeps going but something needs a look (accepts paused on EMFILE). */
  warn: LogFn;
  /** Level 30. */
  info: LogFn;
  /** Level 20: the loop's life (created, running, stopped, closed). */
  debug: LogFn;
  /** Level 10. */
  trace: LogFn;
  /** A logger that adds `bindings` to every line (pino's and bunyan's `child`). */
  child?(bindings: Record<string, unknown>): ReactorLogger;
}

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
type LevelName = keyof typeof LEVELS;
const LEVEL_NAMES = Object.keys(LEVELS) as LevelName[];

const noop = (): void => {};

/** `logger: false`: every line is dropped, nothing is formatted. */
export const silentLogger: ReactorLogger = {
  fatal: noop, error: noop, warn: noop, info: noop, debug: noop, trace: noop,
  child: () => silentLogger,
};

/** The threshold of the default logger: REACTOR_LOG_LEVEL (a level name or 'silent'), default 'info'. */
function thresholdFromEnv(env: NodeJS.ProcessEnv): number {
  const value = env.REACTOR_LOG_LEVEL;
  if (value === undefined || value === '') return LEVELS.info;
  if (value === 'silent') return Infinity;
  if (!(LEVEL_NAMES as string[]).includes(value)) {
    throw Object.assign(
      new OutOfRangeError(`REACTOR_LOG_LEVEL must be one of ${LEVEL_NAMES.join(', ')}, silent; got ${JSON.stringify(value)}`),
      { code: 'ERR_OUT_OF_RANGE' },
    );
  }
  return LEVELS[value as LevelName];
}

/** An Error as pino's standard serializer writes it: type, message, stack and its own fields (code, errno …). */
function serializeError(error: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { type: error.name, message: error.message, stack: error.stack };
  for (const key of Object.keys(error)) out[key] = (error as unknown as Record<string, unknown>)[key];
  if (error.cause !== undefined) out.cause = error.cause instanceof Error ? serializeError(error.cause) : error.cause;
  return out;
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return serializeError(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * The logger loops use when given none: one JSON object a line on stderr, in
 * pino's format (level number, time, pid, hostname, fields, msg), so the lines
 * read like those of a pino logger the program passes in. It is a few lines
 * of code rather than pino itself, so that the package needs no logging
 * dependency. stderr, because stdout belongs to the program; written
 * synchronously (Node writes stderr synchronously on Linux for files, TTYs
 * and pipes), so a handler error logged just before exit is not lost.
 */
function createStderrLogger(threshold: number, bindings: Record<string, unknown>): ReactorLogger {
  const base = { pid: process.pid, hostname: hostname() };
  const method = (level: LevelName): LogFn => {
    if (LEVELS[level] < threshold) return noop;
    return (fieldsOrMessage: object | string, message?: string): void => {
      const fields = typeof fieldsOrMessage === 'string' ? {} : fieldsOrMessage;
      const msg = typeof fieldsOrMessage === 'string' ? fieldsOrMessage : message;
      const record = { level: LEVELS[level], time: Date.now(), ...base, ...bindings, ...fields, msg };
      let line: string;
      try {
        line = JSON.stringify(record, replacer);
      } catch {
        // A field that cannot be written as JSON (a cycle) costs the fields, not the line.
        line = JSON.stringify({ level: LEVELS[level], time: record.time, ...base, ...bindings, msg }, replacer);
      }
      process.stderr.write(`${line}\n`);
    };
  };
  return {
    fatal: method('fatal'), error: method('error'), warn: method('warn'),
    info: method('info'), debug: method('debug'), trace: method('trace'),
    child: (more) => createStderrLogger(threshold, { ...bindings, ...more }),
  };
}

let defaultLogger: ReactorLogger | undefined;

/** The logger loops use unless given one (see createStderrLogger), made on first use. */
export function getDefaultLogger(): ReactorLogger {
  defaultLogger ??= createStderrLogger(thresholdFromEnv(process.env), {});
  return defaultLogger;
}

/** `logger` with `bindings` added to the fields of each line, for loggers without `child()`. */
function withBindings(logger: ReactorLogger, bindings: Record<string, unknown>): ReactorLogger {
  const method = (level: LevelName): LogFn => (fieldsOrMessage: object | string, message?: string) => {
    if (typeof fieldsOrMessage === 'string') logger[level]({ ...bindings }, fieldsOrMessage);
    else logger[level]({ ...bindings, ...fieldsOrMessage }, message);
  };
  return {
    fatal: method('fatal'), error: method('error'), warn: method('warn'),
    info: method('info'), debug: method('debug'), trace: method('trace'),
    child: (more) => withBindings(logger, { ...bindings, ...more }),
  };
}

/**
 * The logger a component logs through: `option` (a logger, `false` for none,
 * undefined for the default) narrowed to `{ component }`.
 */
export function componentLogger(option: unknown, component: string): ReactorLogger {
  if (option === false) return silentLogger;
  const root = option === undefined ? getDefaultLogger() : option;
  if (root === null || typeof root !== 'object' || LEVEL_NAMES.some((level) => typeof (root as Record<string, unknown>)[level] !== 'function')) {
    throw Object.assign(
      new InvalidArgTypeError(`options.logger must be false or an object with the methods ${LEVEL_NAMES.join(', ')}; got ${root === null ? 'null' : typeof root}`),
      { code: 'ERR_INVALID_ARG_TYPE' },
    );
  }
  const logger = root as ReactorLogger;
  return typeof logger.child === 'function' ? logger.child({ component }) : withBindings(logger, { component });
}
