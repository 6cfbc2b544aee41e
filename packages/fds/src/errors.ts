/**
 * Every error these packages throw has a permanent `code` to test for; the
 * message is for people and may change. Node's own codes where one fits:
 * a wrong type of argument is ERR_INVALID_ARG_TYPE (a TypeError), a value
 * out of its range or set is ERR_OUT_OF_RANGE (a RangeError), a right type
 * with an unusable value is ERR_INVALID_ARG_VALUE (a TypeError), a call the
 * object's state does not allow is ERR_INVALID_STATE. A failed system call
 * is a SystemError whose code is the errno name. The README's "Errors"
 * section lists every code.
 */

/** A wrong type of argument (Node's ERR_INVALID_ARG_TYPE). */
export class InvalidArgTypeError extends TypeError {
  /** A permanent code to test for. */
  readonly code = 'ERR_INVALID_ARG_TYPE';
}

/** An argument of the right type whose value cannot be used (Node's ERR_INVALID_ARG_VALUE). */
export class InvalidArgValueError extends TypeError {
  /** A permanent code to test for. */
  readonly code = 'ERR_INVALID_ARG_VALUE';
}

/** A number outside its range, or a name outside its set (Node's ERR_OUT_OF_RANGE). */
export class OutOfRangeError extends RangeError {
  /** A permanent code to test for. */
  readonly code = 'ERR_OUT_OF_RANGE';
}

/** A call that the object's current state does not allow (Node's ERR_INVALID_STATE). */
export class InvalidStateError extends Error {
  /** A permanent code to test for. */
  readonly code = 'ERR_INVALID_STATE';
}

/** An error with a permanent code and no class of its own: the project's `ERR_REACTOR_*`, and Node's `ERR_STREAM_*` where the streams speak. */
export class ReactorError extends Error {
  /** A permanent code to test for (`ERR_REACTOR_…`, or Node's own `ERR_STREAM_…`). */
  readonly code: string;
  /** `code` is the permanent code; `message` is for people. */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Use of an fd that this process already closed through its owner. */
export class ClosedFdError extends Error {
  /** A permanent code to test for. */
  readonly code = 'ERR_FD_CLOSED';
  constructor(what: string, operation: string) {
    super(`${operation}: ${what} is closed`);
    this.name = 'ClosedFdError';
  }
}

/**
 * A received message carried more fds than the buffer had room for
 * (MSG_CTRUNC): the kernel dropped the rest, so the message is unusable; the
 * fds that did arrive were closed before this was thrown.
 */
export class FdsTruncatedError extends Error {
  /** A permanent code to test for. */
  readonly code = 'ERR_REACTOR_FDS_TRUNCATED';
  /** How many fds arrived (and were closed). */
  readonly received: number;

  constructor(fd: number, received: number, maxFds: number) {
    super(`recvmsg (fd ${fd}): the message carried more than ${maxFds} fds; the ${received} that arrived were closed`);
    this.name = 'FdsTruncatedError';
    this.received = received;
  }
}

/**
 * An fd made elsewhere (inherited, received) is not the kind of socket it
 * was taken as. A TypeError, as Node's ERR_INVALID_ARG_TYPE is: the value is
 * of the wrong kind; the message starts with the argument's name.
 */
export class SocketKindError extends TypeError {
  /** A permanent code to test for. */
  readonly code = 'ERR_REACTOR_SOCKET_KIND';
  /** The fd checked. */
  readonly fd: number;
  /** What it had to be ('a listening stream socket' …). */
  readonly expected: string;
  /** What it is ('udp4', 'tcp4, listening', 'not a socket' …). */
  readonly actual: string;

  /** `name` is the argument that carried the fd ('fd', 'options.fd'). */
  constructor(fd: number, expected: string, actual: string, name = 'fd') {
    super(`${name} must be ${expected}; fd ${fd} is ${actual}`);
    this.name = 'SocketKindError';
    this.fd = fd;
    this.expected = expected;
    this.actual = actual;
  }
}
