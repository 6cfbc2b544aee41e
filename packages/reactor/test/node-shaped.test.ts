import { connect as netConnect, type Socket as NetSocket } from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Reactor, Waker, type Connection, type ReactorLogger } from '@reactor/reactor';
import { Socket as FdSocket } from '@reactor/fds';
import { bindingName, expectNoFdLeaks, quietLogger, sleep } from './helpers';

expectNoFdLeaks();

/** A logger that records the level and message of every line. */
function recordingLogger(): { logger: ReactorLogger; lines: Array<{ level: string; message: string }> } {
  const lines: Array<{ level: string; message: string }> = [];
  const at = (level: string) => (fields: unknown, message?: string) => {
    lines.push({ level, message: typeof fields === 'string' ? fields : (message ?? '') });
  };
  const logger: ReactorLogger = { fatal: at('fatal'), error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), trace: at('trace') };
  return { logger, lines };
}

function portOf(address: ReturnType<ReturnType<Reactor['listen']>['address']>): number {
  return 'port' in address ? address.port : 0;
}

/** A node:net client that writes `parts` one per 30 ms, then ends. */
async function slowWriter(port: number, parts: string[]): Promise<NetSocket> {
  const client = netConnect(port, '127.0.0.1');
  await new Promise((r) => client.on('connect', r));
  for (const part of parts) {
    client.write(part);
    await sleep(30);
  }
  client.end();
  return client;
}

describe(`Node-shaped connections (${bindingName()})`, () => {
  test("'data' chunks are the handler's to keep; loanChunks: true lends the loop's read buffer", async () => {
    const loop = new Reactor({ logger: quietLogger });
    const kept = new Map<boolean, Buffer[]>([[false, []], [true, []]]);
    const closed: Array<Promise<void>> = [];
    const make = (loanChunks: boolean) =>
      loop.listen({ port: 0, loanChunks }, (conn) => {
        expect(conn.loansChunks).toBe(loanChunks);
        conn.on('data', (chunk) => kept.get(loanChunks)!.push(chunk));
        closed.push(new Promise((r) => conn.on('close', () => r())));
      });
    const owned = make(false);
    const loaned = make(true);
    const running = loop.run();
    const clients = await Promise.all([slowWriter(portOf(owned.address()), ['aaaa', 'bbbb', 'cccc']), slowWriter(portOf(loaned.address()), ['aaaa', 'bbbb', 'cccc'])]);
    while (closed.length < 2) await sleep(5);
    await Promise.all(closed);
    expect(kept.get(false)!.map(String).join('|')).toBe('aaaa|bbbb|cccc');
    // The loans all view one buffer, overwritten by each read: the opt-in is what it says.
    const loans = kept.get(true)!;
    expect(loans.length).toBe(3);
    expect(new Set(loans.map((c) => c.buffer)).size).toBe(1);
    expect(loans.map(String).join('|')).toBe('cccc|cccc|cccc');
    for (const c of clients) c.destroy();
    owned.close();
    loaned.close();
    await running;
    loop.close();
  });

  test('async iteration yields owned chunks to a slow consumer, even on a loaning connection', async () => {
    const loop = new Reactor({ logger: quietLogger });
    let got: Promise<string[]> | undefined;
    const server = loop.listen({ port: 0, loanChunks: true }, (conn) => {
      got = (async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of conn) {
          chunks.push(chunk);
          // Slower than the writer (a loop timer: the loop holds the thread while it runs): later reads must not overwrite kept chunks.
          await new Promise((r) => loop.after(50, r));
        }
        return chunks.map(String);
      })();
    });
    const running = loop.run();
    const client = await slowWriter(portOf(server.address()), ['aaaa', 'bbbb', 'cccc']);
    while (got === undefined) await sleep(5);
    expect((await got).join('')).toBe('aaaabbbbcccc');
    client.destroy();
    server.close();
    await running;
    loop.close();
  });

  test("a reset peer: 'close' follows exactly once with no 'error' listener, and nothing is logged at error level", async () => {
    const { logger, lines } = recordingLogger();
    const loop = new Reactor({ logger });
    const closes: Array<{ hadError: boolean; errored: Error | null }> = [];
    let server!: ReturnType<Reactor['listen']>;
    server = loop.listen({ port: 0 }, (conn) => {
      conn.on('data', () => conn.write('x'.repeat(1024))); // the reply makes the flush meet the reset too
      conn.on('close', (hadError) => {
        closes.push({ hadError, errored: conn.errored });
        server.close();
      });
    });
    const running = loop.run();
    const client = netConnect(portOf(server.address()), '127.0.0.1');
    await new Promise((r) => client.on('connect', r));
    client.write('hello');
    await new Promise((r) => client.once('data', r));
    client.resetAndDestroy();
    await running;
    expect(closes).toHaveLength(1);
    expect(closes[0]!.hadError).toBe(true);
    expect(['ECONNRESET', 'EPIPE']).toContain((closes[0]!.errored as NodeJS.ErrnoException).code);
    expect(lines.filter((l) => l.level === 'error' || l.level === 'fatal' || l.level === 'warn')).toEqual([]);
    loop.close();
  });

  test("the idle timeout with no 'error' listener: 'timeout', then 'close' with ETIMEDOUT kept in errored, no error log", async () => {
    const { logger, lines } = recordingLogger();
    const loop = new Reactor({ logger });
    const events: string[] = [];
    let conn!: Connection;
    const server = loop.listen({ port: 0, idleTimeoutMs: 50 }, (c) => {
      conn = c;
      c.on('timeout', () => events.push('timeout'));
      c.on('close', (hadError) => {
        events.push(`close ${hadError}`);
        server.close();
      });
    });
    const running = loop.run();
    const client = netConnect(portOf(server.address()), '127.0.0.1');
    await running;
    expect(events).toEqual(['timeout', 'close true']);
    expect((conn.errored as NodeJS.ErrnoException).code).toBe('ETIMEDOUT');
    expect(lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    client.destroy();
    loop.close();
  });

  test("an 'error' listener that throws still lets 'close' through", async () => {
    const loop = new Reactor({ logger: quietLogger, onError: 'log' });
    let closed = 0;
    const server = loop.listen({ port: 0 }, (conn) => {
      conn.on('error', () => {
        throw new Error('handler bug');
      });
      conn.on('close', () => {
        closed++;
        server.close();
      });
      conn.on('data', () => conn.destroy(new Error('made up')));
    });
    const running = loop.run();
    const client = netConnect(portOf(server.address()), '127.0.0.1');
    client.on('error', () => undefined);
    client.write('x');
    await running;
    expect(closed).toBe(1);
    client.destroy();
    loop.close();
  });

  test('addresses are Node-style strings read at accept and connect, still there after both FINs', async () => {
    const loop = new Reactor({ logger: quietLogger });
    let accepted!: Connection;
    const server = loop.listen({ port: 0 }, (conn) => {
      accepted = conn;
      conn.on('end', () => conn.end());
    });
    const port = portOf(server.address());
    const running = loop.run();
    const client = await loop.connect({ host: '127.0.0.1', port });
    const closed = new Promise((r) => client.on('close', r));
    client.end();
    await closed;
    server.close();
    await running;
    expect(accepted.destroyed && client.destroyed).toBe(true);
    expect([client.remoteAddress, client.remotePort, client.remoteFamily]).toEqual(['127.0.0.1', port, 'IPv4']);
    expect(accepted.remoteAddress).toBe('127.0.0.1');
    expect(accepted.remotePort).toBe(client.localPort);
    expect(accepted.remoteFamily).toBe('IPv4');
    expect(accepted.localAddress).toBe('127.0.0.1');
    loop.close();
  });
});

describe(`small Node conventions (${bindingName()})`, () => {
  test("at() checks its options as after() does; { ref: 'no' } is refused; refresh() of an at() timer is ERR_INVALID_STATE", () => {
    const loop = new Reactor({ logger: quietLogger });
    const when = Date.now() + 60000;
    expect(() => loop.at(when, () => undefined, 5 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => loop.after(10, () => undefined, 5 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => loop.after(10, () => undefined, { ref: 'no' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('options.ref') }));
    expect(() => loop.at(when, () => undefined, { ref: 'no' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    const timer = loop.at(when, () => undefined);
    expect(() => timer.refresh()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    expect(timer.pending).toBe(true);
    timer.cancel();
    loop.close();
  });

  test('Symbol.dispose closes a Listener, a UdpSocket and a Timer', () => {
    const loop = new Reactor({ logger: quietLogger });
    const listener = loop.listen({ port: 0 });
    const udp = loop.udp({ port: 0 });
    const timer = loop.after(1000, () => undefined);
    for (const handle of [listener, udp, timer]) handle[Symbol.dispose]();
    expect(timer.pending).toBe(false);
    expect(() => listener.address()).toThrow();
    expect(() => udp.address()).toThrow();
    loop.close();
  });

  test('connect({ path: 5 }) names options.path', async () => {
    const loop = new Reactor({ logger: quietLogger });
    await expect(loop.connect({ path: 5 as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('options.path') });
    loop.close();
  });

  test('a Waker over a SharedArrayBuffer too small for a loop is a coded error', () => {
    for (const bytes of [10, 64]) {
      expect(() => new Waker({ eventfd: 1000, shared: new SharedArrayBuffer(bytes) })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    }
  });
});

describe(`loop.sleep() (${bindingName()})`, () => {
  test('resolves after the delay on a loop timer; an AbortSignal rejects it with ABORT_ERR and cancels the timer', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const running = loop.run();
    const start = performance.now();
    await loop.sleep(30);
    expect(performance.now() - start).toBeGreaterThanOrEqual(29);
    const controller = new AbortController();
    const pending = loop.sleep(60000, { signal: controller.signal });
    controller.abort(new Error('enough'));
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: { message: 'enough' } });
    await expect(loop.sleep(10, { signal: controller.signal })).rejects.toMatchObject({ code: 'ABORT_ERR' });
    expect(() => loop.sleep(10, { signal: 'x' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    await running; // the aborted 60 s timer no longer keeps the loop alive
    expect(performance.now() - start).toBeLessThan(10000);
    loop.close();
  });
});

describe(`connect() with an AbortSignal (${bindingName()})`, () => {
  test('aborting connects that cannot finish rejects them with ABORT_ERR and leaves no socket; an aborted signal refuses at once', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const running = loop.run();
    // A listener whose queue is full: later connects stay in progress.
    const stuck = FdSocket.create('tcp4');
    stuck.bind({ family: 'ipv4', address: '127.0.0.1', port: 0 });
    stuck.listen(0);
    const address = stuck.localAddress();
    const port = 'port' in address ? address.port : 0;
    const controller = new AbortController();
    const attempts = Array.from({ length: 4 }, () => loop.connect({ port, signal: controller.signal }).then((c) => c, (e: NodeJS.ErrnoException) => e));
    await sleep(50);
    controller.abort();
    const outcomes = await Promise.all(attempts);
    expect(outcomes.some((o) => o instanceof Error && o.code === 'ABORT_ERR' && o.name === 'AbortError')).toBe(true);
    for (const o of outcomes) if (!(o instanceof Error)) o.destroy();
    await expect(loop.connect({ port, signal: controller.signal })).rejects.toMatchObject({ code: 'ABORT_ERR' });
    await expect(loop.connect({ port, signal: 'x' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('options.signal') });
    await running; // nothing left: the aborted attempts no longer keep the loop
    stuck.close();
    loop.close();
  });
});

describe(`destroy() after a write (${bindingName()})`, () => {
  test('as with net.Socket, a reply written just before destroy() reaches the peer', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const server = loop.listen({ port: 0 }, (conn) => {
      conn.write('last words');
      conn.destroy();
    });
    const running = loop.run();
    const client = netConnect(portOf(server.address()), '127.0.0.1');
    let received = '';
    client.setEncoding('utf8').on('data', (d: string) => (received += d));
    client.on('error', () => undefined);
    await new Promise((r) => client.on('close', r));
    expect(received).toBe('last words');
    server.close();
    await running;
    loop.close();
  });
});
