import { F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, O_NONBLOCK } from './constants';
import { SystemError } from './system-error';
import { libc } from './ffi/index';
import { validateFdNumber } from './validate';

/**
 * Make an fd this process did not create behave like the ones it did:
 * close-on-exec (an fd inherited through exec is not) and non-blocking.
 * O_NONBLOCK belongs to the open file, so a process sharing it (the one
 * that passed it) sees the change too; every event loop that adopts a
 * socket does the same (sd-event, libuv).
 */
export function adoptFlags(fd: number): void {
  setCloseOnExec(fd);
  const fileFlags = fcntl(fd, F_GETFL, 0);
  if ((fileFlags & O_NONBLOCK) === 0) fcntl(fd, F_SETFL, fileFlags | O_NONBLOCK);
}

/** Set FD_CLOEXEC on `fd` (and nothing else), as sd_listen_fds(3) does for the fds it hands out. */
export function setCloseOnExec(fd: number): void {
  validateFdNumber(fd);
  const flags = fcntl(fd, F_GETFD, 0);
  if ((flags & FD_CLOEXEC) === 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

function fcntl(fd: number, cmd: number, arg: number): number {
  const r = libc().fcntl(fd, cmd, arg);
  if (r < 0) throw new SystemError('fcntl', -r, { fd });
  return r;
}
