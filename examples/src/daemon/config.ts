/**
 * The daemon's config file: read at start and again on SIGHUP. Every field is
 * checked; a bad file is refused as a whole (the caller keeps the config it
 * had), so a typo during a reload never half-applies.
 */
import { readFileSync } from 'node:fs';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface DaemonConfig {
  logLevel: LogLevel;
  /** Period of the heartbeat log line (a loop timer, on the loop's timerfd). */
  heartbeatMs: number;
  /** How long SIGTERM waits for connections to finish before closing them. */
  drainTimeoutMs: number;
  /** Keep-alive connections idle this long are closed (0: never). */
  idleTimeoutMs: number;
  worker: {
    /** How often the worker thread hashes a batch. */
    intervalMs: number;
    /** SHA-256 rounds per batch (the work). */
    hashRounds: number;
  };
  child: {
    /** How often the supervised prober checks /healthz. */
    probeIntervalMs: number;
    /** Restart back-off: first delay, doubled per quick death up to the max. */
    restartMinMs: number;
    restartMaxMs: number;
  };
}

export const DEFAULT_CONFIG: DaemonConfig = {
  logLevel: 'info',
  heartbeatMs: 10_000,
  drainTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
  worker: { intervalMs: 1_000, hashRounds: 20_000 },
  child: { probeIntervalMs: 2_000, restartMinMs: 100, restartMaxMs: 5_000 },
};

/** A config file that cannot be used, with the reason. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly path: string, reason: string) {
    super(`${path}: ${reason}`);
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function int(obj: Json, key: string, where: string, fallback: number, min: number, max: number): number {
  const value = obj[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${where}${key} must be an integer in [${min}, ${max}]; got ${JSON.stringify(value)}`);
  }
  return value;
}

function section(obj: Json, key: string): Json {
  const value = obj[key];
  if (value === undefined) return {};
  if (!isObject(value)) throw new Error(`${key} must be an object`);
  return value;
}

/** Check a parsed JSON value; missing fields take the defaults, unknown ones are refused (typos). */
export function parseConfig(value: unknown): DaemonConfig {
  if (!isObject(value)) throw new Error('the config must be a JSON object');
  const known = new Set(['logLevel', 'heartbeatMs', 'drainTimeoutMs', 'idleTimeoutMs', 'worker', 'child']);
  // Quoted: an empty or blank key (a typo too) must still show in the message.
  for (const key of Object.keys(value)) if (!known.has(key)) throw new Error(`unknown field ${JSON.stringify(key)}`);
  const level = value.logLevel ?? DEFAULT_CONFIG.logLevel;
  if (typeof level !== 'string' || !(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`logLevel must be one of ${LOG_LEVELS.join(', ')}; got ${JSON.stringify(level)}`);
  }
  const worker = section(value, 'worker');
  const child = section(value, 'child');
  const d = DEFAULT_CONFIG;
  const config: DaemonConfig = {
    logLevel: level as LogLevel,
    heartbeatMs: int(value, 'heartbeatMs', '', d.heartbeatMs, 10, 86_400_000),
    drainTimeoutMs: int(value, 'drainTimeoutMs', '', d.drainTimeoutMs, 0, 600_000),
    idleTimeoutMs: int(value, 'idleTimeoutMs', '', d.idleTimeoutMs, 0, 86_400_000),
    worker: {
      intervalMs: int(worker, 'intervalMs', 'worker.', d.worker.intervalMs, 1, 3_600_000),
      hashRounds: int(worker, 'hashRounds', 'worker.', d.worker.hashRounds, 1, 10_000_000),
    },
    child: {
      probeIntervalMs: int(child, 'probeIntervalMs', 'child.', d.child.probeIntervalMs, 10, 3_600_000),
      restartMinMs: int(child, 'restartMinMs', 'child.', d.child.restartMinMs, 1, 3_600_000),
      restartMaxMs: int(child, 'restartMaxMs', 'child.', d.child.restartMaxMs, 1, 3_600_000),
    },
  };
  if (config.child.restartMaxMs < config.child.restartMinMs) throw new Error('child.restartMaxMs must be >= child.restartMinMs');
  return config;
}

/** Read and check the file; a ConfigError says which file and why. */
export function loadConfig(path: string): DaemonConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, (error as Error).message);
  }
  try {
    return parseConfig(JSON.parse(text));
  } catch (error) {
    throw new ConfigError(path, (error as Error).message);
  }
}
