import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { InvalidArgTypeError, OutOfRangeError, ReactorError } from '@reactor/fds';
import { describeValue, rawLibc, validateInteger, validateOptions } from '@reactor/fds/internal';
import { Waker, type WakeupHandle } from '../wakeup';

/** Options of `Cluster.start()`. */
export interface ClusterOptions {
  /** How many loops (one worker thread each). Default: the number of CPUs. */
  threads?: number;
  /**
   * A module (path) whose default export or `setup` export is
   * `(loop: Reactor, data: unknown, index: number) => void | (() => void)`:
   * it makes the thread's listeners (with `reusePort: true`) and may return
   * a cleanup function run when the loop stops.
   */
  module: string;
  /** Structured-cloneable data handed to each setup call. */
  data?: unknown;
  /** 'thread' (default: each loop owns its worker thread) or 'node'. */
  mode?: 'thread' | 'node';
}

interface WorkerReport {
  ready?: { handle: WakeupHandle; index: number };
  error?: string;
}

/**
 * N reactors in N worker threads from one call: each runs the same setup
 * module (typically a listener on one port with SO_REUSEPORT, so the kernel
 * spreads connections across the threads). `stop()` stops every loop through
 * its eventfd and waits for the threads to exit.
 *
 * @example
 * ```ts
 * import { fileURLToPath } from 'node:url';
 * import { isMainThread } from 'node:worker_threads';
 * import { Cluster, type Reactor } from '@reactor/reactor';
 *
 * // Runs in each thread, on that thread's loop (a server would listen here with reusePort: true).
 * export function setup(loop: Reactor, _data: unknown, index: number): void {
 *   loop.onMessage((message) => console.log(`thread ${index}: ${String(message)}`));
 * }
 *
 * if (isMainThread) {
 *   const cluster = await Cluster.start({ threads: 2, module: fileURLToPath(import.meta.url) });
 *   cluster.broadcast('hello');
 *   await new Promise((resolve) => setTimeout(resolve, 100));
 *   await cluster.stop();
 * }
 * ```
 */
export class Cluster {
  readonly #workers: Worker[] = [];
  readonly #wakers: Waker[] = [];
  readonly #exits: Array<Promise<number>> = [];
  /** Threads that reported (ready or failed): they end by themselves. */
  #reported = 0;

  private constructor() {}

  /**
   * Start the threads one after another: each has loaded the FFI binding and
   * reported ready before the next starts (concurrent first loads of ffi-rs
   * in several workers corrupted its heap: see docs/linux-and-node.md).
   */
  static async start(options: ClusterOptions): Promise<Cluster> {
    const opts = validateOptions<ClusterOptions>(options);
    const threads = opts.threads === undefined ? availableParallelism() : validateInteger(opts.threads, 'options.threads', 1, 1024);
    if (typeof opts.module !== 'string') throw new InvalidArgTypeError(`options.module must be a module path; got ${describeValue(opts.module)}`);
    const mode = opts.mode ?? 'thread';
    if (mode !== 'thread' && mode !== 'node') throw new OutOfRangeError(`options.mode must be 'thread' or 'node'; got ${describeValue(mode)}`);
    // The binding must be loaded in the main thread too: ffi-rs loaded only
    // in workers crashed the process when they exited (docs/linux-and-node.md).
    rawLibc();
    const cluster = new Cluster();
    // At process exit (process.exit(), an uncaught exception) Node terminates
    // the threads and waits for them, but a thread blocked in epoll_wait never
    // notices: wake every loop so that the process can end (it hung otherwise).
    process.once('exit', cluster.#wakeAllAtExit);
    try {
      for (let index = 0; index < threads; index++) {
        const worker = new Worker(require.resolve('./cluster-worker'), {
          workerData: { module: opts.module, data: opts.data, index, mode },
        });
        cluster.#exits.push(new Promise((resolve) => worker.once('exit', resolve)));
        cluster.#workers.push(worker);
        const report = await new Promise<WorkerReport>((resolve) => {
          worker.once('message', (message: WorkerReport) => {
            // The thread answered: ready, or failed and already closed its loop.
            cluster.#reported++;
            resolve(message);
          });
          worker.once('error', (error) => resolve({ error: String(error) }));
        });
        if (report.error !== undefined || report.ready === undefined) throw new ReactorError('ERR_REACTOR_CLUSTER_START', `cluster thread ${index} failed to start: ${report.error}`);
        cluster.#wakers.push(new Waker(report.ready.handle));
      }
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** How many loops (threads) run. */
  get size(): number {
    return this.#workers.length;
  }

  /** Post a message to every loop (delivered to `loop.onMessage` handlers). */
  broadcast(message: unknown): void {
    for (const waker of this.#wakers) waker.post(message);
  }

  readonly #wakeAllAtExit = (): void => {
    for (const waker of this.#wakers) waker.stopLoop();
  };

  /** Stop every loop and wait for its thread to exit; resolves with the exit codes. */
  async stop(): Promise<number[]> {
    process.removeListener('exit', this.#wakeAllAtExit);
    for (const waker of this.#wakers) waker.stopLoop();
    // A thread that never answered has no waker: end it the hard way. One that
    // answered with a failure has closed its loop and is ending by itself
    // (terminating it could cut it short before its fds are closed).
    for (const worker of this.#workers.slice(this.#reported)) void worker.terminate();
    return Promise.all(this.#exits);
  }
}
