/**
 * Shared by the soak files: the scale, process figures (fds, RSS, threads)
 * read from /proc, client child processes, and the results each file records.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export { bindingName } from '@reactor/fds';

/** `SOAK_SCALE=short` is the CI size; anything else is the full soak. */
export const SHORT = process.env.SOAK_SCALE === 'short';

/** Pick the figure for the current scale. */
export const scale = (full: number, short: number): number => (SHORT ? short : full);

export const fixture = (name: string): string => join(__dirname, 'fixtures', name);

export const RESULTS_DIR = join(__dirname, 'results');

/** Merge `figures` into results/<name>.json (each test of a file adds its own keys). */
export function record(name: string, figures: Record<string, unknown>): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  let previous: Record<string, unknown> = {};
  try {
    previous = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // first figure of this run
  }
  const merged = { ...previous, ...figures, scale: SHORT ? 'short' : 'full', binding: process.env.REACTOR_FFI ?? 'ffi-rs', recordedAt: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
  (require('./write-results.js') as { write: () => void }).write();
}

/** Start a file's results afresh (figures of an earlier run must not leak in). */
export function resetRecord(name: string): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.json`), '{}\n');
}

/** Open fds of a process (default: this one). */
export function fdCount(pid: number | 'self' = 'self'): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Threads of a process. */
export function threadCount(pid: number | 'self' = 'self'): number {
  return readdirSync(`/proc/${pid}/task`).length;
}

/** VmRSS and VmHWM (peak RSS) of a process, in MiB. */
export function memoryMiB(pid: number | 'self' = 'self'): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: round(kib('VmRSS') / 1024), hwm: round(kib('VmHWM') / 1024) };
}

export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll until `condition()` holds, or fail after `ms` naming `what`. */
export async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Poll a server's `stats` until it holds `n` live connections (accepts and
 * closes land a little after the clients see them); fail after `ms`.
 */
export async function untilLive<S extends { live: number }>(stats: () => Promise<S>, n: number, ms: number): Promise<S> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await stats();
    if (s.live === n) return s;
    if (Date.now() > deadline) throw new Error(`server has ${s.live} live connections, expected ${n}`);
    await sleep(50);
  }
}

/**
 * A child Node process speaking one JSON object per stdout line: the soak
 * clients and servers in fixtures/. `message(pred)` waits for a matching one.
 */
export class JsonChild {
  readonly process: ChildProcess;
  readonly messages: Array<Record<string, unknown>> = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #partial = '';
  #waiters: Array<{ match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }> = [];

  constructor(script: string, args: string[], options: { env?: NodeJS.ProcessEnv; command?: string[] } = {}) {
    const argv = [...(options.command ?? []), process.execPath, script, ...args];
    this.process = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stdin!.on('error', () => undefined);
    this.process.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (this.#partial + chunk).split('\n');
      this.#partial = parts.pop()!;
      for (const line of parts) {
        let message: Record<string, unknown>;
        try {
          message = JSON.parse(line) as Record<string, unknown>;
        } catch {
          message = { text: line };
        }
        this.messages.push(message);
        this.#waiters = this.#waiters.filter((w) => (w.match(message) ? (w.resolve(message), false) : true));
      }
    });
    this.process.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-20000)));
    this.exited = new Promise((resolve) => this.process.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.process.pid!;
  }

  /** The first message (seen or to come) for which `match` holds. */
  message(match: (m: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<Record<string, unknown>> {
    const seen = this.messages.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message "${what}" within ${timeoutMs} ms; last: ${JSON.stringify(this.messages.slice(-3))}\nstderr: ${this.stderr.slice(-2000)}`)), timeoutMs);
      this.#waiters.push({ match, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  /** One command line to the child's stdin. */
  send(command: string): void {
    this.process.stdin!.write(`${command}\n`);
  }

  /** Send `command` and wait for the next message for which `match` holds. */
  ask(command: string, match: (m: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>> {
    const from = this.messages.length;
    const reply = this.message((m) => this.messages.indexOf(m) >= from && match(m), timeoutMs, command);
    this.send(command);
    return reply;
  }

  /** Send `signal` from this process, as `kill -SIG <pid>` would. */
  kill(signal: NodeJS.Signals | number): void {
    process.kill(this.pid, signal);
  }

  /** Kill it if it still runs (for afterAll). */
  async reap(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
    await this.exited;
  }
}
