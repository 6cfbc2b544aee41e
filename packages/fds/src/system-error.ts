import { getSystemErrorMap } from 'node:util';
import { EAGAIN, errnoName } from './errno';

const systemErrorMap = getSystemErrorMap();

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

/** The choke point for results of the FFI layer: `-errno` becomes a SystemError. */
export function check(result: number, syscall: string, details?: SystemErrorDetails): number {
  if (result < 0) throw new SystemError(syscall, -result, details);
  return result;
}

/**
 * The same for calls on non-blocking fds: EAGAIN (nothing to read, no room
 * to write) is an answer, not a failure, and comes back as null so that the
 * hot path throws nothing.
 */
export function checkWouldBlock(result: number, syscall: string, details?: SystemErrorDetails): number | null {
  if (result === -EAGAIN) return null;
  if (result < 0) throw new SystemError(syscall, -result, details);
  return result;
}

/** `value`, or the EAGAIN SystemError that a read throws when a non-blocking fd had nothing (the `try…` variants return null). */
export function unlessWouldBlock<T>(value: T | null, syscall: string, details?: SystemErrorDetails): T {
  if (value === null) throw new SystemError(syscall, EAGAIN, details);
  return value;
}
