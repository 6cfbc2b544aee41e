import { constants as osConstants } from 'node:os';
import { InvalidArgTypeError } from './errors';

/**
 * errno values, positive as the kernel defines them (the FFI layer returns
 * them negated). Taken from Node's table for this platform, so each has its
 * kernel name and one definition. Compare with `r === -EAGAIN`.
 */
const errno = osConstants.errno;

/** Interrupted by a signal before anything happened. */
export const EINTR = errno.EINTR;
/** Non-blocking fd: the call would have to wait. */
export const EAGAIN = errno.EAGAIN;
/** No such file, or (epoll_ctl) the fd is not in the set. */
export const ENOENT = errno.ENOENT;
/** Invalid argument. */
export const EINVAL = errno.EINVAL;
/** Not an open fd. */
export const EBADF = errno.EBADF;
/** No child to wait for (already reaped by someone else). */
export const ECHILD = errno.ECHILD;
/** Out of kernel memory. */
export const ENOMEM = errno.ENOMEM;
/** The system-wide limit of open files. */
export const ENFILE = errno.ENFILE;
/** The process's limit of open fds. */
export const EMFILE = errno.EMFILE;
/** No space left (epoll: the max_user_watches limit). */
export const ENOSPC = errno.ENOSPC;
/** Protocol error (accept: a connection failed before it was taken). */
export const EPROTO = errno.EPROTO;
/** The address is already in use. */
export const EADDRINUSE = errno.EADDRINUSE;
/** accept: the connection was aborted before it was taken. */
export const ECONNABORTED = errno.ECONNABORTED;
/** No buffer space available. */
export const ENOBUFS = errno.ENOBUFS;
/** Timed out (connect, an idle connection). */
export const ETIMEDOUT = errno.ETIMEDOUT;
/** Nobody listens there. */
export const ECONNREFUSED = errno.ECONNREFUSED;
/** timerfd: the wall clock was set (TFD_TIMER_CANCEL_ON_SET). */
export const ECANCELED = errno.ECANCELED;
/** connect: the connection goes on asynchronously. */
export const EINPROGRESS = errno.EINPROGRESS;

/** errno number → name ('EAGAIN' …), from Node's own table. */
const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(errno)) {
  if (!errnoNames.has(value)) errnoNames.set(value, name);
}
// EWOULDBLOCK shares EAGAIN's number; EAGAIN is the name the man pages use.
errnoNames.set(EAGAIN, 'EAGAIN');

/** The kernel name of a positive errno ('EAGAIN'), or `E<n>` when unknown. */
export function errnoName(value: number): string {
  if (typeof value !== 'number') throw new InvalidArgTypeError(`errno must be a number; got ${typeof value}`);
  return errnoNames.get(value) ?? `E${value}`;
}

/** A positive errno number for a name ('EAGAIN' → 11). */
export function errnoNumber(name: string): number | undefined {
  return (errno as Record<string, number>)[name];
}
