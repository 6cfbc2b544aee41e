import type { Epoll } from '@reactor/fds';
import type { ReactorLogger } from './logger';
import type { ReactorStats } from './stats';

/** What the loop dispatches an epoll event to (looked up by token). */
export interface Dispatchable {
  dispatch(events: number): void;
}

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

/**
 * The part of a Reactor its sources use. Kept as an interface so that each
 * source lives in its own file without importing the loop.
 */
export interface LoopCore {
  readonly epoll: Epoll;
  readonly logger: ReactorLogger;
  readonly counters: ReactorStats;
  /** Register `target` under a fresh token; returns the token. */
  register(fd: number, events: number, target: Dispatchable): number;
  /** Forget a token: events already fetched for it are dropped. */
  unregister(token: number): void;
  /**
   * Whether `token` is still the registration of `fd` in the epoll set. It is
   * not once the fd was closed without being removed and its number was
   * registered again (the kernel dropped the old one with the file): an
   * epoll_ctl on the number then would change the new registration.
   */
  isCurrent(fd: number, token: number): boolean;
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
