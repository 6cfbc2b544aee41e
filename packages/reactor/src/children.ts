import type { ChildProcess } from 'node:child_process';
import { EPOLLIN, InvalidArgTypeError, PidFd, SystemError } from '@reactor/fds';
import { describeValue, ECHILD, validateFunction, validateInteger } from '@reactor/fds/internal';
import { Source, type LoopCore } from './source';

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
export class ChildWatch extends Source {
  /** The watched process. */
  readonly pid: number;
  readonly #handler: ChildHandler;
  readonly #child: ChildProcess | undefined;
  #pidfd: PidFd | undefined;
  #onChildExit: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;

  /** @internal use `Reactor.watchChild()` */
  constructor(core: LoopCore, target: number | ChildProcess, handler: ChildHandler, options: { ref?: boolean }) {
    super(core, 'child', undefined, options.ref !== false);
    this.#handler = validateFunction<ChildHandler>(handler, 'handler');
    if (typeof target === 'number') {
      this.pid = validateInteger(target, 'target', 1, 0x7fffffff);
    } else if (target !== null && typeof target === 'object' && typeof target.pid === 'number') {
      this.pid = validateInteger(target.pid, 'target.pid', 1, 0x7fffffff);
      this.#child = target;
    } else {
      throw new InvalidArgTypeError(`target must be a pid or a ChildProcess that has started (with a pid); got ${describeValue(target)}`);
    }
    const pidfd = PidFd.open(this.pid);
    try {
      core.register(this, pidfd.fd, EPOLLIN);
    } catch (error) {
      pidfd.close();
      throw error;
    }
    this.#pidfd = pidfd;
    this.setActive(true);
  }

  /** @internal called by the loop when the pidfd is readable */
  override dispatch(): void {
    const pidfd = this.#pidfd;
    if (pidfd === undefined) return;
    let status: ReturnType<PidFd['wait']>;
    try {
      status = pidfd.wait({ noWait: true });
    } catch (error) {
      if (!(error instanceof SystemError && error.errno === -ECHILD)) throw error;
      this.#closePidfd();
      this.#fromChildProcess();
      return;
    }
    if (status === null) return; // readable but not yet waitable: try again next event
    this.#closePidfd();
    this.#deliver({
      pid: this.pid,
      exitCode: status.code === 'exited' ? status.status : null,
      signal: status.code === 'exited' ? null : (status.signal ?? null),
      coreDumped: status.code === 'dumped',
    });
  }

  /** libuv reaped the child first: its 'exit' event has the status (the watch stays active until then). */
  #fromChildProcess(): void {
    const child = this.#child;
    if (child === undefined) return this.#deliver({ pid: this.pid, exitCode: null, signal: null, coreDumped: false });
    if (child.exitCode !== null || child.signalCode !== null) {
      return this.#deliver({ pid: this.pid, exitCode: child.exitCode, signal: child.signalCode, coreDumped: false });
    }
    this.#onChildExit = (code, signal) => {
      this.#onChildExit = undefined;
      this.#deliver({ pid: this.pid, exitCode: code, signal, coreDumped: false });
    };
    child.once('exit', this.#onChildExit);
  }

  #deliver(exit: ChildExit): void {
    if (!this.active) return;
    this.setActive(false);
    this.core.counters.childrenExited++;
    try {
      this.#handler(exit);
    } catch (error) {
      this.core.reportError(error, { kind: 'child', description: `pid ${this.pid}` });
    }
  }

  #closePidfd(): void {
    if (this.#pidfd === undefined) return;
    this.core.deregister(this);
    this.#pidfd.close();
    this.#pidfd = undefined;
  }

  /** Stop watching (the handler will not run). */
  remove(): void {
    if (!this.active) return;
    this.setActive(false);
    this.#closePidfd();
    if (this.#onChildExit !== undefined) {
      this.#child?.off('exit', this.#onChildExit);
      this.#onChildExit = undefined;
    }
  }

  /** Stop watching and release the pidfd, as `remove()` does; `Reactor.close()` calls it. Idempotent. */
  dispose(): void {
    this.remove();
  }

  /** `remove()` (for `using`). */
  [Symbol.dispose](): void {
    this.remove();
  }
}
