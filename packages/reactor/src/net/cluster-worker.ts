/**
 * The body of each Cluster thread: make a reactor, run the user's setup
 * module on it, report the loop's wake-up handle, and run until stopped.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Reactor } from '../index';
import { InvalidArgValueError } from '@reactor/fds';

interface ClusterWorkerData {
  module: string;
  data: unknown;
  index: number;
  mode: 'thread' | 'node';
}

type Setup = (loop: Reactor, data: unknown, index: number) => void | (() => void);

async function main(): Promise<void> {
  const { module, data, index, mode } = workerData as ClusterWorkerData;
  const loop = new Reactor({ keepLoopAlive: true });
  let cleanup: void | (() => void);
  try {
    const imported = (await import(module)) as { default?: Setup | { setup?: Setup; default?: Setup }; setup?: Setup };
    const setup = imported.setup ?? (typeof imported.default === 'function' ? imported.default : imported.default?.setup ?? imported.default?.default);
    if (typeof setup !== 'function') throw new InvalidArgValueError(`${module} exports no setup function`);
    cleanup = setup(loop, data, index);
  } catch (error) {
    // Close before reporting: the parent may end this thread as soon as the
    // report arrives, and a loop closed after that would leak its fds.
    loop.close();
    parentPort!.postMessage({ error: error instanceof Error ? error.stack : String(error) });
    return;
  }
  loop.onExit(() => {
    if (typeof cleanup === 'function') cleanup();
  });
  parentPort!.postMessage({ ready: { handle: loop.wakeupHandle(), index } });
  if (mode === 'node') await loop.run();
  else loop.runBlocking();
  loop.close();
}

void main();
