import type { ChildProcess } from 'node:child_process';
import { EPOLLIN, PidFd, SystemError } from '@reactor/fds';
import { describeValue, validateFunction, validateInteger } from '@reactor/fds/internal';
import type { Dispatchable, LoopCore } from './source';

/** How a watched child ended. */
export interface ChildExit {
  /** The child's process id. */
  pid: number;
  /** The exit code when it exited, else null. */
  exitCode: number | null;
  /** The terminating signal's name when it was killed, else null. */
  signal: string | null;
  /** Whether it dumped core. */
  coreDumped: boolean;
}

/** Called once, with how the child ended. */
export type ChildHandler = (exit: ChildExit) => void;

const ECHILD = 10;

/**
 * Watches one process through a pidfd (pidfd_open(2)): the pidfd becomes
 * readable when the process exits, with no SIGCHLD handler and no pid-reuse
 * race. The status is read with waitid(P_PIDFD, WNOWAIT), which leaves the
 * zombie for its reaper: for `child_process` children that is libuv, which
 * reaps on SIGCHLD; if libuv got there first, the status comes from the
 * ChildProcess's own 'exit' event instead.
 *
 * @example
 * ```ts
 * import { spawn } from 'node:child_process';
 * import { Reactor } from '@reactor/reactor';
 *
 * const loop = new Reactor();
 * // A pidfd in the epoll set: no SIGCHLD handler, no pid-reuse race.
 * loop.watchChild(spawn('sh', ['-c', 'exit 7']), (exit) => console.log(`exit code ${exit.exitCode}`));
 * await loop.run();
 * loop.close();
 * ```
 */
export class ChildWatch implements Dispatchable {
  /** The watched process. */
  readonly pid: number;
  readonly #core: LoopCore;
  readonly #handler: ChildHandler;
  readonly #child: ChildProcess | undefined;
  #pidfd: PidFd | undefined;
  #token = 0;
  #ref: boolean;

  /** @internal use `Reactor.watchChild()` */
  constructor(core: LoopCore, target: number | ChildProcess, handler: ChildHandler, options: { ref?: boolean }) {
    this.#core = core;
    this.#handler = validateFunction<ChildHandler>(handler, 'handler');
    if (typeof target === 'number') {
      this.pid = validateInteger(target, 'target', 1, 0x7fffffff);
    } else if (target !== null && typeof target === 'object' && typeof target.pid === 'number') {
      this.pid = validateInteger(target.pid, 'target.pid', 1, 0x7fffffff);
      this.#child = target;
    } else {
      throw new TypeError(`target must be a pid or a ChildProcess that has started (with a pid); got ${describeValue(target)}`);
    }
    this.#ref = options.ref !== false;
    this.#pidfd = PidFd.open(this.pid);
    this.#token = core.register(this.#pidfd.fd, EPOLLIN, this);
    if (this.#ref) core.addRefs(1);
  }

  /** Whether the exit is still awaited. */
  get active(): boolean {
    return this.#token !== 0;
  }

  /** @internal called by the loop when the pidfd is readable */
  dispatch(): void {
    const pidfd = this.#pidfd;
    if (pidfd === undefined) return;
    let status: ReturnType<PidFd['wait']>;
    try {
      status = pidfd.wait({ noWait: true });
    } catch (error) {
      if (!(error instanceof SystemError && error.errno === -ECHILD)) throw error;
      status = undefined as never;
      this.#stopWatching();
      this.#fromChildProcess();
      return;
    }
    if (status === null) return; // readable but not yet waitable: try again next event
    this.#stopWatching();
    this.#deliver({
      pid: this.pid,
      exitCode: status.code === 'exited' ? status.status : null,
      signal: status.code === 'exited' ? null : (status.signal ?? null),
      coreDumped: status.code === 'dumped',
    });
  }

  #fromChildProcess(): void {
    const child = this.#child;
    const deliver = (code: number | null, signal: NodeJS.Signals | null) =>
      this.#deliver({ pid: this.pid, exitCode: code, signal, coreDumped: false });
    if (child === undefined) return deliver(null, null);
    if (child.exitCode !== null || child.signalCode !== null) return deliver(child.exitCode, child.signalCode);
    this.#core.addRefs(1);
    child.once('exit', (code, signal) => {
      this.#core.addRefs(-1);
      deliver(code, signal);
    });
  }

  #deliver(exit: ChildExit): void {
    this.#core.counters.childrenExited++;
    try {
      this.#handler(exit);
    } catch (error) {
      this.#core.reportError(error, { kind: 'child', description: `pid ${this.pid}` });
    }
  }

  #stopWatching(): void {
    if (this.#token === 0) return;
    this.#core.unregister(this.#token);
    this.#token = 0;
    if (this.#ref) this.#core.addRefs(-1);
    this.#pidfd?.close();
    this.#pidfd = undefined;
  }

  /** Stop watching (the handler will not run). */
  remove(): void {
    this.#stopWatching();
  }

  /** Keep the loop alive until the child exits (the default). */
  ref(): this {
    if (!this.#ref) {
      this.#ref = true;
      if (this.#token !== 0) this.#core.addRefs(1);
    }
    return this;
  }

  /** Do not keep the loop alive for this child. */
  unref(): this {
    if (this.#ref) {
      this.#ref = false;
      if (this.#token !== 0) this.#core.addRefs(-1);
    }
    return this;
  }
}
