import { Buffer } from 'node:buffer';
import { clockNow, Socket, SystemError, type FdToSend, type SocketAddress, InvalidArgTypeError } from '@reactor/fds';
import { describeValue } from '@reactor/fds/internal';
import { SystemdError } from './errors';
import { envFrom, type EnvOptions } from './env';

const EAGAIN = 11;

/**
 * The address in NOTIFY_SOCKET, as sd_notify(3) reads it: an absolute path,
 * or '@name' for the abstract namespace. undefined when the variable is unset
 * or empty (not running under a service manager that listens). 'vsock:'
 * addresses (systemd in a VM host) are refused with ERR_REACTOR_NOTIFY_SOCKET.
 */
export function notifyAddress(env: NodeJS.ProcessEnv = process.env): SocketAddress | undefined {
  if (env === null || typeof env !== 'object') throw new InvalidArgTypeError(`env must be an object; got ${describeValue(env)}`);
  const value: unknown = env.NOTIFY_SOCKET;
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.includes('\0')) {
    throw new SystemdError('ERR_REACTOR_NOTIFY_SOCKET', `NOTIFY_SOCKET must be an absolute path or an '@' abstract name; got ${describeValue(value)}`);
  }
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
  /**
   * FDSTORE=1: keep the fds sent with this message (`notify(state, { fds })`)
   * in the service manager's fd store (FileDescriptorStoreMax= in the unit);
   * a restarted service gets them back through LISTEN_FDS, named by FDNAME.
   */
  fdStore?: boolean;
  /** FDSTOREREMOVE=1: drop the stored fds named `fdName`. */
  fdStoreRemove?: boolean;
  /** FDNAME=: the name of the fds stored (or removed); LISTEN_FDNAMES carries it back. */
  fdName?: string;
  /** Other assignments, sent as KEY=value (keys upper case, as systemd's are). */
  extra?: Record<string, string | number>;
}

function invalid(message: string): SystemdError {
  return new SystemdError('ERR_REACTOR_NOTIFY_STATE', message);
}

function assignment(key: string, value: unknown, name: string): string {
  if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
    throw invalid(`${name} must be a string or a finite number; got ${describeValue(value)}`);
  }
  const text = String(value);
  if (text.includes('\n') || text.includes('\0')) throw invalid(`${name} must be one line without NUL; got ${JSON.stringify(text)}`);
  return `${key}=${text}`;
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) throw invalid(`${name} must be a positive integer; got ${describeValue(value)}`);
  return value;
}

function flag(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw invalid(`${name} must be a boolean; got ${describeValue(value)}`);
  return value;
}

/** The datagram text of `state`: one KEY=value per line, in the order systemd documents them. */
export function formatNotifyState(state: NotifyState): string {
  if (state === null || typeof state !== 'object' || Array.isArray(state)) throw invalid(`state must be an object or a string; got ${describeValue(state)}`);
  const lines: string[] = [];
  if (flag(state.reloading, 'state.reloading')) lines.push('RELOADING=1', `MONOTONIC_USEC=${clockNow('monotonic') / 1000n}`);
  if (flag(state.ready, 'state.ready')) lines.push('READY=1');
  if (flag(state.stopping, 'state.stopping')) lines.push('STOPPING=1');
  if (state.status !== undefined) {
    if (typeof state.status !== 'string') throw invalid(`state.status must be a string; got ${describeValue(state.status)}`);
    lines.push(assignment('STATUS', state.status, 'state.status'));
  }
  if (state.mainPid !== undefined) lines.push(`MAINPID=${positiveInteger(state.mainPid, 'state.mainPid')}`);
  if (state.errno !== undefined) lines.push(`ERRNO=${positiveInteger(state.errno, 'state.errno')}`);
  if (flag(state.watchdog, 'state.watchdog')) lines.push('WATCHDOG=1');
  if (flag(state.fdStore, 'state.fdStore')) lines.push('FDSTORE=1');
  if (flag(state.fdStoreRemove, 'state.fdStoreRemove')) lines.push('FDSTOREREMOVE=1');
  if (state.fdName !== undefined) {
    // As systemd's fdname_is_valid: printable ASCII without ':' (the LISTEN_FDNAMES separator), at most 255.
    if (typeof state.fdName !== 'string' || !/^[\x21-\x39\x3b-\x7e]{1,255}$/.test(state.fdName)) {
      throw invalid(`state.fdName must be 1-255 printable ASCII characters without ':' or spaces; got ${describeValue(state.fdName)}`);
    }
    lines.push(`FDNAME=${state.fdName}`);
  }
  const extra: unknown = state.extra;
  if (extra !== undefined) {
    if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) throw invalid(`state.extra must be an object; got ${describeValue(extra)}`);
    for (const [key, value] of Object.entries(extra)) {
      if (!/^[A-Z][A-Z0-9_]*$/.test(key)) throw invalid(`state.extra keys must be upper-case identifiers; got ${JSON.stringify(key)}`);
      lines.push(assignment(key, value, `state.extra.${key}`));
    }
  }
  if (lines.length === 0) throw invalid('state names nothing to send');
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
   * that is gone gives ECONNREFUSED or ENOENT. `fds` go with the message
   * (SCM_RIGHTS), for FDSTORE=1; the caller keeps its own copies.
   */
  send(state: string | NotifyState, fds?: readonly FdToSend[]): void {
    const text = typeof state === 'string' ? state : formatNotifyState(state);
    if (text.length === 0) throw invalid('state must be a non-empty string or an object');
    if (fds !== undefined && typeof state === 'object' && state.fdStore !== true) {
      throw invalid('fds are sent to the service manager only with state.fdStore (FDSTORE=1); it closes any others');
    }
    const data = Buffer.from(text, 'utf8');
    const sent = fds === undefined ? this.#socket.sendTo(data, this.address) : this.#socket.sendToWithFds(data, this.address, fds);
    if (sent === null) {
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

/** Options of `notify()`. */
export interface NotifyOptions extends EnvOptions {
  /** Fds to send with the message (sd_pid_notify_with_fds), for `fdStore`. */
  fds?: readonly FdToSend[];
}

/**
 * sd_notify(3): send `state` to the service manager at NOTIFY_SOCKET. Returns
 * false, doing nothing, when NOTIFY_SOCKET is unset (not started by a manager
 * that listens), true once sent. With `unsetEnvironment`, NOTIFY_SOCKET is
 * removed from the environment afterwards, as sd_notify(unset_environment=1).
 */
export function notify(state: string | NotifyState, options?: NotifyOptions): boolean {
  const { opts, env } = envFrom<NotifyOptions>(options);
  try {
    const address = notifyAddress(env);
    if (address === undefined) return false;
    using notifier = new Notifier(address);
    notifier.send(state, opts.fds);
    return true;
  } finally {
    if (opts.unsetEnvironment === true) delete env.NOTIFY_SOCKET;
  }
}
