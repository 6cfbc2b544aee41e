import { Buffer } from 'node:buffer';
import { existsSync, readFileSync } from 'node:fs';
import { Epoll, EPOLLERR, EPOLLIN, EPOLLPRI, OutOfRangeError, PressureTrigger, ReactorError, type PressureStats } from '@reactor/fds';
import { describeValue, validateBoolean, validateFunction, validateInteger, validateString } from '@reactor/fds/internal';
import { watchReadable, type NodePollHandle } from './node-poll';
import { Source, validatePriority, validateRateLimit, type LoopCore, type RunMode, type SourceOptions } from './source';

/** What a memory-pressure handler is told. */
export interface MemoryPressureEvent {
  /**
   * The cgroup of the pressure file was removed (EPOLLERR): no event can
   * come any more, and the source is closed after this call.
   */
  gone: boolean;
}

/** Called on each memory-pressure event. */
export type MemoryPressureHandler = (event: MemoryPressureEvent, source: MemoryPressure) => void;

/** Options of `Reactor.memoryPressure()`. */
export interface MemoryPressureOptions extends SourceOptions {
  /** 'some' (at least one task stalled on memory) or 'full' (all non-idle tasks at once). */
  kind?: 'some' | 'full';
  /** Stall time within the window that fires, µs (default 200000, or MEMORY_PRESSURE_WRITE's). */
  thresholdUs?: number;
  /** The window, µs (default 2000000, or MEMORY_PRESSURE_WRITE's); the kernel wants 500000..10000000, a multiple of 2 s without CAP_SYS_RESOURCE. */
  windowUs?: number;
  /** The pressure file (default: MEMORY_PRESSURE_WATCH, else this process's cgroup's memory.pressure, else /proc/pressure/memory). */
  path?: string;
  /** Where MEMORY_PRESSURE_WATCH/WRITE are read from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Whether the source keeps the loop alive (default false: a daemon does not run for it). */
  ref?: boolean;
  /** A name for logs and errors. */
  description?: string;
}

/** sd-event's default trigger: 200 ms of 'some' stall within 2 s. */
const DEFAULT_TRIGGER = { kind: 'some' as const, thresholdUs: 200_000, windowUs: 2_000_000 };

/** The trigger a source is set up with, after options, environment and defaults. */
export interface ResolvedPressureTrigger {
  /** The pressure file the trigger is written to. */
  path: string;
  /** 'some' or 'full' stall. */
  kind: 'some' | 'full';
  /** Stall time within the window that fires, µs. */
  thresholdUs: number;
  /** The window, µs. */
  windowUs: number;
}

/** This process's cgroup2 group's memory.pressure, else the system's (sd-event's choice). */
function ownPressureFile(): string {
  let group: string | undefined;
  try {
    // The cgroup2 line of /proc/self/cgroup is '0::/path'.
    group = /^0::(\/.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
  } catch {
    group = undefined;
  }
  if (group !== undefined && group !== '/') {
    // A unified hierarchy at /sys/fs/cgroup, or a hybrid one's at /sys/fs/cgroup/unified.
    for (const root of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
      const file = `${root}${group}/memory.pressure`;
      if (existsSync(file)) return file;
    }
  }
  return '/proc/pressure/memory';
}

/**
 * Where and how to watch, as sd_event_add_memory_pressure(3): the options
 * first, then what systemd set in the environment (MEMORY_PRESSURE_WATCH,
 * the file; MEMORY_PRESSURE_WRITE, base64 of the trigger to write), then
 * the defaults. MEMORY_PRESSURE_WATCH=/dev/null turns the watch off:
 * ERR_REACTOR_PRESSURE_DISABLED.
 */
export function resolvePressureTrigger(options: MemoryPressureOptions = {}): ResolvedPressureTrigger {
  const env = options.env ?? process.env;
  const watch = env.MEMORY_PRESSURE_WATCH;
  let path: string;
  if (options.path !== undefined) path = validateString(options.path, 'options.path');
  else if (watch !== undefined && watch !== '') {
    if (watch === '/dev/null') throw new ReactorError('ERR_REACTOR_PRESSURE_DISABLED', 'MEMORY_PRESSURE_WATCH=/dev/null: memory pressure watching is turned off for this service');
    path = watch;
  } else path = ownPressureFile();
  let base: Omit<ResolvedPressureTrigger, 'path'> = DEFAULT_TRIGGER;
  const write = env.MEMORY_PRESSURE_WRITE;
  // systemd's trigger goes with systemd's file only: an explicit path takes the defaults.
  if (options.path === undefined && write !== undefined && write !== '') {
    const text = Buffer.from(write, 'base64').toString('latin1');
    const match = /^(some|full) (\d+) (\d+)\0?\n?$/.exec(text);
    if (match === null) throw new ReactorError('ERR_REACTOR_PRESSURE_SPEC', `MEMORY_PRESSURE_WRITE must be base64 of 'some|full <threshold µs> <window µs>'; got ${JSON.stringify(text)}`);
    base = { kind: match[1] as 'some' | 'full', thresholdUs: Number(match[2]), windowUs: Number(match[3]) };
  }
  const kind = options.kind ?? base.kind;
  if (kind !== 'some' && kind !== 'full') throw new OutOfRangeError(`options.kind must be 'some' or 'full'; got ${describeValue(kind)}`);
  const windowUs = options.windowUs === undefined ? base.windowUs : validateInteger(options.windowUs, 'options.windowUs', 500_000, 10_000_000);
  const thresholdUs = options.thresholdUs === undefined ? base.thresholdUs : validateInteger(options.thresholdUs, 'options.thresholdUs', 1, windowUs);
  return { path, kind, thresholdUs, windowUs };
}

/**
 * Memory pressure as a loop source (sd_event_add_memory_pressure(3)): a PSI
 * trigger (psi(7)) on the chosen pressure file, whose handler runs when tasks
 * stalled on memory for `thresholdUs` within `windowUs` (at most once per
 * window while the stall lasts).
 *
 * A trigger's event is consumed by the first poll of its fd. When the loop
 * runs inside Node's loop, libuv's epoll_wait polls the loop's epoll set
 * (nested in libuv's), and that poll would take the event before the loop's
 * own epoll_wait looks. So the trigger sits alone in an epoll set of its own;
 * while the loop runs in Node's loop, libuv watches that set directly and
 * its readability is the event (posted into the loop's next batch); while
 * the loop runs with `runBlocking()` (or does not run), the set is in the
 * loop's epoll set instead. Either way exactly one poll sees each event. An
 * event pending at the moment of a switch is taken by the new registration's
 * first poll and lost (the next window reports again if the stall goes on).
 *
 * @example
 * ```ts
 * import { Reactor } from '@reactor/reactor';
 *
 * const loop = new Reactor();
 * const pressure = loop.memoryPressure({}, () => {
 *   console.log('memory pressure: dropping caches'); // free what can be rebuilt
 * });
 * console.log(pressure.trigger); // { path: '/proc/pressure/memory', kind: 'some', thresholdUs: 200000, windowUs: 2000000 }
 * pressure.close();
 * loop.close();
 * ```
 */
export class MemoryPressure extends Source {
  /** The file, kind, threshold and window in use. */
  readonly trigger: ResolvedPressureTrigger;
  readonly #psi: PressureTrigger;
  /** The trigger's own epoll set (see the class comment). */
  readonly #epoll: Epoll;
  readonly #handler: MemoryPressureHandler;
  readonly #offRunMode: () => void;
  #poll: NodePollHandle | undefined;
  #paused = false;

  /** @internal use `Reactor.memoryPressure()` */
  constructor(core: LoopCore, options: MemoryPressureOptions, handler: MemoryPressureHandler) {
    validateFunction(handler, 'handler');
    if (options.ref !== undefined) validateBoolean(options.ref, 'options.ref');
    const priority = options.priority === undefined ? 0 : validatePriority(options.priority, 'options.priority');
    const rateLimit = validateRateLimit(options.rateLimit, 'options.rateLimit');
    const trigger = resolvePressureTrigger(options);
    super(core, 'pressure', options.description ?? trigger.path, options.ref === true);
    this.trigger = trigger;
    this.#handler = handler;
    const psi = PressureTrigger.open('memory', trigger);
    let epoll: Epoll | undefined;
    try {
      epoll = new Epoll({ maxEvents: 1 });
      epoll.add(psi, EPOLLPRI);
      core.register(this, undefined, 0);
    } catch (error) {
      epoll?.close();
      psi.close();
      throw error;
    }
    this.#psi = psi;
    this.#epoll = epoll;
    try {
      this.#attach(core.mode);
    } catch (error) {
      this.core.deregister(this);
      epoll.close();
      psi.close();
      throw error;
    }
    this.#offRunMode = core.onRunMode((mode) => {
      if (this.active) this.#attach(mode);
    });
    if (priority !== 0) this.setPriority(priority);
    if (rateLimit !== undefined) this.setRateLimit(rateLimit);
    this.setActive(true);
  }

  /** The pressure file's current figures (a fresh read of the file). */
  read(): PressureStats {
    return this.#psi.read();
  }

  protected override get rateLimitable(): boolean {
    return true;
  }

  /** Move the trigger's set to where exactly one poller sees it for this run mode. */
  #attach(mode: RunMode | undefined): void {
    const viaNode = mode === 'node';
    if (viaNode === (this.#poll !== undefined) && (viaNode || this.registeredFd >= 0)) return;
    this.#detach();
    // Re-registered (a fresh token): events fetched under the old registration are dropped.
    this.core.deregister(this);
    if (viaNode) {
      this.core.register(this, undefined, 0);
      if (!this.#paused) this.#startPoll();
    } else {
      this.core.register(this, this.#epoll.fd, EPOLLIN);
      if (this.#paused) this.core.pause(this);
    }
  }

  #startPoll(): void {
    const poll = watchReadable(this.#epoll.fd, () => this.core.post(this, EPOLLIN));
    // The source's own ref keeps the loop (and its poll handle) alive, not this handle.
    poll.unref();
    this.#poll = poll;
  }

  #detach(): void {
    this.#poll?.close();
    this.#poll = undefined;
  }

  protected override pauseEvents(): void {
    this.#paused = true;
    if (this.#poll !== undefined) this.#detach();
    else this.core.pause(this);
  }

  protected override resumeEvents(): void {
    this.#paused = false;
    if (this.registeredFd >= 0) this.core.resume(this);
    else if (this.core.mode === 'node' && this.#poll === undefined) this.#startPoll();
  }

  /** @internal the trigger's set was readable: the trigger fired (its event already taken by that poll), or its cgroup is gone */
  override dispatch(): void {
    // A gone cgroup reports EPOLLERR on every poll; a fired trigger's event was taken by the poll that woke us.
    const gone = this.#epoll.wait(0) > 0 && (this.#epoll.eventsAt(0) & EPOLLERR) !== 0;
    try {
      this.#handler({ gone }, this);
    } catch (error) {
      this.core.reportError(error, this.context());
    }
    if (gone) {
      this.core.logger.warn({ path: this.trigger.path }, 'memory pressure source closed: its cgroup is gone');
      this.close();
    }
  }

  /** Stop watching and close the trigger. Idempotent. */
  close(): void {
    if (!this.active) return;
    this.setActive(false);
    this.#offRunMode();
    this.#detach();
    this.core.deregister(this);
    this.#epoll.close();
    this.#psi.close();
  }

  /** `close()`; also what `Reactor.close()` does. */
  dispose(): void {
    this.close();
  }

  /** `close()` (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }
}
