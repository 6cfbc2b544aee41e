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
