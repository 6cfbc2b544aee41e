import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pino from 'pino';

export { bindingName } from '@reactor/fds';

export const fixture = (name: string): string => join(__dirname, 'fixtures', name);

/** A silent logger for loops whose errors a test inspects itself. */
export const quietLogger = pino({ level: 'silent' });

export { expectNoFdLeaks, openFds, sleep } from '@reactor/testing';

/** A child node process whose stdout is collected line by line. */
export class ChildUnderTest {
  readonly process: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  #partial = '';

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.process = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.process.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (this.#partial + chunk).split('\n');
      this.#partial = parts.pop()!;
      for (const line of parts) {
        this.lines.push(line);
        this.#waiters = this.#waiters.filter((w) => (w.pattern.test(line) ? (w.resolve(line), false) : true));
      }
    });
    this.process.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.process.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resolve with the first line (already seen or to come) that matches. */
  waitForLine(pattern: RegExp, timeoutMs = 10000): Promise<string> {
    const seen = this.lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; got:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`)), timeoutMs);
      this.#waiters.push({ pattern, resolve: (line) => (clearTimeout(timer), resolve(line)) });
    });
  }

  count(pattern: RegExp): number {
    return this.lines.filter((l) => pattern.test(l)).length;
  }

  kill(signal: NodeJS.Signals | number): void {
    // From this (another) process, as `kill -SIG <pid>` would.
    process.kill(this.process.pid!, signal);
  }
}
