import { performance } from 'node:perf_hooks';
import { clockNow, EPOLLIN, SystemError, TimerFd, validateFunction, validateNonNegative } from '@reactor/fds';
import { TimerHeap, type HeapEntry } from './timer-heap';
import type { Dispatchable, LoopCore } from './source';

/**
 * Which clock a timer follows. `monotonic` (the default) never jumps and stops
 * while the machine is suspended; `boottime` keeps counting during suspend;
 * `realtime` is wall-clock time: `at()` deadlines on it follow clock changes.
 */
export type TimerClock = 'monotonic' | 'realtime' | 'boottime';

/** Called when the timer fires, with the timer (cancel it from inside to stop an interval). */
export type TimerCallback = (timer: Timer) => void;

/** Options of `Reactor.after()`, `every()` and `at()`. */
export interface TimerOptions {
  /** The clock the deadline runs on (default 'monotonic'; 'boottime' counts suspend). */
  clock?: TimerClock;
  /** Whether the pending timer keeps the loop alive (default true). */
  ref?: boolean;
}

const ECANCELED = 125;

/**
 * A scheduled callback. Cancel it, refresh it (same delay, from now), or
 * unref it so that it does not keep the loop alive.
 */
export class Timer implements HeapEntry {
  /** @internal when it fires, on its clock, in ms */
  deadline = 0;
  /** @internal order among timers with the same deadline */
  seq = 0;
  /** @internal position in the timer heap (-1: not scheduled) */
  heapIndex = -1;
  /** The delay (ms) that `refresh()` re-applies; 0 for `at()` timers. */
  readonly delayMs: number;
  /** The repeat interval (ms); 0 for one-shot timers. */
  readonly intervalMs: number;
  readonly #queue: TimerQueue;
  readonly #callback: TimerCallback;
  #ref: boolean;

  /** @internal made by `Reactor.after/every/at` */
  constructor(queue: TimerQueue, callback: TimerCallback, delayMs: number, intervalMs: number, ref: boolean) {
    this.#queue = queue;
    this.#callback = callback;
    this.delayMs = delayMs;
    this.intervalMs = intervalMs;
    this.#ref = ref;
  }

  /** Whether the timer is scheduled. */
  get pending(): boolean {
    return this.heapIndex >= 0;
  }

  /** The clock the timer runs on. */
  get clock(): TimerClock {
    return this.#queue.clock;
  }

  /** Unschedule; idempotent. */
  cancel(): void {
    this.#queue.cancel(this);
  }

  /** Reschedule `delayMs` from now (restarting a cancelled or fired timer too). */
  refresh(): this {
    this.#queue.schedule(this, this.#queue.now() + this.delayMs);
    return this;
  }

  /** Keep the loop alive while the timer is pending (the default). */
  ref(): this {
    if (!this.#ref) {
      this.#ref = true;
      if (this.pending) this.#queue.core.addRefs(1);
    }
    return this;
  }

  /** Do not keep the loop alive for this timer. */
  unref(): this {
    if (this.#ref) {
      this.#ref = false;
      if (this.pending) this.#queue.core.addRefs(-1);
    }
    return this;
  }

  /** Whether the timer keeps the loop alive. */
  hasRef(): boolean {
    return this.#ref;
  }

  /** @internal */
  fire(): void {
    this.#callback(this);
  }
}

/**
 * All timers of one clock on one timerfd: a heap of deadlines, and the fd
 * armed for the earliest only (re-armed when the earliest changes), so a
 * million timers cost one fd and one settime per change of the head.
 */
export class TimerQueue implements Dispatchable {
  readonly core: LoopCore;
  readonly clock: TimerClock;
  readonly #heap = new TimerHeap<Timer>();
  #timerfd: TimerFd | undefined;
  #token = 0;
  #armed = Number.NaN;
  #seq = 0;
  #dirty = false;

  constructor(core: LoopCore, clock: TimerClock) {
    this.core = core;
    this.clock = clock;
  }

  get size(): number {
    return this.#heap.size;
  }

  /** Milliseconds on this queue's clock (monotonic: Node's hrtime base, which is CLOCK_MONOTONIC). */
  now(): number {
    if (this.clock === 'monotonic') return performance.now();
    return Number(clockNow(this.clock)) / 1e6;
  }

  create(callback: TimerCallback, delayMs: number, intervalMs: number, deadline: number, options: TimerOptions): Timer {
    validateFunction(callback, 'callback');
    const timer = new Timer(this, callback, delayMs, intervalMs, options.ref !== false);
    this.schedule(timer, deadline);
    return timer;
  }

  schedule(timer: Timer, deadline: number): void {
    if (this.core.closed) throw new Error('the reactor is closed');
    const wasPending = timer.pending;
    timer.deadline = deadline;
    timer.seq = this.#seq++;
    if (wasPending) this.#heap.update(timer);
    else {
      this.#heap.push(timer);
      if (timer.hasRef()) this.core.addRefs(1);
    }
    this.#changed();
  }

  cancel(timer: Timer): void {
    if (!timer.pending) return;
    this.#heap.remove(timer);
    if (timer.hasRef()) this.core.addRefs(-1);
    this.#changed();
  }

  #changed(): void {
    if (!this.#dirty) {
      this.#dirty = true;
      this.core.requestTurn();
    }
  }

  /** Arm the timerfd for the earliest deadline, if that changed. Called before each wait. */
  flush(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    const head = this.#heap.peek();
    if (head === undefined) {
      // An armed timerfd with no timers only costs a spurious wake; leave it.
      return;
    }
    if (head.deadline === this.#armed) return;
    const fd = this.#ensureFd();
    if (this.clock === 'monotonic') {
      // Relative arming: never early, because the deadline was computed from
      // the same clock and the delay is rounded up to the next nanosecond.
      const delayNs = Math.max(1, Math.ceil((head.deadline - performance.now()) * 1e6));
      fd.set({ initialNs: BigInt(delayNs) });
    } else {
      const deadlineNs = BigInt(Math.ceil(head.deadline * 1e6));
      fd.set({ initialNs: deadlineNs > 0n ? deadlineNs : 1n, absolute: true, cancelOnSet: this.clock === 'realtime' });
    }
    this.#armed = head.deadline;
  }

  #ensureFd(): TimerFd {
    if (this.#timerfd === undefined) {
      this.#timerfd = new TimerFd(this.clock);
      this.#token = this.core.register(this.#timerfd.fd, EPOLLIN, this);
    }
    return this.#timerfd;
  }

  dispatch(): void {
    const fd = this.#timerfd;
    if (fd === undefined) return;
    try {
      fd.tryRead();
    } catch (error) {
      // TFD_TIMER_CANCEL_ON_SET: the wall clock was set; deadlines are re-checked below.
      if (!(error instanceof SystemError && error.errno === -ECANCELED)) throw error;
    }
    this.#armed = Number.NaN;
    this.#dirty = true;
    this.runDue();
  }

  /** Fire every timer that was due when this batch started, in deadline order. */
  runDue(): void {
    const now = this.now();
    const limitSeq = this.#seq;
    const heap = this.#heap;
    const core = this.core;
    for (;;) {
      const timer = heap.peek();
      if (timer === undefined || timer.deadline > now || timer.seq >= limitSeq) break;
      if (timer.intervalMs > 0) {
        let next = timer.deadline + timer.intervalMs;
        // After a stall, skip the missed beats instead of firing a burst.
        if (next <= now) next = now + timer.intervalMs;
        timer.deadline = next;
        timer.seq = this.#seq++;
        heap.update(timer);
      } else {
        heap.remove(timer);
        if (timer.hasRef()) core.addRefs(-1);
      }
      core.counters.timersFired++;
      try {
        timer.fire();
      } catch (error) {
        core.reportError(error, { kind: 'timer', description: `${this.clock} timer` });
      }
    }
    this.#dirty = true;
  }

  close(): void {
    if (this.#timerfd !== undefined) {
      this.core.unregister(this.#token);
      this.#timerfd.close();
      this.#timerfd = undefined;
    }
    let t: Timer | undefined;
    while ((t = this.#heap.pop()) !== undefined) if (t.hasRef()) this.core.addRefs(-1);
  }
}

export function validateDelay(ms: unknown, name: string): number {
  return validateNonNegative(ms, name);
}
