/**
 * Running Node's nextTick and microtask queues between two handlers of one
 * turn.
 *
 * In the default run mode a turn of the reactor runs from an immediate
 * (reactor.ts, #scheduleNodeTurn): Node runs its queues when that immediate
 * returns, as after every callback it dispatches. Between the handlers of one
 * turn it would not, so the loop drains them itself after each handler, as
 * Node does between two of its timers or two immediates: a handler's `await`
 * continues before the next event is dispatched. See docs/node-integration.md.
 *
 * `process._tickCallback` is Node's own "run the nextTick queue, then the
 * microtasks" (runNextTicks in lib/internal/process/task_queues.js, what
 * processImmediate calls between immediates), kept for compatibility through
 * Node 26 (DEP0134, a documentation-only deprecation; under
 * --pending-deprecation it is wrapped to warn, which is silenced here).
 * Where it is gone, `drainNodeQueues` is null and the queues run once per
 * turn, when the turn's immediate returns.
 */

type Drain = () => void;

function findDrain(): Drain | null {
  const tick = (process as unknown as { _tickCallback?: unknown })._tickCallback;
  if (typeof tick !== 'function') return null;
  const run = tick as () => void;
  if (run.name !== 'deprecated') return () => run();
  return () => {
    const saved = process.noDeprecation;
    process.noDeprecation = true;
    try {
      run();
    } finally {
      process.noDeprecation = saved;
    }
  };
}

/** Runs the nextTick queue and then the microtasks, now; null where Node offers no way. */
export const drainNodeQueues: Drain | null = process.env.REACTOR_NO_TICK_DRAIN === '1' ? null : findDrain();
