import { validateBoolean, validateNonNegative, validateOptions } from '@reactor/fds/internal';
import { abortError, validateSignal } from './errors';
import type { Reactor } from './reactor';
import type { SleepOptions } from './timers';

/** `loop.sleep()`: a loop timer as a promise, cancelled by an AbortSignal. */
export function sleepOn(loop: Reactor, delayMs: number, options?: SleepOptions): Promise<void> {
  validateNonNegative(delayMs, 'delayMs');
  const opts = validateOptions<SleepOptions>(options);
  const ref = opts.ref === undefined ? true : validateBoolean(opts.ref, 'options.ref');
  const signal = validateSignal(opts.signal, 'options.signal');
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
