import { Buffer } from 'node:buffer';
import {
  CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_REALTIME_ALARM,
  TFD_CLOEXEC, TFD_NONBLOCK, TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET,
} from './constants';
import { check, checkWouldBlock, unlessWouldBlock } from './system-error';
import { FileDescriptor } from './fd';
import { libc } from './ffi/index';
import { describeValue, validateBoolean, validateInteger, validateNonNegative, validateOptions, validateUint64, UINT64_MAX } from './validate';
import { InvalidArgTypeError, OutOfRangeError } from './errors';

/** The clocks timerfd_create(2) accepts, by name. */
export type TimerClockName = 'monotonic' | 'realtime' | 'boottime' | 'realtime-alarm' | 'boottime-alarm';
/** Further clocks clock_gettime(2) can read (they cannot drive a timerfd). */
export type ClockName = TimerClockName | 'process-cputime' | 'thread-cputime' | 'monotonic-raw' | 'realtime-coarse' | 'monotonic-coarse' | 'tai';
/** A clock name, or a raw clockid_t (the kernel decides whether it is valid). */
export type Clock = ClockName | number;

const TIMER_CLOCKS: Readonly<Record<TimerClockName, number>> = {
  monotonic: CLOCK_MONOTONIC,
  realtime: CLOCK_REALTIME,
  boottime: CLOCK_BOOTTIME,
  'realtime-alarm': CLOCK_REALTIME_ALARM,
  'boottime-alarm': CLOCK_BOOTTIME_ALARM,
};

const CLOCKS: Readonly<Record<ClockName, number>> = {
  ...TIMER_CLOCKS,
  'process-cputime': 2,
  'thread-cputime': 3,
  'monotonic-raw': 4,
  'realtime-coarse': 5,
  'monotonic-coarse': 6,
  tai: 11,
};

const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/**
 * A clock name or clockid_t as a number. Numbers may be negative: dynamic
 * clocks (a process's CPU clock, a PTP device) are encoded that way.
 */
function resolveClock(clock: unknown, name: string, table: Readonly<Record<string, number>>): number {
  if (typeof clock === 'string') {
    if (!hasOwn(table, clock)) throw new OutOfRangeError(`${name} must be one of ${Object.keys(table).join(', ')} or a clockid number; got ${describeValue(clock)}`);
    return table[clock]!;
  }
  if (typeof clock === 'number') return validateInteger(clock, name, -0x80000000, 0x7fffffff);
  throw new InvalidArgTypeError(`${name} must be a clock name or a clockid number; got ${describeValue(clock)}`);
}

/** The clockid_t of a clock name (a number is checked and returned as it is). */
export function clockId(clock: Clock): number {
  return resolveClock(clock, 'clock', CLOCKS);
}

const NS_PER_SEC = 1_000_000_000n;
const nowBuf = Buffer.alloc(16);

/** clock_gettime(2) in nanoseconds. */
export function clockNow(clock: Clock = 'monotonic'): bigint {
  const id = clockId(clock);
  check(libc().clock_gettime(id, nowBuf), 'clock_gettime');
  return nowBuf.readBigInt64LE(0) * NS_PER_SEC + nowBuf.readBigInt64LE(8);
}

/** Options of `new TimerFd()`. */
export interface TimerFdOptions {
  /** TFD_NONBLOCK (default true): read() fails with EAGAIN instead of blocking. */
  nonBlocking?: boolean;
  /** TFD_CLOEXEC (default true). */
  closeOnExec?: boolean;
}

/** An arming of a timerfd, for `TimerFd.set()` (times in ns). */
export interface TimerSpec {
  /**
   * First expiration: a delay, or with `absolute` a time on the timer's clock
   * (as `clockNow()` reports it). 0 disarms the timer, as timerfd_settime(2) says.
   */
  initialNs: bigint | number;
  /** Period of the later expirations; 0 (the default) means one-shot. */
  intervalNs?: bigint | number;
  /** TFD_TIMER_ABSTIME: `initialNs` is a deadline, not a delay. */
  absolute?: boolean;
  /**
   * TFD_TIMER_CANCEL_ON_SET: read() fails with ECANCELED when the wall clock
   * is set. Only meaningful for an absolute timer on a realtime clock; the
   * kernel silently ignores it otherwise, so it is refused here instead.
   */
  cancelOnSet?: boolean;
}

/** A timer's setting as timerfd_gettime(2) reports it. */
export interface TimerSetting {
  /** Time to the next expiration (relative, even for absolute timers); 0 when disarmed. */
  remainingNs: bigint;
  /** The period; 0 for a one-shot timer. */
  intervalNs: bigint;
}

/** struct itimerspec: it_interval {tv_sec, tv_nsec}, it_value {tv_sec, tv_nsec}, each an int64. */
const ITIMERSPEC_SIZE = 32;

/** Milliseconds (finite, >= 0, fractions allowed) to nanoseconds, rounded up so a tiny delay is not 0 (disarm). */
function msToNs(ms: unknown, name: string): bigint {
  const value = validateNonNegative(ms, name);
  const whole = Math.floor(value);
  const ns = BigInt(whole) * 1_000_000n + BigInt(Math.ceil((value - whole) * 1e6));
  if (ns > UINT64_MAX) throw new OutOfRangeError(`${name} is too large (over 2^64-1 ns); got ${value}`);
  return ns;
}

/**
 * A timerfd (timerfd_create(2)): a timer the kernel keeps on one clock, whose
 * fd becomes readable when it expires; read() returns how many expirations
 * happened since the last read. Times are bigint nanoseconds.
 *
 * @example
 * ```ts
 * import { setTimeout as sleep } from 'node:timers/promises';
 * import { TimerFd } from '@reactor/fds';
 *
 * using timer = new TimerFd('monotonic'); // non-blocking: put it in an epoll set (or a Reactor) to wait
 * timer.setMs(10, 10); // first expiration in 10 ms, then every 10 ms
 * console.log(timer.tryRead()); // null: not expired yet
 * await sleep(55);
 * console.log(timer.read() >= 4n); // true: one read returns every expiration since the last
 * timer.disarm();
 * ```
 */
export class TimerFd extends FileDescriptor {
  /** The clockid_t the timer follows. */
  readonly clockId: number;
  // Preallocated so arming, reading and querying allocate no Buffers.
  readonly #new = Buffer.alloc(ITIMERSPEC_SIZE);
  readonly #old = Buffer.alloc(ITIMERSPEC_SIZE);
  readonly #count = Buffer.alloc(8);

  constructor(clock: TimerClockName | number = 'monotonic', options?: TimerFdOptions) {
    const id = resolveClock(clock, 'clock', TIMER_CLOCKS);
    const opts = validateOptions<TimerFdOptions>(options);
    const nonBlocking = opts.nonBlocking === undefined ? true : validateBoolean(opts.nonBlocking, 'options.nonBlocking');
    const cloexec = opts.closeOnExec === undefined ? true : validateBoolean(opts.closeOnExec, 'options.closeOnExec');
    const flags = (nonBlocking ? TFD_NONBLOCK : 0) | (cloexec ? TFD_CLOEXEC : 0);
    super(check(libc().timerfd_create(id, flags), 'timerfd_create'), 'timerfd');
    this.clockId = id;
  }

  /**
   * Arm (or, with `initialNs` 0, disarm) the timer; returns the previous
   * setting. The kernel resets the expiration count: expirations not yet
   * read are lost and the fd is no longer readable.
   */
  set(spec: TimerSpec): TimerSetting {
    if (spec === null || typeof spec !== 'object') throw new InvalidArgTypeError(`spec must be an object; got ${describeValue(spec)}`);
    const initial = validateUint64(spec.initialNs, 'spec.initialNs');
    const interval = spec.intervalNs === undefined ? 0n : validateUint64(spec.intervalNs, 'spec.intervalNs');
    const absolute = spec.absolute === undefined ? false : validateBoolean(spec.absolute, 'spec.absolute');
    const cancelOnSet = spec.cancelOnSet === undefined ? false : validateBoolean(spec.cancelOnSet, 'spec.cancelOnSet');
    if (cancelOnSet) {
      if (!absolute) throw new OutOfRangeError('spec.cancelOnSet requires spec.absolute (TFD_TIMER_CANCEL_ON_SET needs TFD_TIMER_ABSTIME)');
      if (this.clockId !== CLOCK_REALTIME && this.clockId !== CLOCK_REALTIME_ALARM) {
        throw new OutOfRangeError('spec.cancelOnSet requires a realtime clock (realtime or realtime-alarm)');
      }
    }
    const flags = (absolute ? TFD_TIMER_ABSTIME : 0) | (cancelOnSet ? TFD_TIMER_CANCEL_ON_SET : 0);
    return this.#settime(flags, initial, interval);
  }

  /** `set()` in milliseconds (fractions allowed), relative to now. */
  setMs(initialMs: number, intervalMs = 0): TimerSetting {
    return this.#settime(0, msToNs(initialMs, 'initialMs'), msToNs(intervalMs, 'intervalMs'));
  }

  /** Stop the timer; returns the previous setting. Like every set(), it drops expirations not yet read. */
  disarm(): TimerSetting {
    return this.#settime(0, 0n, 0n);
  }

  /** The current setting (timerfd_gettime(2)). */
  get(): TimerSetting {
    const fd = this.use('timerfd_gettime');
    const r = libc().timerfd_gettime(fd, this.#old);
    check(r, 'timerfd_gettime', { fd });
    return decodeItimerspec(this.#old);
  }

  /**
   * The number of expirations since the last read. Throws a SystemError
   * EAGAIN when none happened (non-blocking fd), and ECANCELED when the wall
   * clock was set under a `cancelOnSet` timer.
   */
  read(): bigint {
    return unlessWouldBlock(this.tryRead(), 'read', { fd: this.fd });
  }

  /** Like `read()`, but null instead of EAGAIN (no exception on the hot path); ECANCELED still throws. */
  tryRead(): bigint | null {
    const fd = this.use('read');
    const r = libc().read(fd, this.#count, 8);
    if (checkWouldBlock(r, 'read', { fd }) === null) return null;
    return this.#count.readBigUInt64LE(0);
  }

  #settime(flags: number, initial: bigint, interval: bigint): TimerSetting {
    const fd = this.use('timerfd_settime');
    const b = this.#new;
    // tv_sec is signed, but 2^64-1 ns is only ~584 years of seconds: it always fits.
    b.writeBigInt64LE(interval / NS_PER_SEC, 0);
    b.writeBigInt64LE(interval % NS_PER_SEC, 8);
    b.writeBigInt64LE(initial / NS_PER_SEC, 16);
    b.writeBigInt64LE(initial % NS_PER_SEC, 24);
    const r = libc().timerfd_settime(fd, flags, b, this.#old);
    check(r, 'timerfd_settime', { fd });
    return decodeItimerspec(this.#old);
  }
}

function decodeItimerspec(b: Buffer): TimerSetting {
  return {
    intervalNs: b.readBigInt64LE(0) * NS_PER_SEC + b.readBigInt64LE(8),
    remainingNs: b.readBigInt64LE(16) * NS_PER_SEC + b.readBigInt64LE(24),
  };
}
