import { validateBoolean, validateNonNegative, validateOptions } from '@reactor/fds/internal';
import { abortError, ReactorClosedError, rejectIfLoopNeverRuns, validateSignal } from './errors';
import type { Reactor } from './reactor';
import type { SleepOptions } from './timers';

/**
 * `loop.sleep()`: a loop timer as a promise. It settles whatever happens:
 * resolved when the timer fires, rejected with ABORT_ERR when the signal is
 * aborted, with ERR_REACTOR_CLOSED when the loop closes first, and with
 * ERR_REACTOR_NOT_RUNNING when Node's loop runs dry while the reactor is
 * not running (the timer could then never fire).
 */
export function sleepOn(loop: Reactor, delayMs: number, options?: SleepOptions): Promise<void> {
  validateNonNegative(delayMs, 'delayMs');
  const opts = validateOptions<SleepOptions>(options);
  const ref = opts.ref === undefined ? true : validateBoolean(opts.ref, 'options.ref');
  const signal = validateSignal(opts.signal, 'options.signal');
  if (signal?.aborted) return Promise.reject(abortError(signal));
  if (loop.state === 'closed') return Promise.reject(new ReactorClosedError('sleep'));
  return new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => {
      unwatch();
      signal?.removeEventListener('abort', onAbort);
      timer.cancel();
      reject(error);
    };
    const onAbort = () => fail(abortError(signal!));
    const timer = loop.after(
      delayMs,
      () => {
        unwatch();
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      { ref, onLoopClose: () => fail(new ReactorClosedError('sleep')) },
    );
    const unwatch = rejectIfLoopNeverRuns(loop, 'sleep', fail);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
