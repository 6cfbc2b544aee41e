import { InvalidArgTypeError, ReactorError } from '@reactor/fds';
import { describeValue, validateBoolean, validateNonNegative, validateOptions } from '@reactor/fds/internal';
import type { Reactor } from './reactor';
import type { SleepOptions } from './timers';

/** Node's AbortError shape (name AbortError, code ABORT_ERR, the signal's reason as cause). */
function abortError(signal: AbortSignal): Error {
  const error = new ReactorError('ABORT_ERR', 'The operation was aborted', { cause: signal.reason });
  error.name = 'AbortError';
  return error;
}

/** `loop.sleep()`: a loop timer as a promise, cancelled by an AbortSignal. */
export function sleepOn(loop: Reactor, delayMs: number, options?: SleepOptions): Promise<void> {
  validateNonNegative(delayMs, 'delayMs');
  const opts = validateOptions<SleepOptions>(options);
  const ref = opts.ref === undefined ? true : validateBoolean(opts.ref, 'options.ref');
  const signal = opts.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidArgTypeError(`options.signal must be an AbortSignal; got ${describeValue(signal)}`);
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      timer.cancel();
      reject(abortError(signal!));
    };
    const timer = loop.after(delayMs, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, { ref });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
