import { blockSignals, getSignalAction, setSignalAction, SignalAction, sigrtmax } from '@reactor/fds';

/**
 * The carrier: the one signal through which handled signals reach a loop's
 * signalfd (see signal-router.ts). SIGRTMAX: realtime, so each forward
 * queues instead of coalescing, and the one libraries are least likely to
 * use (they start from SIGRTMIN). It is reserved: `onSignal` refuses it.
 */
export function carrierSignal(): number {
  return sigrtmax();
}

let threadPrepared = false;

/**
 * Make the calling thread able to receive the carrier: block it here, so that
 * a forward waits in this thread's queue for the signalfd; and have the
 * process ignore it, so that a forward to a thread that no longer blocks it
 * (a worker that just ended, a recycled thread id) or a stray `kill -RTMAX`
 * is dropped instead of killing the process (realtime signals terminate by
 * default). A blocked signal is never ignored at generation, so the blocking
 * thread still gets its forwards. The carrier stays blocked in the thread
 * for good: a forward already on its way must never find it unblocked.
 */
export function prepareThreadForCarrier(): void {
  if (threadPrepared) return;
  const carrier = carrierSignal();
  if (getSignalAction(carrier).disposition === 'default') setSignalAction(carrier, SignalAction.ignore());
  blockSignals([carrier]);
  threadPrepared = true;
}
