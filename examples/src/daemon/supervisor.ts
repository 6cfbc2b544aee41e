/**
 * Keeps one child process running: spawns it, learns of its exit through a
 * pidfd in the loop (`Reactor.watchChild`), and restarts it after a back-off
 * that doubles while it keeps dying young and resets once it has lived long
 * enough. On shutdown it sends SIGTERM and, if the child lingers, SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ChildExit, Reactor, Timer } from '@reactor/reactor';
import type { Logger } from 'pino';

export interface SupervisorOptions {
  command: string;
  args: () => string[];
  restartMinMs: number;
  restartMaxMs: number;
  /** A child that lived this long is healthy: the next back-off starts again at the minimum. */
  healthyAfterMs?: number;
  /** Each line the child prints on stdout. */
  onLine?: (line: string) => void;
}

export interface SupervisorStatus {
  pid: number | undefined;
  starts: number;
  restarts: number;
  lastExit: ChildExit | undefined;
  nextRestartMs: number | undefined;
}

export class Supervisor {
  readonly #loop: Reactor;
  readonly #logger: Logger;
  #options: SupervisorOptions;
  #child: ChildProcess | undefined;
  #startedAt = 0;
  #backoffMs = 0;
  #restartTimer: Timer | undefined;
  #starts = 0;
  #lastExit: ChildExit | undefined;
  #stopping: { resolve: () => void } | undefined;
  #stopped = false;

  constructor(loop: Reactor, options: SupervisorOptions, logger: Logger) {
    this.#loop = loop;
    this.#options = options;
    this.#logger = logger;
  }

  start(): void {
    if (this.#stopped) return;
    const { command, args, onLine } = this.#options;
    // Its own process group: a Ctrl-C in the terminal reaches the daemon only, which stops the child itself.
    const child = spawn(command, args(), { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    if (child.pid === undefined) {
      // spawn failed (the 'error' event says why): try again later like any death.
      child.once('error', (error) => this.#logger.error({ err: error }, 'child failed to spawn'));
      this.#scheduleRestart();
      return;
    }
    this.#child = child;
    this.#starts++;
    this.#startedAt = performance.now();
    if (onLine) createInterface({ input: child.stdout! }).on('line', onLine);
    this.#loop.watchChild(child, (exit) => this.#onExit(exit));
    this.#logger.info({ childPid: child.pid, starts: this.#starts }, 'child started');
  }

  status(): SupervisorStatus {
    return {
      pid: this.#child?.pid,
      starts: this.#starts,
      restarts: Math.max(0, this.#starts - 1),
      lastExit: this.#lastExit,
      nextRestartMs: this.#restartTimer?.pending ? this.#backoffMs : undefined,
    };
  }

  /** New settings take effect at the next (re)start. */
  update(options: SupervisorOptions): void {
    this.#options = options;
  }

  /** No more restarts; SIGTERM the child, SIGKILL after `graceMs`; resolves when it is gone. */
  stop(graceMs: number): Promise<void> {
    this.#stopped = true;
    this.#restartTimer?.cancel();
    const child = this.#child;
    if (child === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = this.#loop.after(graceMs, () => {
        this.#logger.warn({ childPid: child.pid }, 'child ignored SIGTERM: SIGKILL');
        child.kill('SIGKILL');
      });
      this.#stopping = {
        resolve: () => {
          kill.cancel();
          resolve();
        },
      };
      child.kill('SIGTERM');
    });
  }

  #onExit(exit: ChildExit): void {
    this.#child = undefined;
    this.#lastExit = exit;
    if (this.#stopped) {
      this.#logger.info({ exitCode: exit.exitCode, signal: exit.signal, childPid: exit.pid }, 'child stopped');
      this.#stopping?.resolve();
      return;
    }
    const livedMs = performance.now() - this.#startedAt;
    if (livedMs >= (this.#options.healthyAfterMs ?? 10_000)) this.#backoffMs = 0;
    this.#scheduleRestart();
    this.#logger.warn({ childPid: exit.pid, exitCode: exit.exitCode, signal: exit.signal, livedMs: Math.round(livedMs), restartInMs: this.#backoffMs }, 'child died: restarting');
  }

  #scheduleRestart(): void {
    const { restartMinMs, restartMaxMs } = this.#options;
    this.#backoffMs = this.#backoffMs === 0 ? restartMinMs : Math.min(restartMaxMs, this.#backoffMs * 2);
    this.#restartTimer = this.#loop.after(this.#backoffMs, () => {
      this.#restartTimer = undefined;
      this.start();
    });
  }
}
