import { createFfiRsLibc } from './ffi-rs';
import { createKoffiLibc } from './koffi';
import type { BindingName, Libc } from './types';
import { describeValue } from '../validate';
import { EINTR } from '../errno';
import { InvalidArgTypeError, InvalidStateError, OutOfRangeError } from '../errors';

export type { BindingName, Libc } from './types';

const BINDINGS: readonly BindingName[] = ['ffi-rs', 'koffi'];
let active: Libc | undefined;
let chosen: BindingName | undefined;

/**
 * The C library could not be loaded: this is not Linux, or its C library is
 * not glibc (Alpine's musl has no `libc.so.6`), or the FFI library has no
 * binary for this platform. Thrown by the first call that needs the kernel;
 * `cause` holds what the FFI library said.
 */
export class UnsupportedPlatformError extends Error {
  /** A permanent code to test for. */
  readonly code = 'ERR_REACTOR_UNSUPPORTED_PLATFORM';

  /** `binding` is the FFI library that tried; `cause` what it threw (or why it was not tried). */
  constructor(binding: BindingName, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `@reactor/fds needs Linux with glibc (x64 or arm64); loading libc.so.6 through ${binding} failed on ` +
        `${process.platform}-${process.arch}${libcFamily()}: ${reason}`,
      { cause },
    );
    this.name = 'UnsupportedPlatformError';
  }
}

/** ' (musl)' / ' (glibc 2.36)' as Node's diagnostic report tells it, for the message only. */
function libcFamily(): string {
  if (process.platform !== 'linux') return '';
  try {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    if (header === undefined) return '';
    return header.glibcVersionRuntime === undefined ? ' (not glibc: musl?)' : ` (glibc ${header.glibcVersionRuntime})`;
  } catch {
    return '';
  }
}

/** The binding's calls into libc.so.6, or UnsupportedPlatformError instead of the FFI library's own error. */
function openLibc(name: BindingName): Libc {
  if (process.platform !== 'linux') throw new UnsupportedPlatformError(name, `${process.platform} is not Linux`);
  try {
    return name === 'koffi' ? createKoffiLibc() : createFfiRsLibc();
  } catch (error) {
    throw new UnsupportedPlatformError(name, error);
  }
}

function isBindingName(value: unknown): value is BindingName {
  return typeof value === 'string' && (BINDINGS as readonly string[]).includes(value);
}

/** The binding named by `REACTOR_FFI` (`ffi-rs`, the default, or `koffi`). */
export function bindingFromEnv(env: NodeJS.ProcessEnv = process.env): BindingName {
  const value = env.REACTOR_FFI;
  if (value === undefined || value === '') return 'ffi-rs';
  if (!isBindingName(value)) throw new OutOfRangeError(`REACTOR_FFI must be one of ${BINDINGS.join(', ')}; got ${describeValue(value)}`);
  return value;
}

/**
 * Choose the FFI binding before the first fd is made (later calls that name
 * another binding throw: fds made through one binding stay with it).
 */
export function useBinding(name: BindingName): void {
  if (!isBindingName(name)) throw new InvalidArgTypeError(`binding must be one of ${BINDINGS.join(', ')}; got ${describeValue(name)}`);
  if (active !== undefined && active.name !== name) {
    throw new InvalidStateError(`the ${active.name} binding is already in use; choose the binding before making any fd`);
  }
  chosen = name;
}

/** The name of the binding in use (or that will be used). */
export function bindingName(): BindingName {
  return active?.name ?? chosen ?? bindingFromEnv();
}

/** The libc of the chosen binding, loaded on first use (UnsupportedPlatformError when it cannot be). */
export function libc(): Libc {
  if (active === undefined) {
    const name = chosen ?? bindingFromEnv();
    active = withEintrRetry(openLibc(name));
  }
  return active;
}

/**
 * Calls that signal(7) lists as safe to restart after EINTR are retried here,
 * once, for every binding. connect() is not: after EINTR the connection goes
 * on asynchronously, and close() must never be retried on Linux.
 */
function withEintrRetry(raw: Libc): Libc {
  const { read, write, readv, writev, accept4, send, recvfrom, sendto, waitid, sendmsg, recvmsg } = raw;
  // A function literal each, not closures of one factory: V8 shares call
  // feedback among the closures of one literal, so a factory's call of `f`
  // would be one megamorphic site for every call of every wrapper.
  return {
    ...raw,
    read: (fd, buf, length) => {
      let r: number;
      while ((r = read(fd, buf, length)) === -EINTR);
      return r;
    },
    write: (fd, buf, length) => {
      let r: number;
      while ((r = write(fd, buf, length)) === -EINTR);
      return r;
    },
    readv: (fd, bufs) => {
      let r: number;
      while ((r = readv(fd, bufs)) === -EINTR);
      return r;
    },
    writev: (fd, bufs) => {
      let r: number;
      while ((r = writev(fd, bufs)) === -EINTR);
      return r;
    },
    accept4: (fd, addr, addrlen, flags) => {
      let r: number;
      while ((r = accept4(fd, addr, addrlen, flags)) === -EINTR);
      return r;
    },
    send: (fd, buf, length, flags) => {
      let r: number;
      while ((r = send(fd, buf, length, flags)) === -EINTR);
      return r;
    },
    recvfrom: (fd, buf, length, flags, addr, addrlen) => {
      let r: number;
      while ((r = recvfrom(fd, buf, length, flags, addr, addrlen)) === -EINTR);
      return r;
    },
    sendto: (fd, buf, length, flags, addr, addrlen) => {
      let r: number;
      while ((r = sendto(fd, buf, length, flags, addr, addrlen)) === -EINTR);
      return r;
    },
    waitid: (idtype, id, infop, options) => {
      let r: number;
      while ((r = waitid(idtype, id, infop, options)) === -EINTR);
      return r;
    },
    sendmsg: (fd, msg, flags) => {
      let r: number;
      while ((r = sendmsg(fd, msg, flags)) === -EINTR);
      return r;
    },
    recvmsg: (fd, msg, flags) => {
      let r: number;
      while ((r = recvmsg(fd, msg, flags)) === -EINTR);
      return r;
    },
  };
}
