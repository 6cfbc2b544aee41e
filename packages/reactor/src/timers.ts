import { performance } from 'node:perf_hooks';
import { clockNow, EPOLLIN, InvalidStateError, SystemError, TimerFd } from '@reactor/fds';
import { ECANCELED, validateBoolean, validateFunction } from '@reactor/fds/internal';
import { TimerHeap, type HeapEntry } from './timer-heap';
import { ReactorClosedError, validateSignal } from './errors';
import { Source, type LoopCore } from './source';

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
  /** Order among timers and other sources due in the same batch: lower first (default 0). */
  priority?: number;
  /**
   * Aborting it cancels the timer (an interval too); a signal already
   * aborted gives a timer that never fires. A refresh() after the abort
   * does not bring it back.
   */
  signal?: AbortSignal;
  /**
   * Called once if `Reactor.close()` finds the timer pending (the timer is
   * cancelled): for a promise or a caller that waits on the timer.
   */
  onLoopClose?: () => void;
}

/** @internal The options every timer takes (`ref`, `signal`, `onLoopClose`), checked: a wrong type is refused, not read as the default. */
export function validateTimerOptions(options: Omit<TimerOptions, 'clock'>): void {
  if (options.ref !== undefined) validateBoolean(options.ref, 'options.ref');
  if (options.signal !== undefined) validateSignal(options.signal, 'options.signal');
  if (options.onLoopClose !== undefined) validateFunction(options.onLoopClose, 'options.onLoopClose');
}

/** The furthest the timerfd is armed at once: 2^62 ns, ~146 years (the kernel's limit is 2^63-1). */
const MAX_ARM_NS = 2 ** 62;

/** Options of `Reactor.sleep()`. */
export interface SleepOptions {
  /** Whether the pending sleep keeps the loop alive (default true). */
  ref?: boolean;
  /** Aborting it cancels the timer and rejects the promise with an AbortError (code ABORT_ERR), as `timers/promises` does. */
  signal?: AbortSignal;
}

/**
 * A scheduled callback. Cancel it, refresh it (same delay, from now), or
 * unref it so that it does not keep the loop alive.
 *
 * @example
 * ```ts
 * import { Reactor } from '@reactor/reactor';
 *
 * const loop = new Reactor();
 * const idle = loop.after(100, () => console.log('idle for 100 ms'));
 * let ticks = 0;
 * loop.every(20, (tick) => {
 *   idle.refresh(); // activity pushes the idle deadline back
 *   if (++ticks === 3) tick.cancel();
 * });
 * await loop.run(); // 'idle for 100 ms', 100 ms after the third tick
 * loop.close();
 * ```
 */
export class Timer extends Source {
  /** @internal the deadline in the queue's ticks (see TimerQueue) */
  due = 0;
  /** @internal scheduling order: breaks ties between equal deadlines */
  seq = 0;
  /**
   * @internal the bucket holding the timer while it is pending, its queue
   * otherwise: one field for both, as each has `queue` (a field per timer is
   * 8 MB per million timers to allocate and collect).
   */
  place: TimerBucket | TimerQueue;
  /** @internal neighbours in the bucket's list */
  prev: Timer | undefined = undefined;
  /** @internal */
  next: Timer | undefined = undefined;
  /** The delay, or minus the interval of a repeating timer: one field for `delayMs` and `intervalMs`. */
  readonly #period: number;
  readonly #callback: TimerCallback;
  /** The abort signal and close hook the few timers given them carry: one field on every timer instead of three. */
  readonly #extras: TimerExtras | undefined;

  /** @internal made by `Reactor.after/every/at`; a repeating timer's delay is its interval */
  constructor(queue: TimerQueue, callback: TimerCallback, delayMs: number, repeat: boolean, ref: boolean, options?: TimerOptions) {
    super(queue.core, 'timer', undefined, ref);
    this.place = queue;
    this.#callback = callback;
    if (options?.signal !== undefined || options?.onLoopClose !== undefined) {
      this.#extras = { signal: options.signal, onLoopClose: options.onLoopClose, onAbort: undefined };
    }
    this.#period = repeat ? -delayMs : delayMs;
  }

  /** The delay (ms) that `refresh()` re-applies; 0 for `at()` timers. */
  get delayMs(): number {
    return Math.abs(this.#period);
  }

  /** The repeat interval (ms); 0 for one-shot timers. */
  get intervalMs(): number {
    return this.#period < 0 ? -this.#period : 0;
  }

  /** @internal the queue the timer belongs to */
  get #queue(): TimerQueue {
    return this.place.queue;
  }

  /**
   * @internal the bucket key: the duration, which orders the timers of one
   * bucket by deadline; undefined for `at()` timers (AbsoluteTimer), whose
   * deadlines follow no order.
   */
  get durationKey(): number | undefined {
    return this.delayMs;
  }

  /** The deadline (ms on the timer's clock) while pending: the earliest it fires, the slack included. */
  get deadline(): number {
    return this.#queue.ticksToMs(this.due);
  }

  /** Whether the timer is scheduled (the same as `active`). */
  get pending(): boolean {
    return this.active;
  }

  /** The clock the timer follows. */
  get clock(): TimerClock {
    return this.#queue.clock;
  }

  /** Unschedule; idempotent. */
  cancel(): void {
    this.#queue.cancel(this);
  }

  /**
   * Reschedule `delayMs` from now (restarting a cancelled or fired timer
   * too). An `at()` timer has no delay to re-apply: ERR_INVALID_STATE.
   */
  refresh(): this {
    if (this.durationKey === undefined) throw new InvalidStateError('refresh() re-applies a delay: an at() timer has none (make a new one with loop.at())');
    if (this.#extras?.signal?.aborted === true) return this;
    this.#queue.schedule(this, this.#queue.now() + this.delayMs);
    return this;
  }

  /** `cancel()` (for `using`). */
  [Symbol.dispose](): void {
    this.cancel();
  }

  /** `cancel()`; also what `Reactor.close()` does to a pending timer. */
  dispose(): void {
    this.cancel();
  }

  /** @internal */
  fire(): void {
    this.#callback(this);
  }

  /** @internal the queue links or unlinks the timer; the abort listener lives exactly while it is pending */
  setPending(pending: boolean): void {
    this.setActive(pending);
    const extras = this.#extras;
    const signal = extras?.signal;
    if (signal === undefined) return;
    if (pending && extras!.onAbort === undefined) {
      extras!.onAbort = () => this.cancel();
      signal.addEventListener('abort', extras!.onAbort, { once: true });
    } else if (!pending && extras!.onAbort !== undefined) {
      signal.removeEventListener('abort', extras!.onAbort);
      extras!.onAbort = undefined;
    }
  }

  /** @internal `Reactor.close()` found the timer pending and cancelled it */
  loopClosed(): void {
    this.#extras?.onLoopClose?.();
  }
}

/** What a timer given a signal or a close hook keeps. */
interface TimerExtras {
  readonly signal: AbortSignal | undefined;
  readonly onLoopClose: (() => void) | undefined;
  /** The abort listener, added exactly while the timer is pending. */
  onAbort: (() => void) | undefined;
}

/** @internal a timer made by `at()`: a deadline of its own, no delay to re-apply, no duration bucket. */
export class AbsoluteTimer extends Timer {
  override get durationKey(): undefined {
    return undefined;
  }
}

/**
 * @internal A list of timers in deadline order, itself one entry of the heap
 * (keyed by its first timer). Timers of one duration are appended to one
 * bucket: scheduled later means due later, so the append keeps the order, as
 * in Node's own timer lists — schedule and cancel cost O(1) instead of a heap
 * operation per timer. A timer that would break the order (an `at()` deadline,
 * a repeat rescheduled after a stall) gets a bucket of its own.
 */
export class TimerBucket implements HeapEntry {
  deadline = 0;
  seq = 0;
  heapIndex = -1;
  head: Timer | undefined = undefined;
  tail: Timer | undefined = undefined;
  constructor(
    readonly queue: TimerQueue,
    readonly key: number | undefined,
  ) {}
}

const inOrder = (a: Timer, deadline: number): boolean => a.due <= deadline;

/**
 * All timers of one clock on one timerfd: a heap of buckets, and the fd armed
 * for the earliest deadline only (re-armed when that changes), so a million
 * timers cost one fd and one settime per change of the head.
 *
 * Deadlines are kept in ticks of the slack counted from the queue's epoch
 * (its clock when it was made), rounded up: with the default slack of 1 ms
 * they are small integers, which V8 keeps inside the timer object, where a
 * fractional ms value would be a separate heap number that each comparison
 * and each unlink must load (a cache miss per timer at a million timers).
 * Timers due in one tick fire in the order they were scheduled, as Node's
 * own timers of one millisecond do. With no slack (exact timers) a tick is
 * the clock's own fractional ms.
 */
export class TimerQueue extends Source {
  readonly clock: TimerClock;
  readonly #heap = new TimerHeap<TimerBucket>();
  readonly #byDuration = new Map<number, TimerBucket>();
  #timerfd: TimerFd | undefined;
  #armed = Number.NaN;
  #seq = 0;
  #dirty = false;

  /** Itself: a timer's `place` is its bucket while pending, its queue otherwise, and either gives the queue. */
  get queue(): TimerQueue {
    return this;
  }

  /** The length of a tick (ms): the slack; 0 = exact (a tick is the clock's ms, unrounded). */
  readonly #slackMs: number;
  /** The clock (ms) at tick 0. */
  readonly #epoch: number;

  constructor(core: LoopCore, clock: TimerClock, slackMs: number) {
    // The queue's timerfd never keeps the loop alive: its ref'ed timers do.
    super(core, 'timer', `${clock} timers`, false);
    this.clock = clock;
    this.#slackMs = slackMs;
    this.#epoch = Math.floor(this.now());
    core.register(this, undefined, 0, true);
  }

  /** Milliseconds on this queue's clock (monotonic: Node's hrtime base, which is CLOCK_MONOTONIC). */
  now(): number {
    if (this.clock === 'monotonic') return performance.now();
    return Number(clockNow(this.clock)) / 1e6;
  }

  /** The tick a deadline (ms on the clock) falls due in: never before the deadline. */
  msToTicks(ms: number): number {
    const slack = this.#slackMs;
    return slack > 0 ? Math.ceil((ms - this.#epoch) / slack) : ms - this.#epoch;
  }

  /** The clock (ms) at which `ticks` is reached. */
  ticksToMs(ticks: number): number {
    const slack = this.#slackMs;
    return slack > 0 ? this.#epoch + Math.ceil(ticks) * slack : this.#epoch + ticks;
  }

  /** The last tick reached at clock time `ms`: a timer with `due <= ` this is due. */
  #ticksReached(ms: number): number {
    const slack = this.#slackMs;
    return slack > 0 ? Math.floor((ms - this.#epoch) / slack) : ms - this.#epoch;
  }

  /** A repeat interval (ms) in ticks: fractional where the slack does not divide it, so the average period stays exact. */
  #intervalTicks(ms: number): number {
    const slack = this.#slackMs;
    return slack > 0 ? ms / slack : ms;
  }

  /** A timer due at `deadline`, repeating every `delayMs` when `repeat`; `relative` false: an at() timer. */
  create(callback: TimerCallback, delayMs: number, repeat: boolean, deadline: number, options: TimerOptions, relative = true): Timer {
    validateFunction(callback, 'callback');
    const ref = options.ref !== false;
    const timer = relative ? new Timer(this, callback, delayMs, repeat, ref, options) : new AbsoluteTimer(this, callback, delayMs, repeat, ref, options);
    if (options.priority !== undefined) timer.setPriority(options.priority);
    // An aborted signal: the timer exists (cancel() and refresh() stay harmless) but never fires.
    if (options.signal?.aborted !== true) this.schedule(timer, deadline);
    return timer;
  }

  /** (Re)schedule `timer` for `deadline` (ms on the clock). */
  schedule(timer: Timer, deadline: number): void {
    if (this.core.closed) throw new ReactorClosedError('timer');
    if (timer.pending) this.#unlink(timer);
    else timer.setPending(true);
    timer.due = this.msToTicks(deadline);
    timer.seq = this.#seq++;
    this.#append(timer);
    this.#changed();
  }

  cancel(timer: Timer): void {
    if (!timer.pending) return;
    this.#unlink(timer);
    timer.setPending(false);
    this.#changed();
  }

  #append(timer: Timer): void {
    const key = timer.durationKey;
    let bucket: TimerBucket | undefined;
    if (key !== undefined) {
      bucket = this.#byDuration.get(key);
      if (bucket === undefined) this.#byDuration.set(key, (bucket = new TimerBucket(this, key)));
      else if (bucket.tail !== undefined && !inOrder(bucket.tail, timer.due)) bucket = undefined;
    }
    bucket ??= new TimerBucket(this, undefined);
    timer.place = bucket;
    timer.next = undefined;
    timer.prev = bucket.tail;
    if (bucket.tail === undefined) {
      bucket.head = bucket.tail = timer;
      bucket.deadline = timer.due;
      bucket.seq = timer.seq;
      this.#heap.push(bucket);
    } else {
      bucket.tail.next = timer;
      bucket.tail = timer;
    }
  }

  #unlink(timer: Timer): void {
    const bucket = timer.place as TimerBucket;
    const { prev, next } = timer;
    if (next === undefined) bucket.tail = prev;
    else next.prev = prev;
    if (prev === undefined) {
      bucket.head = next;
      if (next === undefined) {
        this.#heap.remove(bucket);
        if (bucket.key !== undefined && this.#byDuration.get(bucket.key) === bucket) this.#byDuration.delete(bucket.key);
      } else {
        bucket.deadline = next.due;
        bucket.seq = next.seq;
        this.#heap.update(bucket);
      }
    } else prev.next = next;
    timer.place = this;
    timer.prev = timer.next = undefined;
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
    // With a slack, deadlines in one tick share one arming, at the tick's end (never earlier than any of them).
    const armAt = this.ticksToMs(head.deadline);
    if (armAt === this.#armed) return;
    const fd = this.#ensureFd();
    // A deadline past MAX_ARM_NS (after(Number.MAX_SAFE_INTEGER), at(1e300))
    // arms the timerfd for MAX_ARM_NS instead: the kernel takes nothing past
    // 2^64-1 ns (and a RangeError here would end the loop), and when
    // that wake comes the deadline is not due, so the queue just re-arms.
    if (this.clock === 'monotonic') {
      // Relative arming: never early, because the deadline was computed from
      // the same clock and the delay is rounded up to the next nanosecond.
      const delayNs = Math.min(MAX_ARM_NS, Math.max(1, Math.ceil((armAt - performance.now()) * 1e6)));
      fd.set({ initialNs: BigInt(delayNs) });
    } else {
      const deadlineNs = Math.min(MAX_ARM_NS, Math.max(1, Math.ceil(armAt * 1e6)));
      fd.set({ initialNs: BigInt(deadlineNs), absolute: true, cancelOnSet: this.clock === 'realtime' });
    }
    this.#armed = armAt;
  }

  #ensureFd(): TimerFd {
    if (this.#timerfd === undefined) {
      const timerfd = new TimerFd(this.clock);
      try {
        // The queue is in the registry already; now its fd joins the epoll set.
        this.core.deregister(this);
        this.core.register(this, timerfd.fd, EPOLLIN, true);
      } catch (error) {
        timerfd.close();
        throw error;
      }
      this.#timerfd = timerfd;
    }
    return this.#timerfd;
  }

  override dispatch(): void {
    if (this.#acknowledge()) this.runDue();
  }

  /** Read the timerfd's expiry count; false when the queue has no fd. */
  #acknowledge(): boolean {
    const fd = this.#timerfd;
    if (fd === undefined) return false;
    try {
      fd.tryRead();
    } catch (error) {
      // TFD_TIMER_CANCEL_ON_SET: the wall clock was set; deadlines are re-checked below.
      if (!(error instanceof SystemError && error.errno === -ECANCELED)) throw error;
    }
    this.#armed = Number.NaN;
    this.#dirty = true;
    return true;
  }

  /**
   * @internal For a batch ordered by priority: the timerfd is read and the
   * timers due now come back (by priority, then deadline), each with its
   * scheduling seq; the loop sorts them among the batch's other sources and
   * fires each through `fireIfCurrent`.
   */
  takeDue(): Timer[] {
    if (!this.#acknowledge()) return [];
    return this.#dueTimers(this.#ticksReached(this.now()), this.#seq);
  }

  /** @internal fire `timer` unless an earlier callback of the batch cancelled or rescheduled it (its seq changed) */
  fireIfCurrent(timer: Timer, seq: number): void {
    if (timer.pending && timer.seq === seq) this.#fire(timer, this.#ticksReached(this.now()));
  }

  /** Fire every timer that was due when this batch started, in deadline order. */
  runDue(): void {
    const now = this.#ticksReached(this.now());
    const limitSeq = this.#seq;
    const heap = this.#heap;
    for (;;) {
      const timer = heap.peek()?.head;
      if (timer === undefined || timer.due > now || timer.seq >= limitSeq) break;
      this.#fire(timer, now);
    }
    this.#dirty = true;
  }

  /** The timers due at `now` and scheduled before `limitSeq`, by priority, then deadline, then scheduling order. */
  #dueTimers(now: number, limitSeq: number): Timer[] {
    const due: Timer[] = [];
    for (const bucket of this.#heap.dueBy(now)) {
      for (let timer = bucket.head; timer !== undefined && timer.due <= now; timer = timer.next) if (timer.seq < limitSeq) due.push(timer);
    }
    return due.sort((a, b) => a.priority - b.priority || a.due - b.due || a.seq - b.seq);
  }

  /** Fire one due timer; `now` is the tick reached (#ticksReached). */
  #fire(timer: Timer, now: number): void {
    const core = this.core;
    this.#unlink(timer);
    if (timer.intervalMs > 0) {
      const interval = this.#intervalTicks(timer.intervalMs);
      let next = timer.due + interval;
      // After a stall, skip the missed beats instead of firing a burst.
      if (next <= now) next = now + interval;
      timer.due = next;
      timer.seq = this.#seq++;
      this.#append(timer);
    } else {
      timer.setPending(false);
    }
    core.counters.timersFired++;
    timer.dispatches++;
    try {
      timer.fire();
    } catch (error) {
      core.reportError(error, { kind: 'timer', description: `${this.clock} timer` });
    }
    core.afterCallback();
  }


  /** `Reactor.close()`: every pending timer is cancelled and the timerfd closed. */
  dispose(): void {
    this.core.deregister(this);
    this.#timerfd?.close();
    this.#timerfd = undefined;
    let bucket: TimerBucket | undefined;
    const closed: Timer[] = [];
    while ((bucket = this.#heap.peek()) !== undefined) {
      const timer = bucket.head!;
      this.#unlink(timer);
      timer.setPending(false);
      closed.push(timer);
    }
    for (const timer of closed) {
      try {
        timer.loopClosed();
      } catch (error) {
        this.core.logger.error({ err: error, kind: 'timer' }, 'a timer\'s onLoopClose threw');
      }
    }
  }
}
