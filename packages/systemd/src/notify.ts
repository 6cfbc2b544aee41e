import { clockNow, Socket, SystemError, type SocketAddress } from '@reactor/fds';
import { SystemdError } from './errors';
import type { EnvOptions } from './env';

const EAGAIN = 11;

/**
 * The address in NOTIFY_SOCKET, as sd_notify(3) reads it: an absolute path,
 * or '@name' for the abstract namespace. undefined when the variable is unset
 * or empty (not running under a service manager that listens). 'vsock:'
 * addresses (systemd in a VM host) are refused with ERR_REACTOR_NOTIFY_SOCKET.
 */
export function notifyAddress(env: NodeJS.ProcessEnv = process.env): SocketAddress | undefined {
  const value = env.NOTIFY_SOCKET;
  if (value === undefined || value === '') return undefined;
  if (value.startsWith('/')) return { family: 'unix', path: value };
  if (value.startsWith('@') && value.length > 1) return { family: 'unix', path: value.slice(1), abstract: true };
  throw new SystemdError('ERR_REACTOR_NOTIFY_SOCKET', `NOTIFY_SOCKET must be an absolute path or an '@' abstract name; got ${JSON.stringify(value)}`);
}

/** A notify message as fields; `notify()` also takes the text itself ('READY=1\nSTATUS=…'). */
export interface NotifyState {
  /** READY=1: start-up (or a reload) is finished. */
  ready?: boolean;
  /** RELOADING=1, sent with MONOTONIC_USEC (the reload's start on CLOCK_MONOTONIC), as Type=notify-reload requires. */
  reloading?: boolean;
  /** STOPPING=1: shutting down. */
  stopping?: boolean;
  /** STATUS=: one line for `systemctl status`. */
  status?: string;
  /** MAINPID=: the service's main process is now this pid (a hand-over to a new process). */
  mainPid?: number;
  /** WATCHDOG=1: a keep-alive ping. */
  watchdog?: boolean;
  /** ERRNO=: why the service failed, as an errno number. */
  errno?: number;
  /** Other assignments, sent as KEY=value (keys upper case, as systemd's are). */
  extra?: Record<string, string | number>;
}

function assignment(key: string, value: string | number): string {
  const text = String(value);
  if (text.includes('\n')) throw new SystemdError('ERR_REACTOR_NOTIFY_STATE', `${key} must be one line; got ${JSON.stringify(text)}`);
  return `${key}=${text}`;
}

function positiveInteger(value: unknown, key: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new SystemdError('ERR_REACTOR_NOTIFY_STATE', `${key} must be a positive integer; got ${String(value)}`);
  }
  return value;
}

/** The datagram text of `state`: one KEY=value per line, in the order systemd documents them. */
export function formatNotifyState(state: NotifyState): string {
  if (state === null || typeof state !== 'object') throw new SystemdError('ERR_REACTOR_NOTIFY_STATE', 'state must be an object or a string');
  const lines: string[] = [];
  if (state.reloading) {
    lines.push('RELOADING=1', `MONOTONIC_USEC=${clockNow('monotonic') / 1000n}`);
  }
  if (state.ready) lines.push('READY=1');
  if (state.stopping) lines.push('STOPPING=1');
  if (state.status !== undefined) lines.push(assignment('STATUS', state.status));
  if (state.mainPid !== undefined) lines.push(`MAINPID=${positiveInteger(state.mainPid, 'MAINPID')}`);
  if (state.errno !== undefined) lines.push(`ERRNO=${positiveInteger(state.errno, 'ERRNO')}`);
  if (state.watchdog) lines.push('WATCHDOG=1');
  for (const [key, value] of Object.entries(state.extra ?? {})) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(key)) throw new SystemdError('ERR_REACTOR_NOTIFY_STATE', `extra keys must be upper-case identifiers; got ${JSON.stringify(key)}`);
    lines.push(assignment(key, value));
  }
  if (lines.length === 0) throw new SystemdError('ERR_REACTOR_NOTIFY_STATE', 'state names nothing to send');
  return lines.join('\n');
}

/**
 * A datagram socket to the service manager, kept open for repeated messages
 * (the watchdog pings). Each `send()` is one datagram; the manager learns
 * the sender's pid from the kernel (SO_PASSCRED on its side), not from the text.
 */
export class Notifier implements Disposable {
  /** Where the messages go. */
  readonly address: SocketAddress;
  readonly #socket: Socket;

  constructor(address: SocketAddress) {
    this.address = address;
    this.#socket = Socket.create('unix-dgram');
  }

  /**
   * Send `state` now. The socket is non-blocking: a manager whose queue is
   * full gives EAGAIN (a SystemError) rather than stalling the loop; a manager
   * that is gone gives ECONNREFUSED or ENOENT.
   */
  send(state: string | NotifyState): void {
    const text = typeof state === 'string' ? state : formatNotifyState(state);
    if (typeof text !== 'string' || text.length === 0) throw new SystemdError('ERR_REACTOR_NOTIFY_STATE', 'state must be a non-empty string or an object');
    if (this.#socket.sendTo(Buffer.from(text, 'utf8'), this.address) === null) {
      throw new SystemError('sendto', EAGAIN, this.address.family === 'unix' ? { path: this.address.path } : {});
    }
  }

  /** Close the socket. */
  close(): void {
    this.#socket.close();
  }

  /** `close()`, for `using` declarations. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * sd_notify(3): send `state` to the service manager at NOTIFY_SOCKET. Returns
 * false, doing nothing, when NOTIFY_SOCKET is unset (not started by a manager
 * that listens), true once sent. With `unsetEnvironment`, NOTIFY_SOCKET is
 * removed from the environment afterwards, as sd_notify(unset_environment=1).
 */
export function notify(state: string | NotifyState, options: EnvOptions = {}): boolean {
  const env = options.env ?? process.env;
  try {
    const address = notifyAddress(env);
    if (address === undefined) return false;
    using notifier = new Notifier(address);
    notifier.send(state);
    return true;
  } finally {
    if (options.unsetEnvironment) delete env.NOTIFY_SOCKET;
  }
}
