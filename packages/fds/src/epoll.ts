import { Buffer } from 'node:buffer';
import {
  EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPOLL_EVENT_SIZE,
  EPOLLERR, EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP, EPOLLIN, EPOLLONESHOT, EPOLLOUT, EPOLLPRI, EPOLLRDHUP, EPOLLWAKEUP,
} from './constants';
import { EINTR } from './errno';
import { check } from './system-error';
import { FileDescriptor } from './fd';
import { libc } from './ffi/index';
import { describeValue, validateFdNumber, validateInteger, validateOptions, INT32_MAX } from './validate';
import { InvalidArgTypeError, OutOfRangeError } from './errors';

/** Every bit epoll_ctl accepts in `events`. */
const KNOWN_EVENTS = (EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLRDHUP | EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLONESHOT | EPOLLET) >>> 0;
/** epoll_data is a u64 at offset 4 (packed, x86-64) or 8 (arm64). */
const DATA_OFFSET = EPOLL_EVENT_SIZE === 12 ? 4 : 8;
const MAX_TOKEN = Number.MAX_SAFE_INTEGER;

/** Options of `new Epoll()`. */
export interface EpollOptions {
  /** How many events one `wait()` can return (the size of the reused buffer). Default 1024. */
  maxEvents?: number;
}

/** Something that has an fd: a number or an object with `fd` (any FileDescriptor). */
export type FdLike =
  | number
  | {
      /** The fd number. */
      readonly fd: number;
    };

function fdOf(target: FdLike, name = 'fd'): number {
  if (typeof target === 'object' && target !== null) return validateFdNumber(target.fd, `${name}.fd`);
  return validateFdNumber(target, name);
}

/**
 * An epoll instance (epoll(7)). Interest bits are the kernel's (`EPOLLIN |
 * EPOLLET` …); each registration carries a `token` (a safe integer, the fd by
 * default) that comes back with its events.
 *
 * `wait()` fills one buffer that is reused for every call, and the results
 * are read with `eventsAt(i)` / `tokenAt(i)`, so waiting allocates nothing
 * per event. The results are valid until the next `wait()`.
 *
 * @example
 * ```ts
 * import { Epoll, EPOLLIN, EventFd } from '@reactor/fds';
 *
 * using epoll = new Epoll();
 * using efd = new EventFd();
 * epoll.add(efd, EPOLLIN, 42); // the token 42 comes back with the fd's events
 * efd.write(1);
 * const ready = epoll.wait(0); // 0: poll; -1 would block this thread until an event
 * for (let i = 0; i < ready; i++) {
 *   console.log(`token ${epoll.tokenAt(i)}, readable: ${(epoll.eventsAt(i) & EPOLLIN) !== 0}`);
 * }
 * ```
 */
export class Epoll extends FileDescriptor {
  /** How many events one `wait()` can return at most. */
  readonly maxEvents: number;
  readonly #buffer: Buffer;
  /**
   * The same bytes as 32-bit words, for reading results: every field of
   * struct epoll_event sits at a multiple of 4 (x86-64 packs it to 12 bytes,
   * arm64 pads it to 16), both are little-endian, and an indexed load is
   * cheaper than Buffer#readUInt32LE's checked JavaScript on every event.
   */
  readonly #words: Uint32Array;
  readonly #ctl = Buffer.alloc(EPOLL_EVENT_SIZE);
  #count = 0;

  constructor(options?: EpollOptions) {
    const opts = validateOptions<EpollOptions>(options);
    const maxEvents = opts.maxEvents === undefined ? 1024 : validateInteger(opts.maxEvents, 'options.maxEvents', 1, 65536);
    super(check(libc().epoll_create1(EPOLL_CLOEXEC), 'epoll_create1'), 'epoll');
    this.maxEvents = maxEvents;
    this.#buffer = Buffer.alloc(maxEvents * EPOLL_EVENT_SIZE);
    this.#words = new Uint32Array(this.#buffer.buffer, this.#buffer.byteOffset, this.#buffer.length >>> 2);
  }

  /** Watch `target` for `events`; EEXIST if it is already in this set. */
  add(target: FdLike, events: number, token?: number): void {
    this.#ctl_(EPOLL_CTL_ADD, 'epoll_ctl', target, events, token);
  }

  /** Change the interest (and token) of a watched fd; ENOENT if not in the set. */
  modify(target: FdLike, events: number, token?: number): void {
    if ((events & EPOLLEXCLUSIVE) !== 0) throw new OutOfRangeError('events: EPOLLEXCLUSIVE is only allowed when adding (epoll_ctl EINVAL)');
    this.#ctl_(EPOLL_CTL_MOD, 'epoll_ctl', target, events, token);
  }

  /** Stop watching; ENOENT if not in the set. */
  delete(target: FdLike): void {
    const epfd = this.use('epoll_ctl');
    const fd = fdOf(target);
    const r = libc().epoll_ctl(epfd, EPOLL_CTL_DEL, fd, this.#ctl);
    check(r, 'epoll_ctl', { fd });
  }

  #ctl_(op: number, syscall: string, target: FdLike, events: number, token: number | undefined): void {
    const epfd = this.use(syscall);
    const fd = fdOf(target);
    validateInteger(events, 'events', -0x80000000, 0xffffffff);
    if (((events >>> 0) & ~KNOWN_EVENTS) !== 0) {
      throw new OutOfRangeError(`events has unknown bits: 0x${((events >>> 0) & ~KNOWN_EVENTS).toString(16)}`);
    }
    const data = token === undefined ? fd : validateInteger(token, 'token', 0, MAX_TOKEN);
    const ev = this.#ctl;
    ev.writeUInt32LE(events >>> 0, 0);
    ev.writeUInt32LE(data % 0x100000000, DATA_OFFSET);
    ev.writeUInt32LE(Math.floor(data / 0x100000000), DATA_OFFSET + 4);
    const r = libc().epoll_ctl(epfd, op, fd, ev);
    check(r, syscall, { fd });
  }

  /**
   * Wait up to `timeoutMs` (-1: forever, 0: poll) and return how many events
   * are ready. EINTR returns 0, as CPython's selectors do.
   * Blocking waits block the calling thread: never call with a timeout other
   * than 0 on Node's main thread unless you mean to stop its loop.
   */
  wait(timeoutMs = -1, maxEvents = this.maxEvents): number {
    const epfd = this.use('epoll_wait');
    // The checked values are passed on (validateInteger turns -0 into 0).
    const timeout = validateInteger(timeoutMs, 'timeoutMs', -1, INT32_MAX);
    const max = validateInteger(maxEvents, 'maxEvents', 1, this.maxEvents);
    const r = libc().epoll_wait(epfd, this.#buffer, max, timeout);
    if (r < 0) {
      this.#count = 0;
      if (r === -EINTR) return 0;
      check(r, 'epoll_wait', { fd: epfd });
    }
    this.#count = r;
    return r;
  }

  /** The number of events the last `wait()` returned. */
  get count(): number {
    return this.#count;
  }

  /** The event bits of result `i` of the last `wait()`. */
  eventsAt(i: number): number {
    return this.#words[this.#offset(i) >>> 2]!;
  }

  /** The token of result `i` of the last `wait()`. */
  tokenAt(i: number): number {
    const w = (this.#offset(i) + DATA_OFFSET) >>> 2;
    const words = this.#words;
    return words[w]! + words[w + 1]! * 0x100000000;
  }

  #offset(i: number): number {
    // typeof first: a Symbol (or an object with a throwing valueOf) must not throw from the comparison.
    if (typeof i !== 'number') throw new InvalidArgTypeError(`event index must be a number; got ${describeValue(i)}`);
    if (!(i >= 0 && i < this.#count && Number.isInteger(i))) throw new OutOfRangeError(`event index must be an integer in [0, ${this.#count}); got ${i}`);
    return i * EPOLL_EVENT_SIZE;
  }

  /** The results of the last `wait()` as `[token, events]` pairs (allocates; for convenience). */
  *[Symbol.iterator](): IterableIterator<[token: number, events: number]> {
    for (let i = 0; i < this.#count; i++) yield [this.tokenAt(i), this.eventsAt(i)];
  }
}
