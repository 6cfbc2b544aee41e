/** Counters a loop keeps; `Reactor.stats()` returns a copy. */
export interface ReactorStats {
  /** Loop iterations (one epoll_wait and the dispatch of its events). */
  turns: number;
  /** Events dispatched to fd watchers and internal sources. */
  events: number;
  /** Timer callbacks run. */
  timersFired: number;
  /** Wake-up batches read from the loop's eventfd (many wakes coalesce into one). */
  wakeups: number;
  /** Messages received through wake-up handles. */
  messages: number;
  /** Signals delivered to handlers. */
  signals: number;
  /** Child exits delivered. */
  childrenExited: number;
  /** Exceptions thrown by handlers. */
  handlerErrors: number;
  /** Milliseconds spent waiting for events (in epoll_wait, or idle in Node's loop between turns). */
  waitMs: number;
  /** Milliseconds spent dispatching. */
  dispatchMs: number;
  /** Sources currently keeping the loop alive. */
  refs: number;
  /** Times a source was paused by its rate limit. */
  rateLimitPauses: number;
}

/** One source's counters (`source.stats()`). */
export interface SourceStats {
  /** Times its handler was called (for a timer: times it fired). */
  dispatches: number;
  /** Times its rate limit paused it. */
  rateLimitPauses: number;
  /** Whether it is paused by its rate limit now. */
  rateLimited: boolean;
}

export function emptyStats(): ReactorStats {
  return {
    turns: 0,
    events: 0,
    timersFired: 0,
    wakeups: 0,
    messages: 0,
    signals: 0,
    childrenExited: 0,
    handlerErrors: 0,
    waitMs: 0,
    dispatchMs: 0,
    refs: 0,
    rateLimitPauses: 0,
  };
}
