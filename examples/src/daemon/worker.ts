/**
 * The main-thread side of the worker thread: starts it with the loop's
 * wake-up handle, receives its results as loop messages, and stops it.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Reactor } from '@reactor/reactor';
import type { Logger } from 'pino';
import type { WorkerSettings, WorkerStart, WorkResult } from './worker-thread';

export interface WorkerStatus {
  threadId: number;
  running: boolean;
  results: number;
  last: WorkResult | undefined;
}

function isWorkResult(message: unknown): message is WorkResult {
  return message !== null && typeof message === 'object' && (message as WorkResult).kind === 'work-result';
}

export class HashWorker {
  readonly #worker: Worker;
  readonly #exited: Promise<number>;
  readonly #unsubscribe: () => void;
  #running = true;
  #results = 0;
  #last: WorkResult | undefined;

  constructor(loop: Reactor, settings: WorkerSettings, logger: Logger) {
    this.#unsubscribe = loop.onMessage((message) => {
      if (!isWorkResult(message)) return;
      this.#results++;
      this.#last = message;
      logger.debug({ batch: message.batch, busyMs: Math.round(message.busyMs * 10) / 10 }, 'worker result');
    });
    const start: WorkerStart = { ...settings, handle: loop.wakeupHandle() };
    this.#worker = new Worker(join(__dirname, 'worker-thread.js'), { workerData: start });
    this.#worker.on('error', (error) => logger.error({ err: error }, 'worker thread failed'));
    this.#exited = new Promise((resolve) =>
      this.#worker.once('exit', (code) => {
        this.#running = false;
        resolve(code);
      }),
    );
  }

  status(): WorkerStatus {
    return { threadId: this.#worker.threadId, running: this.#running, results: this.#results, last: this.#last };
  }

  update(settings: WorkerSettings): void {
    if (this.#running) this.#worker.postMessage({ settings });
  }

  /** Ask the thread to finish its batch and exit; terminate it if it has not after `timeoutMs`. */
  async stop(timeoutMs: number): Promise<number> {
    if (this.#running) this.#worker.postMessage({ stop: true });
    const timer = setTimeout(() => void this.#worker.terminate(), timeoutMs);
    const code = await this.#exited;
    clearTimeout(timer);
    this.#unsubscribe();
    return code;
  }
}
