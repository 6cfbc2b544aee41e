import { getpid } from '@reactor/fds';

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

/** A decimal unsigned integer as systemd writes it (no sign, no spaces, no exponent), or undefined. */
export function parseUnsigned(text: string): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}
