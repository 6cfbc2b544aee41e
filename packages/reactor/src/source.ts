import { performance } from 'node:perf_hooks';
import { EPOLLONESHOT, OutOfRangeError, ReactorError } from '@reactor/fds';
import { describeValue, validateInteger, validateNonNegative, validateOptions } from '@reactor/fds/internal';
import type { ReactorLogger } from './logger';
import type { ReactorStats, SourceStats } from './stats';

/** The kinds of source a loop has, as they appear in logs and errors. */
export type SourceKind = 'io' | 'timer' | 'signal' | 'wakeup' | 'child' | 'defer' | 'exit' | 'path' | 'pressure';

/** How the loop waits while it runs: inside Node's loop, or owning the thread. */
export type RunMode = 'node' | 'thread';

/**
 * A rate limit, as sd_event_source_set_ratelimit(3): a source dispatched
 * `burst` times within `intervalMs` is paused until that interval ends,
 * then resumes by itself.
 */
export interface RateLimit {
  /** The window, ms (> 0). */
  intervalMs: number;
  /** Dispatches allowed per window (an integer >= 1). */
  burst: number;
}

/** Options every source that takes them shares (watch, timers, watchPath, memoryPressure). */
export interface SourceOptions {
  /** Dispatch order within one batch: lower first, ties in arrival order (default 0). */
  priority?: number;
  /** Pause the source for the rest of `intervalMs` once it was dispatched `burst` times in it. */
  rateLimit?: RateLimit;
}

/** The range of priorities: any safe integer, as sd-event's int64. */
const PRIORITY_MIN = Number.MIN_SAFE_INTEGER;
const PRIORITY_MAX = Number.MAX_SAFE_INTEGER;

/** @internal `options.priority` / `source.priority`, checked. */
export function validatePriority(value: unknown, name: string): number {
  return validateInteger(value, name, PRIORITY_MIN, PRIORITY_MAX);
}

/** @internal a rate limit, checked (undefined/null: none). */
export function validateRateLimit(value: unknown, name: string): RateLimit | undefined {
  if (value === undefined || value === null) return undefined;
  const opts = validateOptions<RateLimit>(value, name);
  const intervalMs = validateNonNegative(opts.intervalMs, `${name}.intervalMs`);
  if (intervalMs <= 0) throw new OutOfRangeError(`${name}.intervalMs must be > 0; got ${describeValue(intervalMs)}`);
  const burst = validateInteger(opts.burst, `${name}.burst`, 1, 0xffffffff);
  return { intervalMs, burst };
}

/** Which source a handler error came from. */
export interface SourceContext {
  /** The kind of source. */
  kind: SourceKind;
  /** Its fd, for fd watches. */
  fd?: number;
  /** Its description, when it has one. */
  description?: string;
}

const REF = 1;
const ACTIVE = 2;
const COUNTED = 4;
/** The kind is kept in the flags, above these bits, as its index in KINDS. */
const KIND_SHIFT = 3;
/** Every kind's bits in the flags: a Record, so that a kind added to SourceKind without a code does not compile. */
const KIND_CODES: Readonly<Record<SourceKind, number>> = {
  io: 0 << KIND_SHIFT,
  timer: 1 << KIND_SHIFT,
  signal: 2 << KIND_SHIFT,
  wakeup: 3 << KIND_SHIFT,
  child: 4 << KIND_SHIFT,
  defer: 5 << KIND_SHIFT,
  exit: 6 << KIND_SHIFT,
  path: 7 << KIND_SHIFT,
  pressure: 8 << KIND_SHIFT,
};
const KINDS = (Object.keys(KIND_CODES) as SourceKind[]).sort((a, b) => KIND_CODES[a] - KIND_CODES[b]);

/** What only some sources have, in one record made when first needed: a timer has none of it. */
interface SourceRecord {
  description: string | undefined;
  registration: Registration | undefined;
  tuning: Tuning | undefined;
}

/** @internal a source's place in the registry: its token, and its fd (-1: none) with the interest the registry holds for it (kept while paused). */
export interface Registration {
  readonly token: number;
  readonly fd: number;
  events: number;
}

/** A source's priority and rate-limit state (see Source#tuning). */
interface Tuning {
  priority: number;
  rateLimit: RateLimit | undefined;
  /** Start of the current rate-limit window (performance.now() ms); 0: no window open. */
  windowStart: number;
  windowCount: number;
  pauses: number;
  resume: { cancel(): void } | undefined;
}

/**
 * What every kind of source is, as sd-event's `sd_event_source` or libuv's
 * `uv_handle_t`: a kind, a description, whether it is active, whether it
 * keeps the loop alive, and how to dispose of it. The loop keeps the
 * registered ones in one registry and `Reactor.close()` disposes each.
 *
 * The ref count lives here and nowhere else: a source counts in the loop's
 * refs exactly while it is active and ref'ed, whatever order `ref()`,
 * `unref()` and the changes of activity come in.
 */
export abstract class Source {
  /** @internal the loop side */
  readonly core: LoopCore;
  /** @internal dispatches so far (the loop counts them) */
  dispatches = 0;
  /**
   * REF | ACTIVE | COUNTED and the kind, in one small integer. A timer is a
   * source, and at a million timers each field of a source is 8 MB more to
   * allocate and for the scavenger to copy: a source is four fields, and
   * what few sources have (a description, a registration, a priority or a
   * rate limit) lives in `#record`.
   */
  #flags: number;
  #record: SourceRecord | undefined;

  /** Sources are made by the loop's methods (`watch`, `after`, `onSignal` …). */
  protected constructor(core: LoopCore, kind: SourceKind, description: string | undefined, ref: boolean) {
    this.core = core;
    this.#flags = (ref ? REF : 0) | KIND_CODES[kind];
    if (description !== undefined) this.#record = { description, registration: undefined, tuning: undefined };
  }

  /** The kind of source, for logs and error reports. */
  get kind(): SourceKind {
    return KINDS[this.#flags >>> KIND_SHIFT]!;
  }

  /** The name given when it was made, for logs and errors. */
  get description(): string | undefined {
    return this.#record?.description;
  }

  /** @internal where the registry keeps the source (token, fd, interest); undefined while not registered */
  get registration(): Registration | undefined {
    return this.#record?.registration;
  }

  /** @internal set by the registry */
  set registration(registration: Registration | undefined) {
    if (registration !== undefined || this.#record !== undefined) this.#own().registration = registration;
  }

  #own(): SourceRecord {
    return (this.#record ??= { description: undefined, registration: undefined, tuning: undefined });
  }

  /** Priority and rate limit, made when first set: most sources (a million timers) have neither. */
  get #tuning(): Tuning | undefined {
    return this.#record?.tuning;
  }

  /** @internal the registry's key; 0 while not registered */
  get token(): number {
    return this.registration?.token ?? 0;
  }

  /** @internal the fd registered in the selector for this source, or -1 */
  get registeredFd(): number {
    return this.registration?.fd ?? -1;
  }

  /** Whether the source is live: registered, pending, awaited. */
  get active(): boolean {
    return (this.#flags & ACTIVE) !== 0;
  }

  /** Keep the loop alive while this source is active (the default). */
  ref(): this {
    this.#flags |= REF;
    this.#syncRef();
    return this;
  }

  /** Do not keep the loop alive for this source. */
  unref(): this {
    this.#flags &= ~REF;
    this.#syncRef();
    return this;
  }

  /** Whether this source keeps the loop alive while active. */
  hasRef(): boolean {
    return (this.#flags & REF) !== 0;
  }

  /** Dispatch order within a batch: lower runs first, ties in arrival order (default 0). */
  get priority(): number {
    return this.#tuning?.priority ?? 0;
  }

  /** Set the dispatch order within a batch (as `setPriority`). */
  set priority(priority: number) {
    this.setPriority(priority);
  }

  /** Set `priority` (any safe integer; lower runs first within a batch). */
  setPriority(priority: number): this {
    const checked = validatePriority(priority, 'priority');
    if (checked !== 0 || this.#tuning !== undefined) this.#tune().priority = checked;
    if (checked !== 0) this.core.usePriorities();
    return this;
  }

  /** The rate limit in force, if any. */
  get rateLimit(): RateLimit | undefined {
    const limit = this.#tuning?.rateLimit;
    return limit === undefined ? undefined : { ...limit };
  }

  /**
   * Limit how often the source is dispatched (sd_event_source_set_ratelimit):
   * once dispatched `burst` times within `intervalMs`, the next event is held
   * and the source paused until the interval ends, then it resumes by itself
   * (a level-triggered fd that is still ready fires again). `undefined`
   * removes the limit (and resumes a paused source). Sources driven by their
   * own fd take one (watches, path watches, memory pressure); others throw
   * ERR_REACTOR_RATELIMIT_UNSUPPORTED.
   */
  setRateLimit(limit: RateLimit | undefined): this {
    const checked = validateRateLimit(limit, 'limit');
    if (checked !== undefined && !this.rateLimitable) {
      throw new ReactorError('ERR_REACTOR_RATELIMIT_UNSUPPORTED', `a ${this.kind} source cannot be rate-limited: only sources driven by their own fd can (watch, watchPath, memoryPressure)`);
    }
    if (checked === undefined && this.#tuning === undefined) return this;
    const tuning = this.#tune();
    tuning.rateLimit = checked;
    tuning.windowStart = 0;
    tuning.windowCount = 0;
    if (tuning.resume !== undefined) this.#endPause();
    return this;
  }

  /** Whether the source is paused by its rate limit now. */
  get rateLimited(): boolean {
    return this.#tuning?.resume !== undefined;
  }

  /** This source's counters: dispatches and rate-limit pauses. */
  stats(): SourceStats {
    return { dispatches: this.dispatches, rateLimitPauses: this.#tuning?.pauses ?? 0, rateLimited: this.rateLimited };
  }

  #tune(): Tuning {
    return (this.#own().tuning ??= { priority: 0, rateLimit: undefined, windowStart: 0, windowCount: 0, pauses: 0, resume: undefined });
  }

  /** Whether `setRateLimit` applies: true for the sources driven by their own fd. */
  protected get rateLimitable(): boolean {
    return false;
  }

  /**
   * @internal Called by the loop before each dispatch of a rate-limited
   * source: false holds the event and pauses the source for the rest of its
   * window (sd-event's ratelimit_below()).
   */
  admit(): boolean {
    const tuning = this.#tuning;
    const limit = tuning?.rateLimit;
    if (limit === undefined) return true;
    if (tuning!.resume !== undefined) return false; // an event fetched before the pause took effect
    const now = performance.now();
    if (tuning!.windowStart === 0 || now - tuning!.windowStart >= limit.intervalMs) {
      tuning!.windowStart = now;
      tuning!.windowCount = 1;
      return true;
    }
    if (tuning!.windowCount < limit.burst) {
      tuning!.windowCount++;
      return true;
    }
    tuning!.pauses++;
    this.core.counters.rateLimitPauses++;
    this.pauseEvents();
    const resume = this.core.later(Math.max(0, tuning!.windowStart + limit.intervalMs - now), () => {
      if (tuning!.resume === resume) this.#endPause();
    });
    tuning!.resume = resume;
    this.core.logger.debug({ ...this.context(), ...limit }, 'source rate-limited: paused until its interval ends');
    return false;
  }

  /** @internal the source left the loop: a pending resume has nothing to resume */
  cancelPause(): void {
    const tuning = this.#tuning;
    const resume = tuning?.resume;
    if (resume === undefined) return;
    tuning!.resume = undefined;
    resume.cancel();
  }

  #endPause(): void {
    this.cancelPause();
    // As sd-event leaving the rate limit: a fresh window starts with the next dispatch.
    const tuning = this.#tuning!;
    tuning.windowStart = 0;
    tuning.windowCount = 0;
    if (this.token !== 0) this.resumeEvents();
  }

  /** Stop the kernel from reporting this source's fd (the registry keeps its interest for the resume). */
  protected pauseEvents(): void {
    this.core.pause(this);
  }

  /** Report the source's fd again after a pause. */
  protected resumeEvents(): void {
    this.core.resume(this);
  }

  /** Release what the source holds (its fd, its place in the loop). Idempotent. */
  abstract dispose(): void;

  /** @internal called by the loop with the ready epoll bits of the registered fd */
  dispatch(_events: number): void {}

  /** @internal which source a handler error came from */
  context(): SourceContext {
    const context: SourceContext = { kind: this.kind };
    if (this.registeredFd >= 0) context.fd = this.registeredFd;
    if (this.description !== undefined) context.description = this.description;
    return context;
  }

  /** @internal the subclass says when it becomes live or stops being live */
  protected setActive(active: boolean): void {
    this.#flags = active ? this.#flags | ACTIVE : this.#flags & ~ACTIVE;
    this.#syncRef();
  }

  #syncRef(): void {
    const flags = this.#flags;
    const counted = (flags & (ACTIVE | REF)) === (ACTIVE | REF);
    if (counted !== ((flags & COUNTED) !== 0)) {
      this.#flags = counted ? flags | COUNTED : flags & ~COUNTED;
      this.core.addRefs(counted ? 1 : -1);
    }
  }
}

/**
 * The part of a Reactor its sources use. Kept as an interface so that each
 * source lives in its own file without importing the loop. The selector
 * (the epoll set) stays behind it: sources register, modify and deregister.
 */
export interface LoopCore {
  readonly logger: ReactorLogger;
  readonly counters: ReactorStats;
  /**
   * Add `source` to the registry under a fresh token and, when `fd` is
   * given, put the fd in the epoll set with `events` (its events are then
   * dispatched to the source). `internal` marks the loop's own sources
   * (timerfds, signalfd, eventfd), which `close()` disposes last.
   */
  register(source: Source, fd?: number, events?: number, internal?: boolean): void;
  /**
   * Change the interest of the source's fd. Throws ENOENT when the fd was
   * closed and its number registered again by someone else: the kernel has
   * no registration of ours to change, and changing the number's would
   * change theirs.
   */
  modify(source: Source, events: number): void;
  /**
   * Remove the source from the registry (events already fetched for it are
   * dropped) and its fd from the epoll set. An fd already closed is not an
   * error, and a number that a newer registration took is left alone.
   */
  deregister(source: Source): void;
  /** Count a source that keeps the loop alive (+1) or stops doing so (-1). */
  addRefs(delta: number): void;
  /** A handler threw: log it, call the error hook, or stop the loop. */
  reportError(error: unknown, context: SourceContext): void;
  /** Ask for a turn soon even though no fd is ready (deferred work, changed timers). */
  requestTurn(): void;
  /**
   * A handler returned: in the default run mode, run Node's nextTick and
   * microtask queues now (see node-queues.ts), so that what it awaited
   * continues before the next handler runs. Nothing in thread mode.
   */
  afterCallback(): void;
  /** Run `callback` after the current batch (or on the next turn). */
  defer(callback: () => void): void;
  readonly closed: boolean;
  /** How the loop runs now (undefined while it does not). */
  readonly mode: RunMode | undefined;
  /**
   * Hold the source's fd events (a rate-limit pause): its registration stays,
   * disarmed with EPOLLONESHOT and no interest, so at most one EPOLLERR/
   * EPOLLHUP comes through (the loop holds it) and a closed fd still leaves
   * the set with its file.
   */
  pause(source: Source): void;
  /** Re-arm a paused source's fd with the interest it had (or was given meanwhile). */
  resume(source: Source): void;
  /** An unref'ed one-shot loop timer (rate-limit resumes). */
  later(delayMs: number, callback: () => void): { cancel(): void };
  /** A source got a priority other than 0: batches are ordered from now on. */
  usePriorities(): void;
  /**
   * Queue an event for `source` that arrived outside the epoll set (through
   * Node's loop): it is dispatched in the next turn's batch, ordered and
   * rate-limited like the fd events of that batch.
   */
  post(source: Source, events: number): void;
  /** Call `listener` each time the loop starts or stops running (mode, or undefined); returns the unsubscribe. */
  onRunMode(listener: (mode: RunMode | undefined) => void): () => void;
}

/** @internal the EPOLLONESHOT-without-interest a paused registration holds */
export const PAUSED_EVENTS = EPOLLONESHOT;
