import { Buffer } from 'node:buffer';
import { EFD_CLOEXEC, EFD_NONBLOCK, EFD_SEMAPHORE, EVENTFD_MAX } from './constants';
import { EAGAIN, EINVAL } from './errno';
import { check, checkWouldBlock, SystemError, unlessWouldBlock } from './system-error';
import { FileDescriptor } from './fd';
import { libc } from './ffi/index';
import { validateBoolean, validateBuffer, validateInteger, validateOptions, validateUint64, UINT32_MAX, UINT64_MAX } from './validate';

/** Options of `new EventFd()`. */
export interface EventFdOptions {
  /** EFD_SEMAPHORE: each read returns 1 and decrements the counter by 1. */
  semaphore?: boolean;
  /** EFD_NONBLOCK (default true): reads and writes fail with EAGAIN instead of blocking. */
  nonBlocking?: boolean;
  /** EFD_CLOEXEC (default true). Turn it off only to hand the fd to a child on purpose. */
  closeOnExec?: boolean;
}

/** Set only while `EventFd.fromFd` constructs: the fd to adopt instead of creating one. */
let adopting: { fd: number; semaphore: boolean } | undefined;

/**
 * An eventfd(2): a 64-bit counter in the kernel. A write adds to it, a read
 * returns it (or 1 with EFD_SEMAPHORE) and resets (or decrements) it. The
 * counter is a `bigint`; writes accept safe-integer Numbers too.
 *
 * @example
 * ```ts
 * import { EventFd } from '@reactor/fds';
 *
 * using counter = new EventFd(); // non-blocking, close-on-exec
 * counter.write(2);
 * counter.write(3);
 * console.log(counter.read()); // 5n: a read takes the whole count
 * console.log(counter.tryRead()); // null: nothing to read (EAGAIN)
 * using semaphore = new EventFd(2, { semaphore: true });
 * console.log(semaphore.read(), semaphore.read(), semaphore.tryRead()); // 1n 1n null
 * ```
 */
export class EventFd extends FileDescriptor {
  /** Whether it was made with EFD_SEMAPHORE (each read takes 1). */
  readonly semaphore: boolean;
  readonly #buf = Buffer.alloc(8);

  /** `initialValue` is an unsigned int, as eventfd(2) takes it. */
  constructor(initialValue: number = 0, options?: EventFdOptions) {
    const initial = validateInteger(initialValue, 'initialValue', 0, UINT32_MAX);
    const opts = validateOptions<EventFdOptions>(options);
    const semaphore = opts.semaphore === undefined ? false : validateBoolean(opts.semaphore, 'options.semaphore');
    const nonBlocking = opts.nonBlocking === undefined ? true : validateBoolean(opts.nonBlocking, 'options.nonBlocking');
    const cloexec = opts.closeOnExec === undefined ? true : validateBoolean(opts.closeOnExec, 'options.closeOnExec');
    const flags = (semaphore ? EFD_SEMAPHORE : 0) | (nonBlocking ? EFD_NONBLOCK : 0) | (cloexec ? EFD_CLOEXEC : 0);
    const adopt = adopting;
    adopting = undefined;
    super(adopt ? adopt.fd : check(libc().eventfd(initial, flags), 'eventfd'), 'eventfd');
    this.semaphore = adopt ? adopt.semaphore : semaphore;
  }

  /**
   * Take ownership of an fd that is an eventfd (for example one inherited
   * from a parent process); `semaphore` records how it was made.
   */
  static fromFd(fd: number, options?: { semaphore?: boolean }): EventFd {
    const opts = validateOptions<{ semaphore?: boolean }>(options);
    const semaphore = opts.semaphore === undefined ? false : validateBoolean(opts.semaphore, 'options.semaphore');
    adopting = { fd: validateInteger(fd, 'fd', 0, 0x7fffffff), semaphore };
    try {
      return new EventFd(0);
    } finally {
      adopting = undefined;
    }
  }

  /**
   * Read the counter (or 1, in semaphore mode). Throws a SystemError with
   * code EAGAIN when the counter is 0 and the fd is non-blocking.
   */
  read(): bigint {
    return unlessWouldBlock(this.tryRead(), 'read', { fd: this.fd });
  }

  /** Like `read()`, but returns null instead of throwing on EAGAIN (no exception on the hot path). */
  tryRead(): bigint | null {
    const fd = this.use('read');
    const r = libc().read(fd, this.#buf, 8);
    if (checkWouldBlock(r, 'read', { fd }) === null) return null;
    return this.#buf.readBigUInt64LE(0);
  }

  /**
   * read(2) into a caller's buffer, passed to the kernel as it is: a buffer of
   * fewer than 8 bytes fails with EINVAL, as the man page says.
   */
  readInto(buffer: Uint8Array): bigint {
    const buf = validateBuffer(buffer, 'buffer');
    const fd = this.use('read');
    // The kernel's answer, given here: Node's readSync (the ffi-rs data path)
    // returns 0 for an empty buffer without asking the kernel, so a short
    // buffer would not fail the way the man page says.
    if (buf.length < 8) throw new SystemError('read', EINVAL, { fd });
    const r = libc().read(fd, buf, buf.length);
    check(r, 'read', { fd });
    return buf.readBigUInt64LE(0);
  }

  /**
   * Add `value` to the counter. A value of 2^64-1 is refused by the kernel
   * (EINVAL); a write that would take the counter past 2^64-2 fails with
   * EAGAIN on a non-blocking fd (and blocks otherwise).
   */
  write(value: number | bigint = 1): void {
    if (!this.tryWrite(value)) throw new SystemError('write', EAGAIN, { fd: this.fd });
  }

  /** Like `write()`, but returns false instead of throwing on EAGAIN. */
  tryWrite(value: number | bigint = 1): boolean {
    const v = validateUint64(value, 'value', UINT64_MAX);
    const fd = this.use('write');
    this.#buf.writeBigUInt64LE(v, 0);
    const r = libc().write(fd, this.#buf, 8);
    if (checkWouldBlock(r, 'write', { fd }) === null) return false;
    return true;
  }
}

export { EVENTFD_MAX };
