import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { connect as netConnect, createServer, type Socket as NetSocket } from 'node:net';
import { Socket } from '@reactor/fds';
import { Reactor, type Connection } from '@reactor/reactor';
import { bindingName, expectNoFdLeaks, openFds, quietLogger } from './helpers';
import { waitFor } from '@reactor/testing';

expectNoFdLeaks();

/** An echo server on a reactor (running inside Node's loop) that honours back-pressure. */
function echoServer(loop: Reactor, options: { highWaterMark?: number; backlog?: number } = {}) {
  const connections = new Set<Connection>();
  const server = loop.listen({ host: '127.0.0.1', port: 0, ...options }, (conn) => {
    connections.add(conn);
    conn.on('close', () => connections.delete(conn));
    conn.on('error', () => undefined);
    conn.on('data', (chunk) => {
      if (!conn.write(chunk)) {
        conn.pause();
        conn.once('drain', () => conn.resume());
      }
    });
  });
  const address = server.address();
  const port = 'port' in address ? address.port : 0;
  return { server, port, connections };
}

function netClient(port: number, host = '127.0.0.1'): Promise<NetSocket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, host, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** A deterministic byte pattern, so any lost, duplicated or reordered byte shows. */
function pattern(offset: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) {
    const n = offset + i;
    buf[i] = (n * 31 + (n >>> 8) * 7 + (n >>> 16)) & 0xff;
  }
  return buf;
}

describe(`TCP streams on the reactor (${bindingName()})`, () => {
  test('100 MB through an echo server come back byte for byte', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const { server, port } = echoServer(loop);
    const running = loop.run();
    const total = 100 * 1024 * 1024;
    const chunk = 256 * 1024;
    const client = await netClient(port);
    const sentHash = createHash('sha256');
    const gotHash = createHash('sha256');
    let received = 0;
    let mismatchAt = -1;
    const done = new Promise<void>((resolve) => {
      client.on('data', (data: Buffer) => {
        if (mismatchAt < 0 && !data.equals(pattern(received, data.length))) mismatchAt = received;
        gotHash.update(data);
        received += data.length;
        if (received >= total) resolve();
      });
    });
    let sent = 0;
    while (sent < total) {
      const piece = pattern(sent, Math.min(chunk, total - sent));
      sentHash.update(piece);
      sent += piece.length;
      if (!client.write(piece)) await new Promise((r) => client.once('drain', r));
    }
    await done;
    expect(received).toBe(total);
    expect(mismatchAt).toBe(-1);
    expect(gotHash.digest('hex')).toBe(sentHash.digest('hex'));
    client.end();
    await new Promise((r) => client.on('close', r));
    server.close();
    await running;
    loop.close();
  }, 120000);

  test('2,000 concurrent connections each get their own bytes back', async () => {
    const loop = new Reactor({ logger: quietLogger });
    // A backlog that holds the whole burst: past it the kernel drops the
    // handshake's last ACK and the client retries only after a second.
    const { server, port, connections } = echoServer(loop, { backlog: 4096 });
    const running = loop.run();
    const clients = await Promise.all(Array.from({ length: 2000 }, () => netClient(port)));
    // All are open at once before anyone talks.
    for (let i = 0; i < 250 && connections.size < 2000; i++) await new Promise((r) => setTimeout(r, 20));
    expect(connections.size).toBe(2000);
    const replies = await Promise.all(
      clients.map(
        (c, i) =>
          new Promise<string>((resolve) => {
            let text = '';
            c.setEncoding('utf8');
            c.on('data', (d: string) => {
              text += d;
              if (text.endsWith('\n')) resolve(text);
            });
            c.write(`client ${i}\n`);
          }),
      ),
    );
    replies.forEach((reply, i) => expect(reply).toBe(`client ${i}\n`));
    await Promise.all(clients.map((c) => new Promise((r) => (c.end(), c.on('close', r)))));
    for (let i = 0; i < 100 && connections.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(connections.size).toBe(0);
    expect(server.accepted).toBe(2000);
    server.close();
    await running;
    loop.close();
  }, 60000);

  test("a handler's reply leaves when the handler returns, before the next connection of the batch is read; other writes wait for the batch", async () => {
    const loop = new Reactor({ logger: quietLogger });
    const accepted: Connection[] = [];
    // What each handler of the batch finds already sent to the other connection's client.
    const seenByHandlers: string[] = [];
    const clients: Socket[] = [];
    const buf = Buffer.alloc(256);
    const server = loop.listen({ host: '127.0.0.1', port: 0 }, (conn) => {
      accepted.push(conn);
      conn.on('data', (chunk) => {
        const other = clients.find((c) => c.localAddress().port !== conn.remotePort)!;
        const n = other.read(buf);
        seenByHandlers.push(n === null ? '(nothing yet)' : buf.toString('latin1', 0, n));
        conn.write('re:');
        conn.write(chunk); // two writes of one handler: one writev when it returns
      });
    });
    const address = server.address();
    const port = 'port' in address ? address.port : 0;
    const running = loop.run();
    try {
      for (let i = 0; i < 2; i++) {
        const client = Socket.create('tcp4');
        client.connect({ family: 'ipv4', address: '127.0.0.1', port });
        clients.push(client);
      }
      await waitFor(() => accepted.length === 2, 5000, 'both connections accepted');
      // Both requests are in the kernel before the next turn: one batch reads both.
      clients[0]!.write(Buffer.from('a'));
      clients[1]!.write(Buffer.from('b'));
      await waitFor(() => seenByHandlers.length === 2, 5000, 'both handlers');
      // The first handler found nothing; the second found the first reply already sent, whole.
      expect(seenByHandlers[0]).toBe('(nothing yet)');
      expect(seenByHandlers[1]).toMatch(/^re:[ab]$/);
      // A write made outside the connection's handler (a timer here) still leaves after the batch, in one piece.
      const target = accepted[0]!;
      const peer = clients.find((c) => c.localAddress().port === target.remotePort)!;
      peer.read(buf); // this client's own reply, sent after the second handler returned
      loop.after(1, () => {
        target.write('x');
        target.write('y');
      });
      let late = '';
      await waitFor(
        () => {
          const n = peer.read(buf);
          if (n !== null) late += buf.toString('latin1', 0, n);
          return late.length >= 2;
        },
        5000,
        "the timer's writes",
      );
      expect(late).toBe('xy');
    } finally {
      for (const client of clients) client.close();
      server.close();
      for (const conn of accepted) conn.destroy();
      await running;
      loop.close();
    }
  });

  test('a handler that writes and then throws: the error is reported, its reply still leaves, and later replies too', async () => {
    const errors: unknown[] = [];
    const loop = new Reactor({ logger: quietLogger, onError: (error) => errors.push(error) });
    const server = loop.listen({ host: '127.0.0.1', port: 0 }, (conn) => {
      conn.on('data', (chunk) => {
        conn.write(chunk);
        throw new Error('handler failed after writing');
      });
    });
    const address = server.address();
    const running = loop.run();
    const client = await netClient('port' in address ? address.port : 0);
    try {
      let echoed = '';
      client.setEncoding('latin1').on('data', (text: string) => (echoed += text));
      for (const word of ['one', 'two', 'three']) {
        const want = echoed + word;
        client.write(word);
        await waitFor(() => echoed === want, 5000, `the echo ${JSON.stringify(want)}`);
      }
      expect(errors.length).toBe(3);
      expect((errors[0] as Error).message).toBe('handler failed after writing');
    } finally {
      client.destroy();
      server.close();
      loop.close();
      await running.catch(() => undefined);
    }
  });

  test('a slow reader: write() turns false at the high-water mark, drain follows, the queue stays bounded', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const highWaterMark = 256 * 1024;
    const piece = Buffer.alloc(16 * 1024, 0x61);
    let maxQueued = 0;
    let produced = 0;
    let drains = 0;
    let serverConn: Connection | undefined;
    const server = loop.listen({ port: 0, highWaterMark }, (conn) => {
      serverConn = conn;
      conn.on('error', () => undefined);
      const produce = () => {
        // Write until the connection says stop, then wait for 'drain'.
        while (produced < 64 * 1024 * 1024) {
          produced += piece.length;
          const ok = conn.write(piece);
          maxQueued = Math.max(maxQueued, conn.writableLength);
          if (!ok) return;
        }
        conn.end();
      };
      conn.on('drain', () => {
        drains++;
        produce();
      });
      produce();
    });
    const address = server.address();
    const running = loop.run();
    const client = await netClient('port' in address ? address.port : 0);
    client.pause();
    // The reader does not read: the kernel buffers fill, then the queue stops at the mark.
    await new Promise((r) => setTimeout(r, 300));
    const producedWhileStalled = produced;
    await new Promise((r) => setTimeout(r, 200));
    expect(produced).toBe(producedWhileStalled);
    expect(produced).toBeLessThan(32 * 1024 * 1024);
    expect(serverConn!.writableLength).toBeLessThanOrEqual(highWaterMark + piece.length);
    // Now read everything: drains happen and all 64 MiB arrive.
    let received = 0;
    client.on('data', (d: Buffer) => (received += d.length));
    client.resume();
    await new Promise((r) => client.on('end', r));
    expect(received).toBe(64 * 1024 * 1024);
    expect(drains).toBeGreaterThan(0);
    expect(maxQueued).toBeLessThanOrEqual(highWaterMark + piece.length);
    client.destroy();
    server.close();
    await running;
    loop.close();
  }, 60000);

  test('a peer that resets mid-write: the server connection gets ECONNRESET or EPIPE, then close', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const errors: string[] = [];
    let closed: (hadError: boolean) => void;
    const closedP = new Promise<boolean>((r) => (closed = r));
    const server = loop.listen({ port: 0 }, (conn) => {
      conn.on('error', (e) => errors.push((e as NodeJS.ErrnoException).code!));
      conn.on('close', (hadError) => closed(hadError));
      // Keep writing until the peer's reset fails a write or a read.
      const big = Buffer.alloc(1024 * 1024);
      const pump = () => {
        while (!conn.destroyed && conn.write(big));
        if (!conn.destroyed) conn.once('drain', pump);
      };
      pump();
    });
    const address = server.address();
    const running = loop.run();
    const client = await netClient('port' in address ? address.port : 0);
    await new Promise((r) => client.once('data', r));
    client.resetAndDestroy(); // SO_LINGER 0 + close: an RST
    const hadError = await closedP;
    expect(hadError).toBe(true);
    expect(errors.length).toBe(1);
    expect(['ECONNRESET', 'EPIPE']).toContain(errors[0]);
    server.close();
    await running;
    loop.close();
  });

  test('half-close: the client ends, the server still answers, then ends its half', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const server = loop.listen({ port: 0 }, (conn) => {
      const parts: Buffer[] = [];
      conn.on('data', (c) => parts.push(Buffer.from(c)));
      conn.on('end', () => {
        // Reading is over; writing still works until end().
        const text = Buffer.concat(parts).toString();
        conn.write(`got ${text.length} bytes: `);
        conn.end(text.toUpperCase());
      });
    });
    const address = server.address();
    const running = loop.run();
    const client = await netClient('port' in address ? address.port : 0);
    client.setEncoding('utf8');
    let reply = '';
    client.on('data', (d: string) => (reply += d));
    client.end('hello half-close');
    await new Promise((r) => client.on('end', r));
    expect(reply).toBe('got 16 bytes: HELLO HALF-CLOSE');
    await new Promise((r) => client.on('close', r));
    server.close();
    await running;
    loop.close();
  });

  test('without an end listener, EOF from the peer ends our half after the queue flushes', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const { server, port } = echoServer(loop);
    const running = loop.run();
    const client = await netClient(port);
    let reply = '';
    client.setEncoding('utf8').on('data', (d: string) => (reply += d));
    client.end('last words');
    await new Promise((r) => client.on('close', r));
    expect(reply).toBe('last words');
    server.close();
    await running;
    loop.close();
  });

  test('connect(): to node:net over IPv4 and IPv6, with addresses, no-delay and keep-alive', async () => {
    const peer = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => peer.listen(0, '::', r));
    const port = (peer.address() as { port: number }).port;
    // keepLoopAlive: between two connections nothing is referenced, and run() would resolve.
    const loop = new Reactor({ logger: quietLogger, keepLoopAlive: true });
    const running = loop.run();
    for (const host of ['127.0.0.1', '::1', 'localhost']) {
      const conn = await loop.connect({ host, port, noDelay: true });
      conn.setKeepAlive(true, 30);
      expect(conn.remotePort).toBe(port);
      expect(['127.0.0.1', '::1', '::ffff:127.0.0.1']).toContain(conn.localAddress);
      const reply = await new Promise<string>((resolve) => {
        conn.on('data', (d) => resolve(d.toString()));
        conn.write(`via ${host}`);
      });
      expect(reply).toBe(`via ${host}`);
      conn.close();
      await new Promise((r) => conn.on('close', r));
    }
    loop.stop();
    await running;
    loop.close();
    await new Promise((r) => peer.close(r));
  });

  test('connect(): refused is an ECONNREFUSED SystemError naming the address, not a crash', async () => {
    // A port that was just free: bind, read the port, close.
    const probe = Socket.create('tcp4');
    probe.bind({ family: 'ipv4', address: '127.0.0.1', port: 0 });
    const addr = probe.localAddress();
    probe.close();
    const port = 'port' in addr ? addr.port : 0;
    const loop = new Reactor({ logger: quietLogger });
    const attempt = loop.connect({ host: '127.0.0.1', port });
    const running = loop.run();
    await expect(attempt).rejects.toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port });
    await running;
    loop.close();
  });

  // EHOSTUNREACH needs a route that says so: a private network namespace
  // (unshare -rn, no privileges needed where user namespaces are allowed)
  // with an `unreachable` route. Where namespaces are not allowed, say so.
  const canUnshare = spawnSync('unshare', ['-rn', 'ip', 'route', 'add', 'unreachable', '198.51.100.0/24']).status === 0;
  (canUnshare ? test : test.skip)(`connect(): an unreachable host is an EHOSTUNREACH SystemError, not a crash${canUnshare ? '' : ' (skipped: unshare -rn is not allowed here)'}`, () => {
    const script = `ip link set lo up && ip route add unreachable 198.51.100.0/24 && exec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(__dirname, 'fixtures', 'unreachable-connect.js'))}`;
    const child = spawnSync('unshare', ['-rn', 'sh', '-c', script], { encoding: 'utf8', timeout: 20000 });
    expect(child.stderr).toBe('');
    const lines = child.stdout.trim().split('\n');
    expect(JSON.parse(lines.find((l) => l.startsWith('{'))!)).toEqual({ code: 'EHOSTUNREACH', syscall: 'connect', address: '198.51.100.7', port: 80, name: 'SystemError' });
    expect(lines).toContain('loop alive');
    expect(child.status).toBe(0);
  });

  test('connect(): a peer whose accept queue is full times out with ETIMEDOUT after timeoutMs', async () => {
    // A listener that never accepts, with backlog 0: once its queue holds a
    // connection, the kernel drops further SYNs, so connect() cannot finish.
    const listener = Socket.create('tcp4');
    listener.bind({ family: 'ipv4', address: '127.0.0.1', port: 0 });
    listener.listen(0);
    const addr = listener.localAddress();
    const port = 'port' in addr ? addr.port : 0;
    const loop = new Reactor({ logger: quietLogger, keepLoopAlive: true });
    const running = loop.run();
    const fillers: Connection[] = [];
    const start = performance.now();
    let failure: unknown;
    for (let i = 0; i < 8 && failure === undefined; i++) {
      try {
        fillers.push(await loop.connect({ host: '127.0.0.1', port, timeoutMs: 300 }));
      } catch (error) {
        failure = error;
      }
    }
    expect(failure).toMatchObject({ code: 'ETIMEDOUT', syscall: 'connect', address: '127.0.0.1', port });
    expect(performance.now() - start).toBeGreaterThanOrEqual(299);
    for (const c of fillers) c.destroy();
    listener.close();
    loop.stop();
    await running;
    loop.close();
  });

  test('connect(): bad options are refused with a typed error before any syscall', async () => {
    const loop = new Reactor({ logger: quietLogger });
    await expect(loop.connect({ port: 0 })).rejects.toThrow(RangeError);
    await expect(loop.connect({ port: 70000 })).rejects.toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    await expect(loop.connect({ port: 80, timeoutMs: -1 })).rejects.toThrow(RangeError);
    await expect(loop.connect(null as never)).rejects.toThrow(TypeError);
    expect(() => loop.listen({ port: -1 })).toThrow(RangeError);
    expect(() => loop.listen({ port: 0, highWaterMark: -5 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    loop.close();
    await expect(loop.connect({ port: 80 })).rejects.toThrow(expect.objectContaining({ code: 'ERR_REACTOR_CLOSED' }));
  });

  test('write after end, and after destroy, throw ERR_STREAM_WRITE_AFTER_END; destroy and close are idempotent', async () => {
    const loop = new Reactor({ logger: quietLogger });
    let serverSide: Connection | undefined;
    const server = loop.listen({ port: 0 }, (c) => (serverSide = c));
    const addr = server.address();
    const running = loop.run();
    const client = await loop.connect({ port: 'port' in addr ? addr.port : 0 });
    expect(client.writable).toBe(true);
    client.end('bye');
    expect(client.writable).toBe(false);
    expect(() => client.write('more')).toThrow(expect.objectContaining({ code: 'ERR_STREAM_WRITE_AFTER_END' }));
    let closes = 0;
    client.on('close', () => closes++);
    client.destroy();
    client.destroy();
    client.close();
    expect(closes).toBe(1);
    expect(client.destroyed).toBe(true);
    expect(() => client.write('x')).toThrow(expect.objectContaining({ code: 'ERR_STREAM_WRITE_AFTER_END' }));
    for (let i = 0; i < 100 && serverSide === undefined; i++) await new Promise((r) => setTimeout(r, 5));
    serverSide!.destroy();
    server.close();
    server.close();
    await running;
    loop.close();
  });

  test('idle timeout: a silent peer is cut with a timeout event and ETIMEDOUT; a chatty one is not', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const events: string[] = [];
    const server = loop.listen({ port: 0, idleTimeoutMs: 150 }, (conn) => {
      conn.on('data', (d) => conn.write(d));
      conn.on('timeout', () => events.push('timeout'));
      conn.on('error', (e) => events.push((e as NodeJS.ErrnoException).code!));
    });
    const addr = server.address();
    const port = 'port' in addr ? addr.port : 0;
    const running = loop.run();
    const start = performance.now(); // before the server accepts, so before its timer starts
    const silent = await netClient(port);
    const chatty = await netClient(port);
    const chattyTimer = setInterval(() => chatty.write('.'), 40);
    const silentClosed = new Promise((r) => silent.on('close', r));
    await silentClosed;
    expect(performance.now() - start).toBeGreaterThanOrEqual(140);
    expect(events).toEqual(['timeout', 'ETIMEDOUT']);
    await new Promise((r) => setTimeout(r, 300));
    expect(chatty.destroyed).toBe(false);
    clearInterval(chattyTimer);
    chatty.destroy();
    await new Promise((r) => chatty.on('close', r));
    await new Promise((r) => setTimeout(r, 250)); // the server side of chatty times out or sees EOF
    server.close();
    await running;
    loop.close();
  });

  test('accept is bounded per turn: a burst of connects is spread over several turns', async () => {
    const loop = new Reactor({ logger: quietLogger });
    let accepted = 0;
    const server = loop.listen({ port: 0, maxAcceptsPerTurn: 4 }, (conn) => {
      accepted++;
      conn.on('error', () => undefined);
    });
    const addr = server.address();
    // Queue 40 connections in the kernel before the loop runs.
    const clients = await Promise.all(Array.from({ length: 40 }, () => netClient('port' in addr ? addr.port : 0)));
    const turnsBefore = loop.stats().turns;
    const running = loop.run();
    for (let i = 0; i < 200 && accepted < 40; i++) await new Promise((r) => setTimeout(r, 5));
    expect(accepted).toBe(40);
    expect(loop.stats().turns - turnsBefore).toBeGreaterThanOrEqual(10);
    for (const c of clients) c.destroy();
    await new Promise((r) => setTimeout(r, 50));
    server.close();
    loop.stop();
    await running;
    loop.close();
  });

  test('SO_REUSEPORT: two listeners share one port', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const hits = [0, 0];
    const a = loop.listen({ port: 0, reusePort: true }, (c) => (hits[0]++, c.destroy()));
    const addr = a.address();
    const port = 'port' in addr ? addr.port : 0;
    const b = loop.listen({ port, reusePort: true }, (c) => (hits[1]++, c.destroy()));
    expect(() => loop.listen({ port })).toThrow(expect.objectContaining({ code: 'EADDRINUSE' }));
    const running = loop.run();
    for (let i = 0; i < 64; i++) {
      const c = await netClient(port);
      await new Promise((r) => c.on('close', r));
    }
    expect(hits[0]! + hits[1]!).toBe(64);
    expect(hits[0]).toBeGreaterThan(0);
    expect(hits[1]).toBeGreaterThan(0);
    a.close();
    b.close();
    await running;
    loop.close();
  });

  test('close() on the loop releases what it made: connections (with close events), listeners, UDP sockets, pending connects', async () => {
    const before = openFds().size;
    const loop = new Reactor({ logger: quietLogger, keepLoopAlive: true });
    const server = loop.listen({ port: 0 });
    const addr = server.address();
    const port = 'port' in addr ? addr.port : 0;
    const running = loop.run();
    const conns = await Promise.all([loop.connect({ port }), loop.connect({ port })]);
    loop.udp();
    // A connect that cannot finish: a listener whose queue is full (see above).
    const stuck = Socket.create('tcp4');
    stuck.bind({ family: 'ipv4', address: '127.0.0.1', port: 0 });
    stuck.listen(0);
    const stuckAddr = stuck.localAddress();
    const attempts = Array.from({ length: 4 }, () => loop.connect({ port: 'port' in stuckAddr ? stuckAddr.port : 0 }).then(
      (c) => c,
      (e: Error) => e,
    ));
    await new Promise((r) => setTimeout(r, 50));
    expect(openFds().size).toBeGreaterThan(before + 6);
    const closes: boolean[] = [];
    for (const c of conns) c.on('close', (hadError) => closes.push(hadError));
    loop.close();
    await running;
    expect(closes).toEqual([false, false]);
    expect(conns.every((c) => c.destroyed)).toBe(true);
    expect(server.closed).toBe(true);
    const outcomes = await Promise.all(attempts);
    expect(outcomes.some((o) => o instanceof Error && (o as NodeJS.ErrnoException).code === 'ERR_REACTOR_CLOSED')).toBe(true);
    for (const o of outcomes) if (!(o instanceof Error)) expect(o.destroyed).toBe(true);
    stuck.close();
    // Accepted connections not yet handed out are in the kernel's queue of a closed listener: gone too.
    await new Promise((r) => setTimeout(r, 20));
    expect(openFds().size).toBe(before);
  });
});
