import { constants as osConstants } from 'node:os';
import { getSystemErrorMap } from 'node:util';

/** errno number → name ('EAGAIN' …), from Node's own table. */
const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(osConstants.errno)) {
  if (!errnoNames.has(value)) errnoNames.set(value, name);
}
// EWOULDBLOCK shares EAGAIN's number; EAGAIN is the name the man pages use.
errnoNames.set(osConstants.errno.EAGAIN, 'EAGAIN');

const systemErrorMap = getSystemErrorMap();

/** The kernel name of a positive errno ('EAGAIN'), or `E<n>` when unknown. */
export function errnoName(errno: number): string {
  if (typeof errno !== 'number') throw new TypeError(`errno must be a number; got ${typeof errno}`);
  return errnoNames.get(errno) ?? `E${errno}`;
}

/** A positive errno number for a name ('EAGAIN' → 11). */
export function errnoNumber(name: string): number | undefined {
  return (osConstants.errno as Record<string, number>)[name];
}

/** What a failed call was working on, for the error message and fields. */
export interface SystemErrorDetails {
  /** The fd the call was made on. */
  fd?: number;
  /** The filesystem path involved (a Unix socket's). */
  path?: string;
  /** The IP address involved. */
  address?: string;
  /** The port involved. */
  port?: number;
}

/**
 * A failed system call, shaped like Node's own `SystemError`s:
 * `code` ('EAGAIN'), `errno` (negative, as Node reports it), `syscall`, and
 * the fd, path or address involved where that helps.
 */
export class SystemError extends Error {
  /** The errno name, as Node spells it ('EAGAIN', 'ECONNREFUSED'). */
  readonly code: string;
  /** The errno number, negative as Node reports it (-11 for EAGAIN). */
  readonly errno: number;
  /** The system call that failed ('epoll_ctl', 'connect'). */
  readonly syscall: string;
  /** The fd the call was made on, when known. */
  readonly fd?: number;
  /** The filesystem path involved, when there is one. */
  readonly path?: string;
  /** The IP address involved, when there is one. */
  readonly address?: string;
  /** The port involved, when there is one. */
  readonly port?: number;

  constructor(syscall: string, errno: number, details: SystemErrorDetails = {}) {
    const positive = Math.abs(errno);
    const code = errnoName(positive);
    const description = systemErrorMap.get(-positive)?.[1] ?? 'unknown error';
    let where = '';
    if (details.path !== undefined) where = ` ${details.path}`;
    else if (details.address !== undefined) where = details.port !== undefined ? ` ${details.address}:${details.port}` : ` ${details.address}`;
    else if (details.fd !== undefined) where = ` (fd ${details.fd})`;
    super(`${syscall} ${code}: ${description}${where}`);
    this.name = 'SystemError';
    this.code = code;
    this.errno = -positive;
    this.syscall = syscall;
    if (details.fd !== undefined) this.fd = details.fd;
    if (details.path !== undefined) this.path = details.path;
    if (details.address !== undefined) this.address = details.address;
    if (details.port !== undefined) this.port = details.port;
  }
}

/** Use of an fd that this process already closed through its owner. */
export class ClosedFdError extends Error {
  /** A permanent code to test for. */
  readonly code = 'ERR_FD_CLOSED';
  constructor(what: string, operation: string) {
    super(`${operation}: ${what} is closed`);
    this.name = 'ClosedFdError';
  }
}

/** The choke point for results of the FFI layer: `-errno` becomes a SystemError. */
export function check(result: number, syscall: string, details?: SystemErrorDetails): number {
  if (result < 0) throw new SystemError(syscall, -result, details);
  return result;
}

/**
 * A received message carried more fds than the buffer had room for
 * (MSG_CTRUNC): the kernel dropped the rest, so the message is unusable; the
 * fds that did arrive were closed before this was thrown.
 */
export class FdsTruncatedError extends Error {
  /** A permanent code to test for. */
  readonly code = 'ERR_REACTOR_FDS_TRUNCATED';
  /** How many fds arrived (and were closed). */
  readonly received: number;

  constructor(fd: number, received: number, maxFds: number) {
    super(`recvmsg (fd ${fd}): the message carried more than ${maxFds} fds; the ${received} that arrived were closed`);
    this.name = 'FdsTruncatedError';
    this.received = received;
  }
}

/**
 * An fd made elsewhere (inherited, received) is not the kind of socket it
 * was taken as. A TypeError, as Node's ERR_INVALID_ARG_TYPE is: the value is
 * of the wrong kind; the message starts with the argument's name.
 */
export class SocketKindError extends TypeError {
  /** A permanent code to test for. */
  readonly code = 'ERR_REACTOR_SOCKET_KIND';
  /** The fd checked. */
  readonly fd: number;
  /** What it had to be ('a listening stream socket' …). */
  readonly expected: string;
  /** What it is ('udp4', 'tcp4, listening', 'not a socket' …). */
  readonly actual: string;

  /** `name` is the argument that carried the fd ('fd', 'options.fd'). */
  constructor(fd: number, expected: string, actual: string, name = 'fd') {
    super(`${name} must be ${expected}; fd ${fd} is ${actual}`);
    this.name = 'SocketKindError';
    this.fd = fd;
    this.expected = expected;
    this.actual = actual;
  }
}
