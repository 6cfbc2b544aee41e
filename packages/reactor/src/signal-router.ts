import { BroadcastChannel, isMainThread } from 'node:worker_threads';
import { getSignalAction, queueSignalToThread, setSignalAction, SystemError, type SignalAction } from '@reactor/fds';
import { carrierSignal } from './signal-carrier';
import { listenThroughLibuv } from './uv-signal';

/**
 * How a signal sent to the process reaches the loops that handle it, without
 * taking it away from anyone else in Node (docs/signals.md says it at length).
 *
 * Node's threads do not block signals, so the kernel hands a process-directed
 * signal to whichever thread it picks, and a signalfd that has the signal in
 * its mask would race that thread for it (a signalfd reads the process-wide
 * queue too). So no loop ever puts a signal it handles in its signalfd.
 * Instead, on the main thread, this router listens for the signal the way
 * `process.on` does underneath: a libuv signal handle on Node's own loop
 * (libuv's handler runs on whatever thread the kernel picked, and every
 * handle for that signal, Node's listeners and child_process's SIGCHLD
 * reaping included, is called). Its callback forwards the signal to each
 * thread with a loop that handles it as one *carrier* signal, SIGRTMAX,
 * queued to that thread with rt_tgsigqueueinfo(2) and the signal's number as
 * payload. Each loop's thread blocks the carrier and each loop has a
 * signalfd for the carrier alone: thread-directed, it waits in that thread's
 * queue, so no one else can take it.
 *
 * When the last loop stops handling a signal, the libuv handle stops, and if
 * libuv then left the default action in place (it does when its last handle
 * for a signal goes) while something else was in force before the first loop
 * started, that is put back exactly (SIG_IGN of SIGPIPE, Node's own SIGINT
 * and SIGTERM handler).
 *
 * Only the main thread runs Node's signal machinery, so loops on worker
 * threads ask the main thread's router over a BroadcastChannel, and its
 * answer settles the subscription's `ready` promise.
 */

interface Route {
  readonly signo: number;
  /** Thread id → how many subscriptions on that thread. */
  readonly targets: Map<number, number>;
  /** The disposition in force before the router listened. */
  readonly before: SignalAction;
  stop: () => void;
}

const routes = new Map<number, Route>();
/** The address of libuv's signal handler, seen once the router listened. */
let libuvHandler: bigint | undefined;

/** Failed forwards, by errno name (EAGAIN: the target's queue of realtime signals was full). */
export const forwardFailures = new Map<string, number>();

function forward(route: Route): void {
  const carrier = carrierSignal();
  for (const tid of route.targets.keys()) {
    try {
      queueSignalToThread(tid, carrier, route.signo);
    } catch (error) {
      const code = error instanceof SystemError ? error.code : 'EUNKNOWN';
      // ESRCH: the thread is gone without unrouting (its worker was terminated).
      if (code === 'ESRCH') route.targets.delete(tid);
      forwardFailures.set(code, (forwardFailures.get(code) ?? 0) + 1);
    }
  }
}

/** Route `signo`, sent to the process, to thread `tid` (main thread only). */
function addRoute(signo: number, tid: number): void {
  let route = routes.get(signo);
  if (route === undefined) {
    const before = getSignalAction(signo);
    const created: Route = { signo, targets: new Map(), before, stop: () => undefined };
    created.stop = listenThroughLibuv(signo, () => forward(created));
    libuvHandler ??= getSignalAction(signo).handlerAddress;
    routes.set(signo, created);
    route = created;
  }
  route.targets.set(tid, (route.targets.get(tid) ?? 0) + 1);
}

function removeRoute(signo: number, tid: number): void {
  const route = routes.get(signo);
  if (route === undefined) return;
  const left = (route.targets.get(tid) ?? 0) - 1;
  if (left > 0) route.targets.set(tid, left);
  else route.targets.delete(tid);
  if (route.targets.size > 0) return;
  routes.delete(signo);
  route.stop();
  restoreDisposition(signo, route.before);
}

function restoreDisposition(signo: number, before: SignalAction): void {
  // Anything but SIG_DFL now means another libuv handle (a Node listener,
  // child_process) still listens: libuv's handler stays, as without us.
  if (getSignalAction(signo).disposition !== 'default') return;
  // libuv's handler before us belonged to listeners that have gone since:
  // the default action is what they left, as it would be without us.
  if (before.disposition === 'default' || before.handlerAddress === libuvHandler) return;
  setSignalAction(signo, before);
}

// ---- loops on worker threads ----------------------------------------------

const CHANNEL = '@reactor/reactor signal routes v1';

interface RouteMessage {
  op: 'route' | 'unroute' | 'routed';
  signo: number;
  tid: number;
  /** route: an id the main thread's `routed` answer carries back. */
  ack: number;
}

function isRouteMessage(data: unknown): data is RouteMessage {
  const m = data as RouteMessage;
  return (
    typeof m === 'object' && m !== null && (m.op === 'route' || m.op === 'unroute' || m.op === 'routed') &&
    Number.isInteger(m.signo) && Number.isInteger(m.tid) && Number.isInteger(m.ack)
  );
}

type Channel = BroadcastChannel & { ref(): void; unref(): void };
let channel: Channel | undefined;
/** Worker threads: route requests waiting for the main thread's answer. */
const pendingAcks = new Map<number, () => void>();

function workerChannel(): Channel {
  if (channel === undefined) {
    channel = new BroadcastChannel(CHANNEL) as Channel;
    channel.onmessage = (event: unknown) => onRouteMessage((event as { data: unknown }).data);
    // Only a worker waiting for an answer is kept alive by the channel.
    channel.unref();
  }
  return channel;
}

function onRouteMessage(data: unknown): void {
  if (!isRouteMessage(data)) return;
  if (!isMainThread) {
    if (data.op !== 'routed' || data.tid !== ownTid) return;
    const resolve = pendingAcks.get(data.ack);
    pendingAcks.delete(data.ack);
    if (pendingAcks.size === 0) channel?.unref();
    resolve?.();
    return;
  }
  if (data.op === 'unroute') {
    removeRoute(data.signo, data.tid);
  } else if (data.op === 'route') {
    try {
      addRoute(data.signo, data.tid);
      workerChannel().postMessage({ op: 'routed', signo: data.signo, tid: data.tid, ack: data.ack } satisfies RouteMessage);
    } catch (error) {
      process.emitWarning(`@reactor/reactor could not route signal ${data.signo} to thread ${data.tid}: ${String(error)}`, 'ReactorWarning');
    }
  }
}

// The main thread answers workers from the moment the package is loaded.
if (isMainThread) workerChannel();

let ownTid = 0;
let nextAck = 1;

/**
 * Route `signo`, sent to the process, to the calling thread `tid`. On the
 * main thread at once; on a worker when the main thread's router answers:
 * the promise settles then.
 */
export function routeToThisThread(signo: number, tid: number): Promise<void> {
  if (isMainThread) {
    addRoute(signo, tid);
    return Promise.resolve();
  }
  ownTid = tid;
  const ack = nextAck++;
  const ch = workerChannel();
  const answered = new Promise<void>((resolve) => pendingAcks.set(ack, resolve));
  ch.ref();
  ch.postMessage({ op: 'route', signo, tid, ack } satisfies RouteMessage);
  return answered;
}

/** Undo one `routeToThisThread`. */
export function unrouteFromThisThread(signo: number, tid: number): void {
  if (isMainThread) removeRoute(signo, tid);
  else workerChannel().postMessage({ op: 'unroute', signo, tid, ack: 0 } satisfies RouteMessage);
}
