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
