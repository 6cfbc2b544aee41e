import type { ReactorLogger } from './logger';
import type { ReactorStats } from './stats';

/** The kinds of source a loop has, as they appear in logs and errors. */
export type SourceKind = 'io' | 'timer' | 'signal' | 'wakeup' | 'child' | 'defer' | 'exit';

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
  /** The kind of source, for logs and error reports. */
  readonly kind: SourceKind;
  /** The name given when it was made, for logs and errors. */
  readonly description: string | undefined;
  /** @internal the loop side */
  readonly core: LoopCore;
  /** @internal the registry's key; 0 while not registered */
  token = 0;
  /** @internal the fd registered in the selector for this source, or -1 */
  registeredFd = -1;
  /** REF | ACTIVE | COUNTED in one small integer: a source per timer makes each field count at a million timers. */
  #flags: number;

  /** Sources are made by the loop's methods (`watch`, `after`, `onSignal` …). */
  protected constructor(core: LoopCore, kind: SourceKind, description: string | undefined, ref: boolean) {
    this.core = core;
    this.kind = kind;
    this.description = description;
    this.#flags = ref ? REF : 0;
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
}
