import { Buffer } from 'node:buffer';
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';
import { Epoll, EPOLLIN, InvalidArgTypeError, InvalidArgValueError, InvalidStateError, OutOfRangeError, type FdLike } from '@reactor/fds';
import { describeValue, validateBoolean, validateFunction, validateInteger, validateNonNegative, validateOptions } from '@reactor/fds/internal';
import { ChildWatch, type ChildHandler } from './children';
import { IoWatch, type IoHandler, type WatchOptions } from './io-watch';
import { componentLogger, type ReactorLogger } from './logger';
import { drainNodeQueues } from './node-queues';
import { watchReadable, type NodePollHandle } from './node-poll';
import { Registry } from './registry';
import { SignalSource, type SignalHandler, type SignalSubscription } from './signals';
import type { LoopCore, RunMode, Source, SourceContext } from './source';
import { PathWatch, type PathHandler, type PathWatchOptions } from './path-watch';
import { MemoryPressure, type MemoryPressureHandler, type MemoryPressureOptions } from './memory-pressure';
import { emptyStats, type ReactorStats } from './stats';
import { ReactorClosedError, ReactorError } from './errors';
import { Timer, TimerQueue, validateTimerOptions, type SleepOptions, type TimerCallback, type TimerClock, type TimerOptions } from './timers';
import { sleepOn } from './sleep';
import { Waker, WakeupChannel, type MessageHandler, type Unsubscribe, type WakeupHandle } from './wakeup';

/** Receives a handler's exception and which source threw (`onError` as a function). */
export type ErrorHook = (error: unknown, context: SourceContext) => void;

/** Options of `new Reactor()`. */
export interface ReactorOptions {
  /**
   * Where the loop logs, through a child named `{ component: 'reactor' }`:
   * a pino logger or any object with its level methods; `false` for no
   * logging at all (then only `onError` reports handler exceptions). Default:
   * JSON lines in pino's format on stderr, level from REACTOR_LOG_LEVEL
   * (default 'info'; 'silent' for none).
   */
  logger?: ReactorLogger | false;
  /**
   * What a handler's exception does: 'log' (default: logged at error level,
   * the loop goes on), 'stop' (the loop stops and `run()` rejects with it),
   * or a function that receives it.
   */
  onError?: 'log' | 'stop' | ErrorHook;
  /**
   * Keep the loop running with nothing referenced, until `stop()` (default
   * false): for a loop fed only by other threads or by sources added later.
   * (Not TCP keep-alive: that is `conn.setKeepAlive()`.)
   */
  keepLoopAlive?: boolean;
  /**
   * @deprecated The old name of `keepLoopAlive`, which every Node user reads
   * as SO_KEEPALIVE. Still honoured; the first use emits a DeprecationWarning
   * (code REACTOR_DEP0001).
   */
  keepAlive?: boolean;
  /** Events fetched per epoll_wait (default 1024). */
  maxEvents?: number;
  /** Bytes of the ring that carries messages from other threads (default 1 MiB). */
  wakeupRingBytes?: number;
  /**
   * How late (ms) a timer may fire so that timers due close together share
   * one timerfd arming, as sd-event's accuracy or the kernel's timer slack.
   * Deadlines are rounded up to the next multiple of the slack; a timer never
   * fires early, and timers due in the same slot fire in the order they were
   * scheduled. The default, 1, is the granularity of Node's own timers, and
   * what makes a million timers as cheap as `setTimeout`: each arming for a
   * deadline microseconds away costs 4-25 µs in the kernel. 0 makes every
   * timer exact: armed for its own deadline, to the nanosecond, and fired in
   * exact deadline order.
   */
  timerSlackMs?: number;
}


/**
 * The longest a worker thread's runBlocking() waits in epoll_wait before
 * turning again. When the main thread exits (process.exit(), an uncaught
 * exception), Node terminates each worker and waits for it; a worker inside
 * an endless epoll_wait never sees that, and the process hangs (see
 * docs/linux-and-node.md).
 * Returning to JavaScript once a second lets the termination through. The
 * main thread waits without a bound: nothing can call process.exit() there
 * while it waits. Cluster wakes its threads at exit at once; this bound is
 * for loops on the user's own workers.
 */
const WORKER_MAX_WAIT_MS = 1000;

/** Node's own timer granularity (see ReactorOptions.timerSlackMs). */
const DEFAULT_TIMER_SLACK_MS = 1;

/** `options.timerSlackMs`: a number of ms in [0, 60000]. */
function validateTimerSlack(value: unknown): number {
  const ms = validateNonNegative(value, 'options.timerSlackMs');
  if (ms > 60_000) throw new OutOfRangeError(`options.timerSlackMs must be at most 60000; got ${ms}`);
  return ms;
}


let keepAliveWarned = false;

/** `options.keepLoopAlive`, or its deprecated name `keepAlive` (warned about once per process). */
function keepLoopAliveOption(opts: ReactorOptions): boolean {
  if (opts.keepAlive !== undefined) {
    validateBoolean(opts.keepAlive, 'options.keepAlive');
    if (opts.keepLoopAlive !== undefined) throw new InvalidArgValueError('options.keepAlive is the deprecated name of options.keepLoopAlive: give only keepLoopAlive');
    if (!keepAliveWarned) {
      keepAliveWarned = true;
      process.emitWarning('new Reactor({ keepAlive }) is deprecated: it means "keep the loop running", not TCP keep-alive; use keepLoopAlive', { type: 'DeprecationWarning', code: 'REACTOR_DEP0001' });
    }
    return opts.keepAlive;
  }
  return opts.keepLoopAlive === undefined ? false : validateBoolean(opts.keepLoopAlive, 'options.keepLoopAlive');
}

/**
 * Signals reach a loop through Node's loop on the main thread (signal-router.ts),
 * which does not turn while runBlocking() owns that thread: a handler there would never run.
 */
function signalsNeedNodeLoop(): ReactorError {
  return new ReactorError(
    'ERR_REACTOR_SIGNALS_NEED_NODE_LOOP',
    'a loop that handles signals cannot runBlocking() on the main thread: signals reach it through Node\'s loop, which does not turn meanwhile; use run(), or runBlocking() on a worker thread',
  );
}

/** One event of a batch ordered by priority: the registry's source, and what to run (a due timer's seq in `events`). */
interface BatchEntry {
  owner: Source;
  token: number;
  source: Source;
  events: number;
  priority: number;
  /** Came through Node's loop (core.post) rather than this batch's epoll_wait. */
  posted: boolean;
}

/** Shared by every timer made without options (never mutated). */
const NO_TIMER_OPTIONS: TimerOptions = Object.freeze({});
/** `idle` → `running` → `idle` (run again) … → `closed`. */
export type ReactorState = 'idle' | 'running' | 'closed';

export type { RunMode } from './source';

/**
 * One selector loop: an epoll set in which fd readiness, timers (timerfd),
 * signals (signalfd), wake-ups from other threads (eventfd) and child exits
 * (pidfd) all arrive as events and are dispatched in one order.
 *
 * Each turn: arm the timerfds for the earliest deadlines (prepare), fetch the
 * ready events (wait), call their handlers (dispatch), then run deferred
 * callbacks. Handlers may add or remove any source, including themselves;
 * an fd removed during a batch gets no further events from it.
 *
 * @example
 * ```ts
 * import { Reactor } from '@reactor/reactor';
 *
 * const loop = new Reactor(); // one epoll set, watched from inside Node's own loop
 * const server = loop.listen({ host: '127.0.0.1', port: 0 }, (conn) => conn.end('hello\n'));
 * loop.every(1000, () => console.log(loop.stats().turns)).unref(); // unref: does not keep the loop alive
 * loop.onSignal('SIGTERM', (info) => {
 *   console.log(`${info.name}: stopping`); // kill(2) from outside arrives as a loop event
 *   loop.stop();
 * });
 * loop.after(20, () => process.kill(process.pid, 'SIGTERM'));
 * await loop.run(); // resolves on stop(), or when nothing referenced is left
 * server.close();
 * loop.close();
 * ```
 */
export class Reactor {
  /** The logger the loop and its sources log to (the `component: 'reactor'` child of `options.logger`). */
  readonly logger: ReactorLogger;
  readonly #epoll: Epoll;
  /** Every source of the loop, and the epoll set behind register/modify/deregister. */
  readonly #registry: Registry;
  /** The registry's token → source map, which a turn dispatches events to. */
  readonly #targets: Map<number, Source>;
  readonly #counters = emptyStats();
  readonly #onError: 'log' | 'stop' | ErrorHook;
  readonly #keepAlive: boolean;
  readonly #timerQueues = new Map<TimerClock, TimerQueue>();
  readonly #wakeup: WakeupChannel;
  #signals: SignalSource | undefined;
  #deferred: Array<() => void> = [];
  readonly #exitHooks: Array<() => void> = [];
  #readBuffer: Buffer | undefined;
  #refs = 0;
  #state: ReactorState = 'idle';
  #mode: RunMode | undefined;
  #dispatching = false;
  #stopRequested = false;
  #stopError: unknown;
  #turnScheduled = false;
  /** libuv reported the wake-up eventfd (attachToNodeLoop): the scheduled turn dispatches it. */
  #wakeReady = false;
  /** The scheduled turn also waits on the epoll set (an fd was ready, or timers or deferred work changed). */
  #epollTurnWanted = false;
  /** Whether handlers run inside Node's loop now (the default run mode), where its queues are drained after each. */
  #drainAfterCallbacks = false;
  #poll: NodePollHandle | undefined;
  #pollRef = false;
  #settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  #lastTurnEnd = 0;
  readonly #core: LoopCore;
  readonly #timerSlackMs: number;
  /** Whether a source ever had a priority other than 0: batches are then ordered by priority. */
  #ordered = false;
  /** Events that came through Node's loop (core.post), for the next batch. */
  #posted: Array<{ source: Source; events: number }> = [];
  readonly #modeListeners = new Set<(mode: RunMode | undefined) => void>();

  constructor(options?: ReactorOptions) {
    const opts = validateOptions<ReactorOptions>(options);
    this.logger = componentLogger(opts.logger, 'reactor');
    const onError = opts.onError ?? 'log';
    if (onError !== 'log' && onError !== 'stop' && typeof onError !== 'function') {
      throw new InvalidArgValueError(`options.onError must be 'log', 'stop' or a function; got ${describeValue(onError)}`);
    }
    this.#onError = onError;
    this.#keepAlive = keepLoopAliveOption(opts);
    const maxEvents = opts.maxEvents === undefined ? 1024 : validateInteger(opts.maxEvents, 'options.maxEvents', 1, 65536);
    const ringBytes = opts.wakeupRingBytes === undefined ? 1 << 20 : validateInteger(opts.wakeupRingBytes, 'options.wakeupRingBytes', 64, 1 << 30);
    this.#timerSlackMs = opts.timerSlackMs === undefined ? DEFAULT_TIMER_SLACK_MS : validateTimerSlack(opts.timerSlackMs);
    this.#epoll = new Epoll({ maxEvents });
    this.#registry = new Registry(this.#epoll);
    this.#targets = this.#registry.sources;
    const self = this;
    const registry = this.#registry;
    this.#core = {
      logger: this.logger,
      counters: this.#counters,
      register: (source, fd, events, internal) => {
        this.#ensureOpen('register');
        registry.register(source, fd, events, internal);
      },
      modify: (source, events) => registry.modify(source, events),
      deregister: (source) => registry.deregister(source),
      addRefs: (delta) => this.#addRefs(delta),
      reportError: (error, context) => this.#reportError(error, context),
      requestTurn: () => this.#requestTurn(),
      afterCallback: () => {
        if (this.#drainAfterCallbacks) drainNodeQueues!();
      },
      defer: (callback) => this.defer(callback),
      get closed() {
        return self.#state === 'closed';
      },
      get mode() {
        return self.#mode;
      },
      pause: (source) => registry.pause(source),
      resume: (source) => registry.resume(source),
      later: (delayMs, callback) => {
        const timer = this.after(delayMs, () => callback(), { ref: false });
        return { cancel: () => timer.cancel() };
      },
      usePriorities: () => {
        this.#ordered = true;
      },
      post: (source, events) => {
        this.#posted.push({ source, events });
        this.#requestTurn();
      },
      onRunMode: (listener) => {
        this.#modeListeners.add(listener);
        return () => this.#modeListeners.delete(listener);
      },
    };
    try {
      this.#wakeup = new WakeupChannel(this.#core, ringBytes, () => this.stop());
    } catch (error) {
      this.#epoll.close();
      throw error;
    }
    this.logger.debug({ epfd: this.#epoll.fd }, 'reactor created');
  }

  /** Where the loop is in its life: idle, running or closed. */
  get state(): ReactorState {
    return this.#state;
  }

  /** How the loop is running now, if it is. */
  get mode(): RunMode | undefined {
    return this.#mode;
  }

  /** The epoll fd, to nest this loop in another (it is readable when events are ready). */
  get fd(): number {
    return this.#epoll.fd;
  }

  // ---- sources -------------------------------------------------------------

  /**
   * Watch `fd` for `events` (EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLPRI …);
   * the handler gets the ready bits (EPOLLERR and EPOLLHUP are always
   * reported). Level-triggered unless `edge` or `oneshot` is set.
   */
  watch(fd: FdLike, events: number, handler: IoHandler, options?: WatchOptions): IoWatch {
    this.#ensureOpen('watch');
    return new IoWatch(this.#core, fd, events, handler, validateOptions<WatchOptions>(options));
  }

  /**
   * Watch a file or directory with inotify: `handler` gets each event (IN_*
   * bits in `events`, e.g. IN_CLOSE_WRITE | IN_MODIFY). A watched file that
   * an editor replaces (saved by rename, or deleted and written again) is
   * watched again at its path once it is back (see PathWatch).
   */
  watchPath(path: string, events: number, handler: PathHandler, options?: PathWatchOptions): PathWatch {
    this.#ensureOpen('watchPath');
    return new PathWatch(this.#core, path, events, handler, validateOptions<PathWatchOptions>(options));
  }

  /**
   * Call `handler` under memory pressure (a PSI trigger, as
   * sd_event_add_memory_pressure(3)): on the pressure file named by
   * MEMORY_PRESSURE_WATCH, else this process's cgroup's memory.pressure,
   * else /proc/pressure/memory (see MemoryPressure).
   */
  memoryPressure(options: MemoryPressureOptions | undefined, handler: MemoryPressureHandler): MemoryPressure {
    this.#ensureOpen('memoryPressure');
    return new MemoryPressure(this.#core, validateOptions<MemoryPressureOptions>(options), handler);
  }

  /** Call `callback` once, `delayMs` from now (never earlier). */
  after(delayMs: number, callback: TimerCallback, options?: TimerOptions): Timer {
    validateNonNegative(delayMs, 'delayMs');
    const queue = this.#timerQueue(options);
    return queue.create(callback, delayMs, false, queue.now() + delayMs, options ?? NO_TIMER_OPTIONS);
  }

  /**
   * A promise that resolves `delayMs` from now, on a loop timer (the promise
   * form of `after()`, as `timers/promises`' setTimeout is of setTimeout);
   * `options.signal` cancels it with an AbortError.
   */
  sleep(delayMs: number, options?: SleepOptions): Promise<void> {
    return sleepOn(this, delayMs, options);
  }

  /** Call `callback` every `intervalMs`, the first time `intervalMs` from now. */
  every(intervalMs: number, callback: TimerCallback, options?: TimerOptions): Timer {
    validateNonNegative(intervalMs, 'intervalMs');
    if (intervalMs <= 0) throw new OutOfRangeError(`intervalMs must be > 0; got ${intervalMs}`);
    const queue = this.#timerQueue(options);
    return queue.create(callback, intervalMs, true, queue.now() + intervalMs, options ?? NO_TIMER_OPTIONS);
  }

  /**
   * Call `callback` at a wall-clock time (a Date or epoch milliseconds), on
   * CLOCK_REALTIME: if the clock is set, the deadline follows it.
   */
  at(when: Date | number, callback: TimerCallback, options?: Omit<TimerOptions, 'clock'>): Timer {
    const epochMs = when instanceof Date ? when.getTime() : when;
    if (typeof epochMs !== 'number' || !Number.isFinite(epochMs)) throw new InvalidArgTypeError('when must be a valid Date or a finite number of epoch milliseconds');
    // Checked as after() checks its options: a number or { ref: 'no' } is refused, not read as the defaults.
    const opts = options === undefined ? NO_TIMER_OPTIONS : validateOptions<Omit<TimerOptions, 'clock'>>(options);
    validateTimerOptions(opts);
    const queue = this.#timerQueue({ clock: 'realtime' });
    return queue.create(callback, 0, false, epochMs, opts, false);
  }

  /**
   * Handle a signal ('SIGTERM', 15, 'SIGRTMIN+2') as a loop event, on any
   * thread, beside whatever else in the process handles it: Node's
   * `process.on` listeners and child_process still see every signal they
   * would see without the loop, and when the last handler goes, the
   * disposition in force before the first comes back (docs/signals.md).
   * While a loop handles a signal, that signal does not kill the process;
   * for a loop on a worker thread, only from when `subscription.ready`
   * settles (a signal before that is handled as if the loop did not exist:
   * SIGTERM would still end the process).
   *
   * Signals reach loops through Node's own loop on the main thread: a loop
   * running with `runBlocking()` on the main thread cannot handle signals
   * (refused with ERR_REACTOR_SIGNALS_NEED_NODE_LOOP), and on a worker
   * thread they arrive once `subscription.ready` settles.
   */
  onSignal(signal: string | number, handler: SignalHandler, options?: { ref?: boolean }): SignalSubscription {
    this.#ensureOpen('onSignal');
    if (this.#mode === 'thread' && isMainThread) throw signalsNeedNodeLoop();
    this.#signals ??= new SignalSource(this.#core);
    return this.#signals.subscribe(signal, handler, validateOptions(options));
  }

  /** Call `handler` when the process exits (through a pidfd). */
  watchChild(target: number | ChildProcess, handler: ChildHandler, options?: { ref?: boolean }): ChildWatch {
    this.#ensureOpen('watchChild');
    return new ChildWatch(this.#core, target, handler, validateOptions(options));
  }

  /** Receive the values other threads `post()` through a Waker; returns an unsubscribe function. */
  onMessage(handler: MessageHandler): Unsubscribe {
    validateFunction(handler, 'handler');
    return this.#wakeup.onMessage(handler);
  }

  /**
   * Call `handler` on each turn woken through the loop's eventfd (after the
   * messages of that turn); many wakes before a turn make one call.
   */
  onWake(handler: () => void): Unsubscribe {
    validateFunction(handler, 'handler');
    return this.#wakeup.onWake(handler);
  }

  /** What another thread needs to wake this loop (`new Waker(handle)`). */
  wakeupHandle(): WakeupHandle {
    this.#ensureOpen('wakeupHandle');
    return this.#wakeup.handle;
  }

  /** A Waker for this loop on this thread. */
  waker(): Waker {
    return new Waker(this.wakeupHandle());
  }

  /** Run `callback` after the current batch of events (or on the next turn). */
  defer(callback: () => void): void {
    validateFunction(callback, 'callback');
    this.#ensureOpen('defer');
    this.#deferred.push(callback);
    this.#requestTurn();
  }

  /**
   * One 64 KiB buffer per loop for reads whose bytes are used before the
   * handler returns (connections and UDP sockets share it): 64 KiB holds any
   * UDP datagram (at most 65,527 bytes) and a good TCP read. Its ArrayBuffer
   * is its own (not pooled), so a write can tell a view of it and copy that.
   */
  readBuffer(): Buffer {
    return (this.#readBuffer ??= Buffer.allocUnsafeSlow(64 * 1024));
  }

  /** Run `callback` each time the loop stops. */
  onExit(callback: () => void): void {
    validateFunction(callback, 'callback');
    this.#exitHooks.push(callback);
  }

  // ---- running -------------------------------------------------------------

  /**
   * Run inside Node's loop (the default): libuv watches the epoll fd and each
   * time it has events, one turn runs on this thread. Promises, timers, fs
   * and node:net keep working; idle costs nothing. Settles when the loop
   * stops: by `stop()`, when nothing referenced is left, or (with
   * `onError: 'stop'`) rejected with a handler's error.
   */
  run(): Promise<void> {
    try {
      this.#beginRun('node');
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject };
      try {
        this.#poll = watchReadable(this.#epoll.fd, () => this.#requestTurn());
        this.#wakeup.attachToNodeLoop(() => {
          this.#wakeReady = true;
          this.#scheduleNodeTurn();
        });
        this.#pollRef = true;
        this.#updatePollRef();
        this.#lastTurnEnd = performance.now();
        this.#turnScheduled = false;
        this.#requestTurn();
      } catch (error) {
        this.#finish(error);
      }
    });
  }

  /**
   * Own the calling thread: wait in epoll_wait until there are events, and
   * return when the loop stops. The fastest mode, for a worker thread or a
   * program that needs nothing else from Node: Node's own loop on this
   * thread does not turn until this returns (no promise continuation,
   * setTimeout or node:net callback runs meanwhile). On a worker thread a
   * wait lasts at most a second, so that the process can still exit
   * (process.exit(), an uncaught exception) while the loop runs.
   */
  runBlocking(): void {
    if (isMainThread && this.#signals?.handling === true) throw signalsNeedNodeLoop();
    this.#beginRun('thread');
    this.#lastTurnEnd = performance.now();
    try {
      while (!this.#stopRequested) {
        if (!this.#alive()) break;
        this.#turn(this.#deferred.length > 0 ? 0 : isMainThread ? -1 : WORKER_MAX_WAIT_MS);
      }
    } catch (error) {
      this.#stopError ??= error;
    }
    const error = this.#stopError;
    this.#finish(undefined);
    if (error !== undefined) throw error;
  }

  /** Stop after the current batch; `run()` resolves (or rejects with `error`). */
  stop(error?: unknown): void {
    if (this.#state !== 'running') return;
    this.#stopRequested = true;
    if (error !== undefined && this.#stopError === undefined) this.#stopError = error;
    if (this.#mode === 'node' && !this.#dispatching) this.#finish(this.#stopError);
  }

  /** Stop, then release every fd the loop owns. Idempotent. */
  close(): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'running') {
      this.#stopRequested = true;
      if (this.#mode === 'node') this.#finish(this.#stopError);
    }
    // Every source goes, the user's first (a connection's 'close' handler
    // may still write or cancel timers), then the loop's own fds.
    this.#registry.disposeAll((error, source) => this.logger.error({ err: error, ...source.context() }, 'a source failed to close'));
    this.#state = 'closed';
    this.#deferred = [];
    this.#epoll.close();
    this.logger.debug('reactor closed');
  }

  /** `close()`, for `using` declarations. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * `close()`, for `await using` beside other async disposables; resolves
   * once the promises the close settled (a pending `connect()` or `sleep()`,
   * a listener's `closeAndWait()`) have had their handlers run.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** A copy of the loop's counters. */
  stats(): ReactorStats {
    return { ...this.#counters, refs: this.#refs };
  }

  // ---- internals -----------------------------------------------------------

  #beginRun(mode: RunMode): void {
    if (this.#state === 'closed') throw new ReactorClosedError('run');
    if (this.#state === 'running') throw new InvalidStateError('run: the reactor is already running');
    this.#state = 'running';
    this.#mode = mode;
    this.#drainAfterCallbacks = mode === 'node' && drainNodeQueues !== null;
    this.#stopRequested = false;
    this.#stopError = undefined;
    this.#notifyMode(mode);
    this.logger.debug({ mode }, 'reactor running');
  }

  #finish(error: unknown): void {
    if (this.#state !== 'running') return;
    this.#state = 'idle';
    const settle = this.#settle;
    this.#settle = undefined;
    this.#mode = undefined;
    this.#drainAfterCallbacks = false;
    if (this.#poll !== undefined) {
      this.#poll.close();
      this.#poll = undefined;
      this.#wakeup.detachFromNodeLoop();
    }
    this.#notifyMode(undefined);
    for (const hook of this.#exitHooks) {
      try {
        hook();
      } catch (hookError) {
        // The loop has stopped already: under 'stop' the hook's error is what run() rejects with.
        if (this.#onError === 'stop') {
          this.#counters.handlerErrors++;
          error ??= hookError;
        } else {
          this.#reportError(hookError, { kind: 'exit' });
        }
      }
    }
    this.logger.debug({ error: error !== undefined }, 'reactor stopped');
    if (settle) {
      if (error !== undefined) settle.reject(error);
      else settle.resolve();
    }
  }

  #notifyMode(mode: RunMode | undefined): void {
    for (const listener of this.#modeListeners) {
      try {
        listener(mode);
      } catch (error) {
        this.#reportError(error, { kind: 'exit' });
      }
    }
  }

  #alive(): boolean {
    return this.#keepAlive || this.#refs > 0 || this.#deferred.length > 0;
  }

  #addRefs(delta: number): void {
    this.#refs += delta;
    if (this.#state === 'running' && this.#mode === 'node') {
      this.#updatePollRef();
      if (this.#refs === 0) this.#requestTurn();
    }
  }

  #updatePollRef(): void {
    const poll = this.#poll;
    if (poll === undefined) return;
    const want = this.#keepAlive || this.#refs > 0 || this.#deferred.length > 0;
    if (want !== this.#pollRef) {
      this.#pollRef = want;
      if (want) poll.ref();
      else poll.unref();
    }
  }

  /** Something changed outside a turn (a timer, a deferred callback), or libuv saw the epoll fd ready: turn soon. */
  #requestTurn(): void {
    if (this.#dispatching) return;
    this.#epollTurnWanted = true;
    this.#scheduleNodeTurn();
  }

  /**
   * In the default run mode every turn runs from an immediate, never from
   * the libuv poll callback that reported the fd: Node runs immediates
   * inside a callback scope of its own, and what a turn runs of Node's queues
   * (nextTicks, promise jobs) must run inside one. Run from the poll
   * callback, a nextTick that made a native stream emit (a TLS socket over a
   * reactor connection reaching EOF) aborted the process on Node's check that
   * the async id stack unwound, whenever async_hooks were enabled (APM,
   * AsyncLocalStorage on Node 20 and 22). The immediate runs in the same
   * iteration of Node's loop, right after its poll phase.
   */
  #scheduleNodeTurn(): void {
    if (this.#turnScheduled) return;
    if (this.#state !== 'running' || this.#mode !== 'node') return;
    this.#turnScheduled = true;
    setImmediate(this.#immediateTurn);
  }

  readonly #immediateTurn = (): void => {
    this.#turnScheduled = false;
    if (this.#wakeReady) {
      this.#wakeReady = false;
      this.#nodeTurn(this.#wakeup);
    }
    if (this.#epollTurnWanted) {
      this.#epollTurnWanted = false;
      this.#nodeTurn(undefined);
    }
  };

  /**
   * A turn in the default run mode: of the epoll set (`only` undefined), or
   * of the one source libuv watches itself (the wake-up eventfd), which
   * needs no epoll_wait. Node runs its queues after the immediate it runs in.
   */
  #nodeTurn(only: Source | undefined): void {
    if (this.#state !== 'running' || this.#mode !== 'node') return;
    try {
      if (only === undefined) this.#turn(0);
      else this.#turnOf(only);
    } catch (error) {
      this.#stopError ??= error;
      this.#stopRequested = true;
    }
    if (this.#stopRequested || !this.#alive()) this.#finish(this.#stopError);
    else {
      this.#updatePollRef();
      // Callbacks deferred by deferred callbacks wait for the next turn, and
      // no fd may ever wake us for them: ask Node for that turn.
      if (this.#deferred.length > 0 || this.#posted.length > 0) this.#requestTurn();
    }
  }

  /** prepare → wait → dispatch → deferred. */
  #turn(timeoutMs: number): void {
    for (const queue of this.#timerQueues.values()) queue.flush();
    const epoll = this.#epoll;
    const waitStart = performance.now();
    const n = epoll.wait(timeoutMs);
    const dispatchStart = performance.now();
    const counters = this.#counters;
    // In Node mode the wait happened in Node's loop, before this turn began.
    counters.waitMs += this.#mode === 'node' ? waitStart - this.#lastTurnEnd : dispatchStart - waitStart;
    counters.turns++;
    this.#dispatching = true;
    try {
      if (this.#ordered || this.#posted.length > 0) this.#dispatchOrdered(n);
      else {
        const targets = this.#targets;
        for (let i = 0; i < n; i++) {
          const target = targets.get(epoll.tokenAt(i));
          if (target === undefined) continue; // removed earlier in this batch
          this.#dispatchOne(target, epoll.eventsAt(i));
          if (this.#stopRequested) break;
        }
      }
      this.#runDeferred();
    } finally {
      this.#dispatching = false;
    }
    this.#endTurn(dispatchStart);
  }

  #dispatchOne(target: Source, events: number): void {
    // A rate-limited source past its burst is paused instead (the event is held).
    if (!target.admit()) return;
    this.#counters.events++;
    target.dispatches++;
    try {
      target.dispatch(events);
    } catch (error) {
      this.#reportError(error, target.context());
    }
    if (this.#drainAfterCallbacks) drainNodeQueues!();
  }

  /**
   * The batch in priority order (sd-event's): lower first, ties in the order
   * the kernel reported them, then the events that came through Node's loop.
   * Each due timer takes its own place (a timer queue's fd event stands for
   * all of them). A source removed earlier in the batch gets nothing.
   */
  #dispatchOrdered(n: number): void {
    const epoll = this.#epoll;
    const targets = this.#targets;
    const batch: BatchEntry[] = [];
    const add = (owner: Source, token: number, events: number, posted: boolean): void => {
      if (this.#ordered && owner instanceof TimerQueue) {
        for (const timer of owner.takeDue()) batch.push({ owner, token, source: timer, events: timer.seq, priority: timer.priority, posted });
      } else batch.push({ owner, token, source: owner, events, priority: owner.priority, posted });
    };
    for (let i = 0; i < n; i++) {
      const token = epoll.tokenAt(i);
      const owner = targets.get(token);
      if (owner !== undefined) add(owner, token, epoll.eventsAt(i), false);
    }
    const posted = this.#posted;
    this.#posted = [];
    for (const { source, events } of posted) if (source.token !== 0) add(source, source.token, events, true);
    // Array.prototype.sort is stable: equal priorities keep their arrival order.
    if (this.#ordered) batch.sort((a, b) => a.priority - b.priority);
    for (const entry of batch) {
      if (this.#stopRequested) {
        // Events that came through Node's loop were taken off it: keep them for the next run.
        if (entry.posted) this.#posted.push({ source: entry.owner, events: entry.events });
        continue;
      }
      if (targets.get(entry.token) !== entry.owner) continue;
      if (entry.source instanceof Timer) (entry.owner as TimerQueue).fireIfCurrent(entry.source, entry.events);
      else this.#dispatchOne(entry.source, entry.events);
    }
  }

  /** A turn with one ready source that libuv reported: dispatch, deferred callbacks, timers — as #turn without the wait. */
  #turnOf(source: Source): void {
    const counters = this.#counters;
    const dispatchStart = performance.now();
    counters.waitMs += dispatchStart - this.#lastTurnEnd;
    counters.turns++;
    this.#dispatching = true;
    try {
      this.#dispatchOne(source, EPOLLIN);
      this.#runDeferred();
    } finally {
      this.#dispatching = false;
    }
    this.#endTurn(dispatchStart);
  }

  /** After a batch and its deferred callbacks: arm the timers for the next wait, count the turn's time. */
  #endTurn(dispatchStart: number): void {
    if (this.#state !== 'closed') for (const queue of this.#timerQueues.values()) queue.flush();
    this.#lastTurnEnd = performance.now();
    this.#counters.dispatchMs += this.#lastTurnEnd - dispatchStart;
  }

  #runDeferred(): void {
    // Callbacks deferred by deferred callbacks run on the next turn, so a
    // callback that re-defers itself cannot starve the fds.
    const batch = this.#deferred;
    if (batch.length === 0) return;
    this.#deferred = [];
    for (const callback of batch) {
      try {
        callback();
      } catch (error) {
        this.#reportError(error, { kind: 'defer' });
      }
      if (this.#drainAfterCallbacks) drainNodeQueues!();
    }
  }

  #reportError(error: unknown, context: SourceContext): void {
    this.#counters.handlerErrors++;
    const hook = this.#onError;
    if (hook === 'stop') {
      this.stop(error);
      return;
    }
    if (typeof hook === 'function') {
      try {
        hook(error, context);
        return;
      } catch (hookError) {
        error = hookError;
      }
    }
    this.logger.error({ err: error, ...context }, 'reactor handler threw; the loop goes on');
  }

  #timerQueue(options: TimerOptions | undefined): TimerQueue {
    this.#ensureOpen('timer');
    // The common case (no options) skips the checks and allocates nothing:
    // a million timers should cost a million timers, not two million objects.
    if (options === undefined) {
      const queue = this.#timerQueues.get('monotonic');
      if (queue !== undefined) return queue;
    }
    const opts = validateOptions<TimerOptions>(options);
    validateTimerOptions(opts);
    const clock = opts.clock ?? 'monotonic';
    if (clock !== 'monotonic' && clock !== 'realtime' && clock !== 'boottime') {
      throw new OutOfRangeError(`options.clock must be 'monotonic', 'realtime' or 'boottime'; got ${describeValue(clock)}`);
    }
    let queue = this.#timerQueues.get(clock);
    if (queue === undefined) {
      queue = new TimerQueue(this.#core, clock, this.#timerSlackMs);
      this.#timerQueues.set(clock, queue);
    }
    return queue;
  }

  #ensureOpen(operation: string): void {
    if (this.#state === 'closed') throw new ReactorClosedError(operation);
  }
}
