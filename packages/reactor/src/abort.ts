import { InvalidArgTypeError, ReactorError } from '@reactor/fds';
import { describeValue } from '@reactor/fds/internal';

/** Node's AbortError shape (name AbortError, code ABORT_ERR, the signal's reason as cause). */
export function abortError(signal: AbortSignal): Error {
  const error = new ReactorError('ABORT_ERR', 'The operation was aborted', { cause: signal.reason });
  error.name = 'AbortError';
  return error;
}

/** `options.signal`, checked: undefined or an AbortSignal. */
export function validateSignal(signal: unknown, name: string): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidArgTypeError(`${name} must be an AbortSignal; got ${describeValue(signal)}`);
  return signal;
}
