/**
 * The daemon's worker thread: real CPU work off the loop's thread (a chain of
 * SHA-256 rounds per batch), each result handed to the loop through the
 * loop's eventfd (`Waker.post`), not through Node's postMessage. Settings and
 * the stop request come from the main thread over `parentPort`.
 */
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { Waker, type WakeupHandle } from '@reactor/reactor';

export interface WorkerSettings {
  intervalMs: number;
  hashRounds: number;
}

export interface WorkerStart extends WorkerSettings {
  handle: WakeupHandle;
}

/** What the worker posts to the loop after each batch. */
export interface WorkResult {
  kind: 'work-result';
  batch: number;
  /** Hex SHA-256 at the end of the chain. */
  digest: string;
  hashRounds: number;
  busyMs: number;
}

/** `hashRounds` chained SHA-256 digests starting from `seed`. */
export function hashChain(seed: string, hashRounds: number): string {
  let digest = Buffer.from(seed);
  for (let i = 0; i < hashRounds; i++) digest = createHash('sha256').update(digest).digest();
  return digest.toString('hex');
}

function start({ handle, intervalMs, hashRounds }: WorkerStart): void {
  const waker = new Waker(handle);
  let settings: WorkerSettings = { intervalMs, hashRounds };
  let batch = 0;
  let timer: NodeJS.Timeout;
  const runBatch = () => {
    batch++;
    const began = performance.now();
    const digest = hashChain(`batch ${batch}`, settings.hashRounds);
    const result: WorkResult = { kind: 'work-result', batch, digest, hashRounds: settings.hashRounds, busyMs: performance.now() - began };
    // false: the ring is full (the loop is behind) or closed; drop this result, keep working.
    waker.post(result);
    timer = setTimeout(runBatch, settings.intervalMs);
  };
  timer = setTimeout(runBatch, settings.intervalMs);
  parentPort!.on('message', (message: { stop?: true; settings?: WorkerSettings }) => {
    if (message.stop) {
      clearTimeout(timer);
      parentPort!.close(); // nothing else keeps this thread alive: it exits
    } else if (message.settings) {
      settings = message.settings;
    }
  });
}

if (parentPort !== null && workerData?.handle) start(workerData as WorkerStart);
