/**
 * Running Node's nextTick and microtask queues from inside a callback that
 * Node did not dispatch itself.
 *
 * In the default run mode, a turn of the reactor runs inside a libuv poll
 * callback (node-poll.ts). Node drains its queues after the callbacks it
 * dispatches through its own machinery (timers, immediates, I/O of its
 * handles), but not necessarily after a foreign handle's callback: on Node
 * 26 a promise continuation queued by a handler waited until some unrelated
 * Node callback ran, up to a second later (on 20, 22 and 24 it ran soon
 * after). So the loop drains the queues itself after each handler, as Node
 * does between two timers or two I/O callbacks: a handler's `await`
 * continues before the next event is dispatched. See docs/node-integration.md.
 *
 * `process._tickCallback` is Node's own "run the nextTick queue, then the
 * microtasks" (runNextTicks in lib/internal/process/task_queues.js), kept for
 * compatibility through Node 26 (DEP0134, a documentation-only deprecation;
 * under --pending-deprecation it is wrapped to warn, which is silenced
 * here). Where it is gone, `drainNodeQueues` is null and the loop hands each
 * turn's end to a setImmediate instead (Node drains after it): the queues
 * then run once per turn rather than after each handler.
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
