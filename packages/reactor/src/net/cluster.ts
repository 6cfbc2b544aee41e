import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InvalidArgTypeError, InvalidArgValueError, OutOfRangeError, ReactorError } from '@reactor/fds';
import { describeValue, rawLibc, validateInteger, validateOptions } from '@reactor/fds/internal';
import { Waker, type WakeupHandle } from '../wakeup';

/** Options of `Cluster.start()`. */
export interface ClusterOptions {
  /** How many loops (one worker thread each). Default: the number of CPUs. */
  threads?: number;
  /**
   * A module whose default export or `setup` export is
   * `(loop: Reactor, data: unknown, index: number) => void | (() => void)`:
   * it makes the thread's listeners (with `reusePort: true`) and may return
   * a cleanup function run when the loop stops. Named as for
   * `new Worker()`: an absolute path, a path starting with './' or '../'
   * (relative to `process.cwd()`), or a `file:` URL (a URL object or its
   * string, e.g. `new URL('./setup.js', import.meta.url)`); any other string
   * is imported as a package name.
   */
  module: string | URL;
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
    const module = moduleSpecifier(opts.module);
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
          workerData: { module, data: opts.data, index, mode },
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

  /** `stop()` without waiting for the threads (for `using`; `await using` waits). */
  [Symbol.dispose](): void {
    void this.stop();
  }

  /** `stop()`, waiting for every thread to exit (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

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

/**
 * What the thread imports: relative paths resolved against the working
 * directory at the call (as `new Worker()` does), so that the module named is
 * the caller's, not one beside this package's files.
 */
function moduleSpecifier(module: unknown): string {
  if (module instanceof URL) {
    if (module.protocol !== 'file:') throw new InvalidArgValueError(`options.module must be a file: URL; got ${module.href}`);
    return module.href;
  }
  if (typeof module !== 'string' || module === '') throw new InvalidArgTypeError(`options.module must be a module path or a file: URL; got ${describeValue(module)}`);
  if (module.startsWith('file:')) return pathToFileURL(fileURLToPath(module)).href;
  if (isAbsolute(module) || module.startsWith('./') || module.startsWith('../')) return pathToFileURL(resolve(module)).href;
  return module;
}
