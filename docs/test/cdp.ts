import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** What the page did wrong while it was open: uncaught exceptions, console errors, failed or 4xx/5xx requests. */
export interface PageProblems {
  exceptions: string[];
  consoleErrors: string[];
  failedRequests: string[];
}

interface Pending {
  resolve: (result: any) => void;
  reject: (error: Error) => void;
}

/**
 * A headless Chromium driven through the DevTools protocol over
 * `--remote-debugging-pipe` (fd 3: commands in, fd 4: replies and events out,
 * each message JSON ended by a NUL): no WebSocket and no extra package.
 */
export class Browser {
  readonly #process: ChildProcess;
  readonly #profile: string;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners: Array<(message: any) => void> = [];
  #nextId = 1;
  #sessionId = '';
  readonly problems: PageProblems = { exceptions: [], consoleErrors: [], failedRequests: [] };

  private constructor(executable: string, width: number, height: number) {
    this.#profile = mkdtempSync(join(tmpdir(), 'docs-chromium-'));
    this.#process = spawn(
      executable,
      [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check',
        '--hide-scrollbars', '--remote-debugging-pipe', `--user-data-dir=${this.#profile}`, `--window-size=${width},${height}`, 'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
    );
    let buffered = '';
    (this.#process.stdio[4] as Readable).setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (buffered + chunk).split('\0');
      buffered = parts.pop()!;
      for (const part of parts) this.#receive(JSON.parse(part));
    });
    this.#process.once('exit', (code, signal) => {
      for (const pending of this.#pending.values()) pending.reject(new Error(`chromium exited (${code ?? signal})`));
      this.#pending.clear();
    });
  }

  /** Start Chromium and attach to its first page. */
  static async launch(executable: string, width = 1280, height = 900): Promise<Browser> {
    const browser = new Browser(executable, width, height);
    const { targetInfos } = await browser.send('Target.getTargets');
    const page = (targetInfos as Array<{ type: string; targetId: string }>).find((t) => t.type === 'page');
    if (page === undefined) throw new Error('chromium opened no page');
    const { sessionId } = await browser.send('Target.attachToTarget', { targetId: page.targetId, flatten: true });
    browser.#sessionId = sessionId;
    browser.#listeners.push((message) => browser.#watchProblems(message));
    await Promise.all(['Page.enable', 'Runtime.enable', 'Network.enable'].map((method) => browser.send(method, {}, true)));
    // The window size includes what a window around the page takes: fix the page's own size.
    await browser.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, true);
    return browser;
  }

  /** One protocol command; `inPage` sends it to the attached page's session. */
  send(method: string, params: object = {}, inPage = false): Promise<any> {
    const id = this.#nextId++;
    const message = { id, method, params, ...(inPage ? { sessionId: this.#sessionId } : {}) };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      (this.#process.stdio[3] as Writable).write(`${JSON.stringify(message)}\0`);
    });
  }

  /** Load `url` and wait for its load event. */
  async open(url: string, timeoutMs = 15000): Promise<void> {
    const loaded = this.#next((m) => m.method === 'Page.loadEventFired' && m.sessionId === this.#sessionId, timeoutMs, `load of ${url}`);
    const { errorText } = await this.send('Page.navigate', { url }, true);
    if (errorText) throw new Error(`navigate ${url}: ${errorText}`);
    await loaded;
  }

  /** The value of `expression` in the page (awaited when it is a promise). */
  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, true);
    if (exceptionDetails) throw new Error(`${expression}: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    return result.value as T;
  }

  /** Evaluate `expression` until it is truthy (the page builds parts of itself from scripts after load). */
  async waitFor(expression: string, what: string, timeoutMs = 10000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.evaluate<boolean>(`Boolean(${expression})`))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** A PNG of the viewport. */
  async screenshot(): Promise<Buffer> {
    const { data } = await this.send('Page.captureScreenshot', { format: 'png' }, true);
    return Buffer.from(data as string, 'base64');
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.#process.once('exit', resolve));
    await this.send('Browser.close').catch(() => undefined);
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    rmSync(this.#profile, { recursive: true, force: true });
  }

  #receive(message: any): void {
    if (message.id !== undefined) {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.error) pending?.reject(new Error(`${message.error.message} (${message.error.code})`));
      else pending?.resolve(message.result);
      return;
    }
    for (const listener of [...this.#listeners]) listener(message);
  }

  #next(predicate: (message: any) => boolean, timeoutMs: number, what: string): Promise<any> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#listeners.splice(this.#listeners.indexOf(listener), 1);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const listener = (message: any) => {
        if (!predicate(message)) return;
        clearTimeout(timer);
        this.#listeners.splice(this.#listeners.indexOf(listener), 1);
        resolve(message);
      };
      this.#listeners.push(listener);
    });
  }

  #watchProblems(message: any): void {
    const p = message.params;
    if (message.method === 'Runtime.exceptionThrown') this.problems.exceptions.push(p.exceptionDetails.exception?.description ?? p.exceptionDetails.text);
    if (message.method === 'Runtime.consoleAPICalled' && p.type === 'error') {
      this.problems.consoleErrors.push(p.args.map((a: any) => a.value ?? a.description).join(' '));
    }
    // /favicon.ico: asked for by the browser itself, not by the page (the site has no icon).
    if (message.method === 'Network.responseReceived' && p.response.status >= 400 && !p.response.url.endsWith('/favicon.ico')) {
      this.problems.failedRequests.push(`${p.response.status} ${p.response.url}`);
    }
    if (message.method === 'Network.loadingFailed' && !p.canceled) this.problems.failedRequests.push(`${p.errorText} (request ${p.requestId})`);
  }
}
