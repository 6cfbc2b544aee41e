import { createRequire } from 'node:module';
import { ReactorError } from '@reactor/fds';

/**
 * A libuv poll handle on an fd, so that Node's own loop tells us when the
 * reactor's epoll fd has events: no thread, no hand-off, no busy polling.
 *
 * Node has no public API that watches an arbitrary fd, so this uses the
 * `koffi.node.poll` handle that koffi ships (undocumented: everything that
 * depends on it is in this file, and the test suite exercises it). It is used
 * whichever binding makes the syscalls; only this wait comes from koffi.
 *
 * Because libuv calls epoll_wait on the main thread, an epoll set nested in
 * libuv's is evaluated for the main thread: a signalfd in it reports the
 * signals pending on the main thread, which is what the signal router needs.
 */
export interface NodePollHandle {
  start(): void;
  stop(): void;
  ref(): void;
  unref(): void;
  close(): void;
}

interface KoffiNodePoll {
  node?: { poll?: (fd: number, events: { readable: boolean }, callback: (status: number) => void) => NodePollHandle };
}

let pollFn: ((fd: number, events: { readable: boolean }, callback: (status: number) => void) => NodePollHandle) | undefined;

/** Whether this Node and koffi can watch an fd from Node's loop. */
export function nodePollAvailable(): boolean {
  try {
    loadPoll();
    return true;
  } catch {
    return false;
  }
}

function loadPoll() {
  if (pollFn === undefined) {
    const koffi = createRequire(__filename)('koffi') as KoffiNodePoll;
    const poll = koffi.node?.poll;
    if (typeof poll !== 'function') throw new ReactorError('ERR_REACTOR_NODE_POLL_UNAVAILABLE', 'koffi.node.poll is not available in this koffi version');
    pollFn = poll;
  }
  return pollFn;
}

/** Watch `fd` for readability from Node's loop; `onReadable` runs on this thread. */
export function watchReadable(fd: number, onReadable: (status: number) => void): NodePollHandle {
  return loadPoll()(fd, { readable: true }, onReadable);
}
