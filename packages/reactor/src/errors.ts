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

/** An error of the reactor with a permanent `code` (`ERR_REACTOR_*`, or Node's own where one fits). */
export class ReactorError extends Error {
  /** A permanent code to test for. */
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'ReactorError';
    this.code = code;
  }
}

/** An out-of-range argument, with a permanent `code`. */
export class ReactorRangeError extends RangeError {
  /** A permanent code to test for. */
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'RangeError';
    this.code = code;
  }
}
