import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bindingName, Socket } from '@reactor/fds';

export { expectNoFdLeaks, openFds, sleep } from '@reactor/testing';

/** The binding the suite runs under, for test titles. */
export const binding = bindingName();

/** No logging from the loops these tests make. */
export const quietLogger = false as const;

export const fixture = (name: string): string => join(__dirname, 'fixtures', name);

/**
 * What the service manager does with NOTIFY_SOCKET: a Unix datagram socket
 * this test binds and reads (a path in a fresh directory, or an abstract name).
 */
export class NotifyReceiver implements Disposable {
  readonly socket = Socket.create('unix-dgram');
  /** The value to put in NOTIFY_SOCKET. */
  readonly env: string;
  readonly #dir: string | undefined;
  readonly #buf = Buffer.alloc(4096);

  constructor(kind: 'path' | 'abstract' = 'path') {
    if (kind === 'path') {
      this.#dir = mkdtempSync(join(tmpdir(), 'notify-'));
      const path = join(this.#dir, 'notify.sock');
      this.socket.bind({ family: 'unix', path });
      this.env = path;
    } else {
      const name = `reactor-notify-${process.pid}-${Math.random().toString(36).slice(2)}`;
      this.socket.bind({ family: 'unix', path: name, abstract: true });
      this.env = `@${name}`;
    }
  }

  /** The messages queued now. */
  drain(): string[] {
    const out: string[] = [];
    for (let got; (got = this.socket.recvFrom(this.#buf)) !== null; ) out.push(this.#buf.toString('utf8', 0, got.bytes));
    return out;
  }

  /** Wait until `count` messages in all arrived (polling, a few seconds at most). */
  async take(count: number, timeoutMs = 10000): Promise<string[]> {
    const out: string[] = [];
    const until = Date.now() + timeoutMs;
    while (out.length < count) {
      out.push(...this.drain());
      if (out.length >= count) break;
      if (Date.now() > until) throw new Error(`${out.length} of ${count} notify messages in ${timeoutMs} ms: ${JSON.stringify(out)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return out;
  }

  close(): void {
    this.socket.close();
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true });
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
