import { constants as osConstants } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { getpid, SystemError, tgkill } from '@reactor/fds';

/**
 * Signals sent to the process from outside (`kill -TERM <pid>`) do not stay
 * pending for a signalfd in a Node process: the kernel hands them to one of
 * Node's own threads, which do not block them (docs/linux-and-node.md). So, for each signal
 * a loop handles, this router
 *   1. installs a Node signal listener (libuv's handler runs on whichever
 *      thread the kernel picked, and Node calls the listener on the main
 *      thread): the process no longer dies of the signal;
 *   2. in that listener, re-sends the signal to the loop's thread with
 *      tgkill(2). That thread blocks the signal, so it stays pending there
 *      and the loop's signalfd reports it like any other event.
 * Standard signals coalesce while pending, as POSIX says; realtime signals
 * queue (libuv calls the listener once per delivery, and each tgkill queues
 * one). When the last loop stops handling a signal, the listener goes and
 * Node's previous disposition comes back.
 *
 * Only the main thread can listen for process signals in Node, so routing
 * from outside works for loops on the main thread; thread-directed signals
 * (tgkill to the loop's thread) work for loops on any thread.
 */

type Listener = () => void;

interface Route {
  targets: Set<number>;
  listener: Listener;
  remove: () => void;
}

const routes = new Map<number, Route>();

/** Signals Node lets `process.on` listen for. */
const nodeSignalNames = new Map<number, NodeJS.Signals>();
for (const [name, num] of Object.entries(osConstants.signals)) {
  if (!nodeSignalNames.has(num)) nodeSignalNames.set(num, name as NodeJS.Signals);
}

interface SignalWrap {
  onsignal: (signum: number) => void;
  start(signum: number): number;
  close(): void;
  unref?(): void;
}

/**
 * Realtime signals have no names in Node, so `process.on` cannot take them;
 * libuv itself can. This reaches libuv's signal handle through Node's
 * internal binding (the same one `process.on` uses), keeping its deprecation
 * warning quiet. Everything that depends on it is here.
 */
function listenRealtime(signo: number, listener: Listener): () => void {
  const proc = process as unknown as { binding(name: string): { Signal: new () => SignalWrap }; noDeprecation?: boolean };
  const saved = proc.noDeprecation;
  proc.noDeprecation = true;
  let Signal: new () => SignalWrap;
  try {
    Signal = proc.binding('signal_wrap').Signal;
  } finally {
    proc.noDeprecation = saved;
  }
  const wrap = new Signal();
  wrap.onsignal = () => listener();
  const err = wrap.start(signo);
  if (err !== 0) {
    wrap.close();
    throw new SystemError('uv_signal_start', err);
  }
  // Like process.on listeners on other handles, this does not keep Node alive.
  wrap.unref?.();
  return () => wrap.close();
}

/** Whether process-directed signals can be routed to `tid` (the main thread only). */
export function canRouteProcessSignals(): boolean {
  return isMainThread;
}

/** Route `signo`, when sent to the process, to thread `tid` (which must block it). */
export function routeSignal(signo: number, tid: number): void {
  let route = routes.get(signo);
  if (route === undefined) {
    const targets = new Set<number>();
    const pid = getpid();
    const listener: Listener = () => {
      for (const target of targets) {
        try {
          tgkill(pid, target, signo);
        } catch {
          // The thread is gone (ESRCH): its loop ended without unrouting.
          targets.delete(target);
        }
      }
    };
    const name = nodeSignalNames.get(signo);
    let remove: () => void;
    if (name !== undefined) {
      process.on(name, listener);
      remove = () => process.removeListener(name, listener);
    } else {
      remove = listenRealtime(signo, listener);
    }
    route = { targets, listener, remove };
    routes.set(signo, route);
  }
  route.targets.add(tid);
}

/** Stop routing `signo` to `tid`; the last target removes the listener. */
export function unrouteSignal(signo: number, tid: number): void {
  const route = routes.get(signo);
  if (route === undefined) return;
  route.targets.delete(tid);
  if (route.targets.size === 0) {
    routes.delete(signo);
    route.remove();
  }
}
