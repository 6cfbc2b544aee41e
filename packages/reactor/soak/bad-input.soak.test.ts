/**
 * Bad input: malformed and oversized requests to the `http` and `kv`
 * examples, run as subprocesses (`node examples/dist/run.js http|kv --port 0`).
 * Each request gets an error response or a closed connection, never
 * unbounded memory: the server's VmRSS/VmHWM are read before and after, and
 * endless inputs must be cut off by the server long before they end.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { startNodeServer, type ServerProcess } from '@reactor/testing';
import { bindingName, memoryMiB, record, resetRecord, round, scale, SHORT, sleep, waitFor } from './helpers';

/** The examples' program (built by `pnpm build`): the servers under test here. */
const EXAMPLES_RUN = join(__dirname, '..', '..', '..', 'examples', 'dist', 'run.js');

const startExample = (name: string): Promise<ServerProcess> => startNodeServer([EXAMPLES_RUN, name, '--port', '0'], name);

interface Outcome {
  response: Buffer;
  /** The server ended or reset the connection. */
  closed: boolean;
  /** Bytes we managed to send before that. */
  sent: number;
}

/**
 * Send `payload` (a Buffer, or a chunk sent again and again up to `streamBytes`)
 * and collect the answer until the server closes or `quietMs` pass without news.
 */
function probe(port: number, payload: Buffer, options: { streamBytes?: number; quietMs?: number } = {}): Promise<Outcome> {
  const quietMs = options.quietMs ?? 1000;
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    const parts: Buffer[] = [];
    let sent = 0;
    let closed = false;
    let quiet: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(quiet);
      s.destroy();
      resolve({ response: Buffer.concat(parts), closed, sent });
    };
    const rearm = () => {
      clearTimeout(quiet);
      quiet = setTimeout(finish, quietMs);
    };
    s.on('data', (d: Buffer) => (parts.push(d), rearm()));
    s.on('end', () => ((closed = true), finish()));
    s.on('error', () => ((closed = true), finish()));
    s.on('close', () => ((closed = true), finish()));
    s.once('connect', () => {
      rearm();
      const limit = options.streamBytes ?? payload.length;
      const pump = (): void => {
        while (sent < limit && !s.destroyed) {
          sent += payload.length;
          if (!s.write(payload)) {
            s.once('drain', () => (rearm(), pump()));
            return;
          }
        }
      };
      pump();
    });
  });
}

const text = (o: Outcome): string => o.response.toString('latin1');

/** A seeded generator: the same bytes every run, so a failure reproduces. */
function randomBytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

beforeAll(() => resetRecord('bad-input'));

describe(`bad input to the examples (${bindingName()}, ${SHORT ? 'short' : 'full'} scale)`, () => {
  describe('http', () => {
    let server: ServerProcess;
    let before: { rss: number; hwm: number };
    const tried: Record<string, string> = {};
    beforeAll(async () => {
      server = await startExample('http');
      before = memoryMiB(server.child.pid!);
    });
    afterAll(async () => {
      expect(await server.stop()).toBe(0);
    });

    const crlf = (s: string): Buffer => Buffer.from(s.replace(/\n/g, '\r\n'), 'latin1');
    const MALFORMED: Array<[string, Buffer, number]> = [
      ['random bytes then an empty line', Buffer.concat([randomBytes(4096, 7), crlf('\n\n')]), 400],
      ['no target, no version', crlf('GET\n\n'), 400],
      ['lower-case method', crlf('get / HTTP/1.1\n\n'), 400],
      ['HTTP/2.0 on HTTP/1', crlf('GET / HTTP/2.0\n\n'), 400],
      ['a control byte in the method', crlf('G\x01T / HTTP/1.1\n\n'), 400],
      ['a target of 5,000 bytes', crlf(`GET /${'a'.repeat(5000)} HTTP/1.1\n\n`), 400],
      ['a header line without a colon', crlf('GET / HTTP/1.1\nNoColonHere\n\n'), 400],
      ['an empty header name', crlf('GET / HTTP/1.1\n: value\n\n'), 400],
      ['Content-Length: abc', crlf('POST / HTTP/1.1\nContent-Length: abc\n\n'), 400],
      ['Content-Length: -1', crlf('POST / HTTP/1.1\nContent-Length: -1\n\n'), 400],
      ['Content-Length of 11 digits', crlf('POST / HTTP/1.1\nContent-Length: 12345678901\n\n'), 400],
      ['Content-Length over 1 MiB', crlf('POST / HTTP/1.1\nContent-Length: 1048577\n\n'), 413],
      ['Transfer-Encoding: chunked', crlf('POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n5\nhello\n0\n\n'), 501],
      ['a 9 KiB head, unfinished', crlf(`GET / HTTP/1.1\nX-Big: ${'b'.repeat(9 * 1024)}`), 431],
      ['a 9 KiB head, finished', crlf(`GET / HTTP/1.1\nX-Big: ${'b'.repeat(9 * 1024)}\n\n`), 431],
      ['2,000 small headers', crlf(`GET / HTTP/1.1\n${'X-H: v\n'.repeat(2000)}\n`), 431],
      ['a valid request, then garbage', Buffer.concat([crlf('GET / HTTP/1.1\n\n'), randomBytes(2048, 11), crlf('\n\n')]), 400],
    ];

    test.each(MALFORMED)('%s → %i and the connection closed', async (name, payload, status) => {
      const outcome = await probe(server.port, payload);
      const answer = text(outcome);
      const statuses = [...answer.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      expect(statuses[statuses.length - 1]).toBe(status);
      expect(outcome.closed).toBe(true);
      tried[name] = `${status}, closed`;
    });

    test('endless inputs are cut off: a head that never ends, a body past the limit', async () => {
      const streamBytes = scale(256, 32) * 2 ** 20;
      const head = await probe(server.port, Buffer.concat([crlf('GET / HTTP/1.1\n'), Buffer.from('X-Endless: '), Buffer.alloc(64 * 1024 - 30, 'e')]), { streamBytes });
      expect(text(head)).toMatch(/^HTTP\/1\.1 431 /);
      expect(head.closed).toBe(true);
      expect(head.sent).toBeLessThan(streamBytes);
      const body = await probe(server.port, Buffer.concat([crlf('POST / HTTP/1.1\nContent-Length: 99999999\n\n'), Buffer.alloc(64 * 1024, 'x')]), { streamBytes });
      expect(text(body)).toMatch(/^HTTP\/1\.1 413 /);
      expect(body.sent).toBeLessThan(streamBytes);
      tried['an endless head'] = `431 after ${round(head.sent / 2 ** 20)} MiB sent of ${streamBytes / 2 ** 20} MiB`;
      tried['an endless body'] = `413 after ${round(body.sent / 2 ** 20)} MiB sent of ${streamBytes / 2 ** 20} MiB`;
    });

    test('many connections each holding an unfinished head just under the limit cost what they sent', async () => {
      const n = scale(2000, 200);
      const pid = server.child.pid!;
      const start = memoryMiB(pid);
      const partial = crlf(`GET / HTTP/1.1\nX-Pad: ${'p'.repeat(8000)}`);
      const sockets = await Promise.all(Array.from({ length: n }, () => new Promise<ReturnType<typeof connect>>((resolve) => {
        const s = connect({ port: server.port, host: '127.0.0.1' }, () => s.write(partial, () => resolve(s)));
        s.on('error', () => undefined);
      })));
      await sleep(500);
      const held = memoryMiB(pid);
      // 8 KiB each (copied once) plus the connection's own bookkeeping.
      expect(held.rss - start.rss).toBeLessThan((n * 8 * 1024) / 2 ** 20 + 64);
      // Each one finished afterwards is still answered.
      const answered = await Promise.all(sockets.slice(0, 50).map((s) => new Promise<string>((resolve) => {
        let got = '';
        s.on('data', (d: Buffer) => (got += d.toString('latin1')));
        s.once('close', () => resolve(got));
        s.end(crlf('\nConnection: close\n\n'));
      })));
      expect(answered.every((a) => a.startsWith('HTTP/1.1 200 OK'))).toBe(true);
      for (const s of sockets) s.destroy();
      tried[`${n} connections holding an 8,000-byte unfinished head`] = `RSS +${round(held.rss - start.rss)} MiB`;
    });

    test('a client that pipelines requests and never reads: the server stops reading it, memory stays flat, every response comes later', async () => {
      // The smallest request (18 bytes); its response is 95 bytes. Before the
      // back-pressure fix, 60 MiB of these grew the server by ~90 MiB.
      const requests = scale(1_000_000, 200_000);
      const pid = server.child.pid!;
      const start = memoryMiB(pid);
      const one = crlf('GET / HTTP/1.1\n\n');
      const s = connect({ port: server.port, host: '127.0.0.1' });
      s.on('error', () => undefined);
      await new Promise((r) => s.once('connect', r));
      s.pause();
      let sent = 0;
      let lastWrite = performance.now();
      const batch = Buffer.concat(Array.from({ length: 1000 }, () => one));
      const pump = (): void => {
        while (sent < requests) {
          sent += 1000;
          lastWrite = performance.now();
          if (!s.write(batch)) return void s.once('drain', pump);
        }
      };
      pump();
      let peak = start.rss;
      while (performance.now() - lastWrite < 1000) {
        peak = Math.max(peak, memoryMiB(pid).rss);
        await sleep(50);
      }
      const stalledAt = sent;
      expect(peak - start.rss).toBeLessThan(16);
      // Every response is the same 95 bytes: count bytes, not matches.
      const responseBytes = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!'.length;
      let bytes = 0;
      s.on('data', (d: Buffer) => (bytes += d.length));
      const t0 = performance.now();
      s.resume();
      await waitFor(() => bytes >= requests * responseBytes, 120000, `${requests} responses`);
      const readMs = Math.round(performance.now() - t0);
      expect(bytes).toBe(requests * responseBytes);
      s.destroy();
      tried[`${requests} pipelined requests, responses unread`] = `${stalledAt < requests ? `the client stalled after ${stalledAt}` : 'all sent (kernel buffers)'}; server RSS peak +${round(peak - start.rss)} MiB; all ${requests} answered once read (${readMs} ms)`;
    });

    test('after all that, it still answers, and its memory is bounded', async () => {
      const ok = await probe(server.port, crlf('GET / HTTP/1.1\nConnection: close\n\n'));
      expect(text(ok)).toMatch(/^HTTP\/1\.1 200 OK/);
      await sleep(300);
      const after = memoryMiB(server.child.pid!);
      expect(after.hwm - before.rss).toBeLessThan(128);
      record('bad-input', { http: { inputsTried: Object.keys(tried).length, outcomes: tried, rssBeforeMiB: before.rss, rssAfterMiB: after.rss, hwmMiB: after.hwm } });
    });
  });

  describe('kv', () => {
    let server: ServerProcess;
    let before: { rss: number; hwm: number };
    const tried: Record<string, string> = {};
    beforeAll(async () => {
      server = await startExample('kv');
      before = memoryMiB(server.child.pid!);
    });
    afterAll(async () => {
      expect(await server.stop()).toBe(0);
    });

    const b = (s: string): Buffer => Buffer.from(s, 'latin1');
    // [name, bytes, expected error text, the server closes]
    const MALFORMED: Array<[string, Buffer, RegExp, boolean]> = [
      ['a multibulk count that is not a number', b('*abc\r\n'), /^-ERR Protocol error: invalid multibulk length/, true],
      ['a bulk length that is not a number', b('*1\r\n$x\r\n'), /^-ERR Protocol error: invalid bulk length/, true],
      ['an integer where a bulk string must be', b('*2\r\n:1\r\n:2\r\n'), /^-ERR Protocol error: expected '\$'/, true],
      ['a bulk string missing its CRLF', b('*1\r\n$3\r\nabcXY'), /^-ERR Protocol error/, true],
      ['a multibulk count over 1M', b('*99999999\r\n'), /^-ERR Protocol error: invalid multibulk length/, true],
      ['a bulk length over 64 MiB', b('*1\r\n$99999999999\r\n'), /^-ERR Protocol error: invalid bulk length/, true],
      ['a bulk length of 100,000 digits', b(`*1\r\n$${'9'.repeat(100_000)}\r\n`), /^-ERR Protocol error: too big bulk count string/, true],
      ['an inline command of 1 MiB without a newline', Buffer.alloc(2 ** 20, 'i'), /^-ERR Protocol error: too big inline request/, true],
      ['a top-level bulk string (not an array)', b('$5\r\nhello\r\n'), /^-ERR unknown command/, false],
      ['an unknown command', b('*1\r\n$7\r\nNOSUCHX\r\n'), /^-ERR unknown command/, false],
      ['SET with too few arguments', b('*2\r\n$3\r\nSET\r\n$1\r\nk\r\n'), /^-ERR wrong number of arguments/, false],
    ];

    test.each(MALFORMED)('%s → an error reply', async (name, payload, error, closes) => {
      const outcome = await probe(server.port, payload, { quietMs: 500 });
      expect(text(outcome)).toMatch(error);
      if (closes) expect(outcome.closed).toBe(true);
      tried[name] = `${text(outcome).split('\r\n')[0]}${outcome.closed ? ', closed' : ''}`;
    });

    test('random bytes: every stream gets an error reply or a closed connection, the server lives on', async () => {
      const streams = scale(500, 50);
      let answered = 0;
      for (let i = 0; i < streams; i++) {
        const outcome = await probe(server.port, randomBytes(16 * 1024, 1000 + i), { quietMs: 300 });
        if (outcome.closed || /^-ERR/m.test(text(outcome))) answered++;
      }
      expect(answered).toBe(streams);
      tried[`${streams} streams of 16 KiB random bytes`] = 'each an error reply or closed';
    });

    test('announced 64 MiB values that never come: the server holds what arrived, not what was announced', async () => {
      const n = scale(500, 100);
      const pid = server.child.pid!;
      const start = memoryMiB(pid);
      const announce = b(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${64 * 2 ** 20}\r\n${'v'.repeat(1024)}`);
      const sockets = await Promise.all(Array.from({ length: n }, () => new Promise<ReturnType<typeof connect>>((resolve) => {
        const s = connect({ port: server.port, host: '127.0.0.1' }, () => s.write(announce, () => resolve(s)));
        s.on('error', () => undefined);
      })));
      await sleep(500);
      const held = memoryMiB(pid);
      // Announced: n × 64 MiB. Arrived: n × 1 KiB.
      expect(held.rss - start.rss).toBeLessThan(64);
      for (const s of sockets) s.destroy();
      tried[`${n} connections announcing a 64 MiB value, sending 1 KiB`] = `RSS +${round(held.rss - start.rss)} MiB (announced ${n * 64} MiB)`;
    });

    test('endless input is cut off: an inline line and a bulk past 64 MiB', async () => {
      const streamBytes = scale(256, 32) * 2 ** 20;
      const inline = await probe(server.port, Buffer.alloc(64 * 1024, 'i'), { streamBytes });
      expect(text(inline)).toMatch(/^-ERR Protocol error: too big inline request/);
      expect(inline.sent).toBeLessThan(streamBytes);
      tried['an endless inline line'] = `error after ${round(inline.sent / 2 ** 20)} MiB sent of ${streamBytes / 2 ** 20} MiB`;
    });

    test('after all that, it still answers PING, and its memory is bounded', async () => {
      const ok = await probe(server.port, b('PING\r\nQUIT\r\n'));
      expect(text(ok)).toBe('+PONG\r\n+OK\r\n');
      await sleep(300);
      const after = memoryMiB(server.child.pid!);
      expect(after.hwm - before.rss).toBeLessThan(256);
      record('bad-input', { kv: { inputsTried: Object.keys(tried).length, outcomes: tried, rssBeforeMiB: before.rss, rssAfterMiB: after.rss, hwmMiB: after.hwm } });
    });
  });
});
