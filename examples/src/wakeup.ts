/**
 * The pattern eventfd(2) is for: the loop waits in epoll; a worker thread
 * changes a shared object, then writes the loop's eventfd; the loop wakes and
 * prints what changed. Repeated, then the worker ends and the loop exits.
 *
 *   pnpm --silent example wakeup [rounds]
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Reactor, Waker, type WakeupHandle } from '@reactor/reactor';

interface Shared {
  handle: WakeupHandle;
  state: SharedArrayBuffer;
  rounds: number;
}

// Slot 0: a version number; slot 1: the value the worker changed.
function worker({ handle, state, rounds }: Shared): void {
  const waker = new Waker(handle);
  const shared = new Int32Array(state);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let round = 1; round <= rounds; round++) {
    Atomics.wait(pause, 0, 0, 50); // some work
    Atomics.store(shared, 1, round * round);
    Atomics.add(shared, 0, 1);
    waker.wake();
  }
  parentPort?.postMessage('done');
}

export async function main(args: string[]): Promise<number> {
  const rounds = args[0] === undefined ? 5 : Number(args[0]);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`rounds must be an integer >= 1; got ${args[0]}`);
  const loop = new Reactor({ keepLoopAlive: true });
  const state = new SharedArrayBuffer(8);
  const shared = new Int32Array(state);
  let seenVersion = 0;
  // The wake-up itself is the event: each turn, look at what changed.
  const handle = loop.wakeupHandle();
  const check = () => {
    const version = Atomics.load(shared, 0);
    if (version !== seenVersion) {
      console.log(`loop woke: value changed to ${Atomics.load(shared, 1)} (version ${version})`);
      seenVersion = version;
      if (version >= rounds) loop.stop();
    }
  };
  loop.onWake(check);
  const thread = new Worker(__filename, { workerData: { handle, state, rounds } satisfies Shared });
  const threadExited = new Promise((resolve) => thread.once('exit', resolve));
  console.log('loop waiting in epoll');
  await loop.run();
  await threadExited;
  loop.close();
  console.log(`done: ${rounds} wake-ups, ${loop.stats().wakeups} turns woken by the eventfd`);
  return 0;
}

if (!isMainThread && workerData?.handle) worker(workerData as Shared);
