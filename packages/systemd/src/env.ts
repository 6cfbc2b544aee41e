import { getpid, InvalidArgTypeError } from '@reactor/fds';
import { describeValue, validateOptions } from '@reactor/fds/internal';

/** Where the systemd variables are read from; tests and supervisors pass their own. */
export interface EnvOptions {
  /** The environment to read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Remove the variables read from `env` afterwards, so that child processes do not inherit them (default false). */
  unsetEnvironment?: boolean;
}

/** The process id the *_PID variables are compared with: getpid(2). */
export function ownPid(): number {
  return getpid();
}

/** The options and the environment they name, both checked (a TypeError naming the argument otherwise). */
export function envFrom<T extends EnvOptions>(options: unknown): { opts: Partial<T>; env: NodeJS.ProcessEnv } {
  const opts = validateOptions<T>(options);
  const env: unknown = opts.env ?? process.env;
  if (env === null || typeof env !== 'object') throw new InvalidArgTypeError(`options.env must be an object; got ${describeValue(env)}`);
  return { opts, env: env as NodeJS.ProcessEnv };
}

/** A decimal unsigned integer as systemd writes it (no sign, no spaces, no exponent), or undefined. */
export function parseUnsigned(text: unknown): number | undefined {
  if (typeof text !== 'string' || !/^[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}
