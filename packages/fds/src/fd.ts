import { EINTR } from './errno';
import { ClosedFdError } from './errors';
import { check } from './system-error';
import { libc } from './ffi/index';
import { F_GETFD, FD_CLOEXEC, F_GETFL, O_NONBLOCK } from './constants';
import { validateFdNumber } from './validate';

/**
 * An owned file descriptor: closed exactly once (`close()` is idempotent),
 * disposable with `using`, and refusing use after close with a clear error
 * instead of touching a number the kernel may have handed to someone else.
 */
export class FileDescriptor implements Disposable {
  #fd: number;
  readonly #kind: string;

  /** Take ownership of `fd`; it will be closed by `close()`. */
  constructor(fd: number, kind = 'fd') {
    this.#fd = validateFdNumber(fd);
    this.#kind = kind;
  }

  /** The fd number; throws once closed (a closed number may already be reused). */
  get fd(): number {
    if (this.#fd < 0) throw new ClosedFdError(this.#kind, 'fd');
    return this.#fd;
  }

  /** Whether `close()` has run. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /** The fd for `operation`, or a ClosedFdError naming it. */
  protected use(operation: string): number {
    const fd = this.#fd;
    if (fd < 0) throw new ClosedFdError(this.#kind, operation);
    return fd;
  }

  /**
   * Close the fd once; later calls do nothing. Linux releases the fd even when
   * close(2) reports an error, so the object is closed either way, and the
   * error (EIO, …) is still thrown.
   */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    const r = libc().close(fd);
    // EINTR: the fd is gone all the same (close(2) must never be retried on Linux).
    if (r !== -EINTR) check(r, 'close', { fd });
  }

  /** Give up ownership: the caller now owns the returned number. */
  release(): number {
    const fd = this.use('release');
    this.#fd = -1;
    return fd;
  }

  /** `close()`, for `using` declarations. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Whether FD_CLOEXEC is set (it is for every fd this package makes). */
  get closeOnExec(): boolean {
    return (checkFcntl(this.use('fcntl'), F_GETFD) & FD_CLOEXEC) !== 0;
  }

  /** Whether O_NONBLOCK is set. */
  get nonBlocking(): boolean {
    return (checkFcntl(this.use('fcntl'), F_GETFL) & O_NONBLOCK) !== 0;
  }

  toString(): string {
    return `${this.#kind}(${this.#fd < 0 ? 'closed' : this.#fd})`;
  }
}

function checkFcntl(fd: number, cmd: number): number {
  const r = libc().fcntl(fd, cmd, 0);
  check(r, 'fcntl', { fd });
  return r;
}

/**
 * Close a raw fd number this code made but has not wrapped yet (on an error
 * path); a failing close is ignored, a negative number does nothing. Anything
 * but an integer is a TypeError/RangeError: a string or a fraction reached
 * close(2) through the FFI as it was (and fd 0.5 is no fd to guess at).
 */
export function closeQuietly(fd: number): void {
  if (typeof fd === 'number' && fd < 0) return;
  libc().close(validateFdNumber(fd));
}
