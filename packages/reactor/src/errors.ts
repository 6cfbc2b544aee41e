import { InvalidArgTypeError, ReactorError } from '@reactor/fds';
import { describeValue } from '@reactor/fds/internal';

/**
 * Use of a Reactor after `close()`: every operation that would add work to
 * the loop (a watch, a timer, a signal handler, a connection, `run()`)
 * throws this instead of touching fds the loop no longer owns.
 */
export class ReactorClosedError extends Error {
  /** A permanent code to test for. */
  readonly code = 'ERR_REACTOR_CLOSED';

  /** `operation` names what was attempted ('watch', 'timer', 'run' …). */
  constructor(operation: string) {
    super(`${operation}: the reactor is closed`);
    this.name = 'ReactorClosedError';
  }
}

export { ReactorError } from '@reactor/fds';

/** @internal Node's AbortError shape (name AbortError, code ABORT_ERR, the signal's reason as cause). */
export function abortError(signal: AbortSignal): Error {
  const error = new ReactorError('ABORT_ERR', 'The operation was aborted', { cause: signal.reason });
  error.name = 'AbortError';
  return error;
}

/** @internal `options.signal`, checked: undefined or an AbortSignal. */
export function validateSignal(signal: unknown, name: string): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidArgTypeError(`${name} must be an AbortSignal; got ${describeValue(signal)}`);
  return signal;
}

/**
 * @internal A promise that needs the loop to turn (`connect()`, `sleep()`,
 * `Listener.closeAndWait()`) when the loop is not running: what to do.
 */
export function notRunningError(operation: string): ReactorError {
  return new ReactorError(
    'ERR_REACTOR_NOT_RUNNING',
    `${operation}: the loop is not running and nothing else keeps the process alive, so this promise could never settle; start the loop first (const running = loop.run(); … await running)`,
  );
}

interface Waiting {
  readonly loop: { readonly state: string };
  readonly operation: string;
  readonly reject: (error: Error) => void;
}

const waiting = new Set<Waiting>();

/**
 * Node's loop ran dry: a promise waiting on a loop that is not running can
 * never settle, and a top-level `await` on it would end the process with
 * exit code 13 and no word. Reject it instead, saying what to do.
 */
function onBeforeExit(): void {
  for (const entry of waiting) {
    if (entry.loop.state === 'running') continue;
    waiting.delete(entry);
    entry.reject(notRunningError(entry.operation));
  }
  if (waiting.size === 0) process.removeListener('beforeExit', onBeforeExit);
}

/**
 * @internal Reject `reject` with ERR_REACTOR_NOT_RUNNING if Node's loop runs
 * dry while `loop` is not running (Node then emits 'beforeExit'). Returns
 * the function that ends the watch (call it when the promise settles).
 */
export function rejectIfLoopNeverRuns(loop: { readonly state: string }, operation: string, reject: (error: Error) => void): () => void {
  const entry: Waiting = { loop, operation, reject };
  if (waiting.size === 0) process.on('beforeExit', onBeforeExit);
  waiting.add(entry);
  return () => {
    if (waiting.delete(entry) && waiting.size === 0) process.removeListener('beforeExit', onBeforeExit);
  };
}
