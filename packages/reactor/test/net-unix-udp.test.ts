import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Socket } from '@reactor/fds';
import { Reactor, type Connection } from '@reactor/reactor';
import { bindingName, expectNoFdLeaks, quietLogger } from './helpers';

expectNoFdLeaks();

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reactor-unix-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(`Unix stream sockets (${bindingName()})`, () => {
  test('listen({ path, mode }): the socket file has the mode, peers see each other’s credentials, close removes the file', async () => {
    const path = join(dir, 'mode.sock');
    const loop = new Reactor({ logger: quietLogger, keepLoopAlive: true });
    let serverSide: Connection | undefined;
    const server = loop.listen({ path, mode: 0o600 }, (conn) => {
      serverSide = conn;
      conn.on('data', (d) => conn.write(d));
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(path).isSocket()).toBe(true);
    const running = loop.run();
    const client = await loop.connect({ path });
    const reply = await new Promise<string>((resolve) => {
      client.on('data', (d) => resolve(d.toString()));
      client.write('over a unix socket');
    });
    expect(reply).toBe('over a unix socket');
    // Both ends are this process.
    expect(client.peerCredentials()).toEqual({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    expect(serverSide!.peerCredentials()).toEqual({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    const serverClosed = new Promise((r) => serverSide!.on('close', r));
    client.destroy();
    await serverClosed; // EOF reached the server side: it ends and closes by itself
    server.close();
    expect(existsSync(path)).toBe(false);
    loop.stop();
    await running;
    loop.close();
  });

  test('a node:net client talks to a reactor Unix server, and a stale socket file is replaced', async () => {
    const path = join(dir, 'stale.sock');
    // A socket file left behind by a server that is gone.
    const old = Socket.create('unix');
    old.bind({ family: 'unix', path });
    old.listen(1);
    old.close(); // the fd goes, the file stays (as after a crash)
    expect(existsSync(path)).toBe(true);

    const loop = new Reactor({ logger: quietLogger });
    const server = loop.listen({ path }, (conn) => conn.end('hello from the new server\n'));
    const running = loop.run();
    const text = await new Promise<string>((resolve) => {
      let got = '';
      const c = netConnect(path);
      c.setEncoding('utf8').on('data', (d: string) => (got += d));
      c.on('close', () => resolve(got));
    });
    expect(text).toBe('hello from the new server\n');
    server.close();
    await running;
    loop.close();
  });

  test('a live server’s socket path and a regular file are refused with EADDRINUSE and left alone', () => {
    const path = join(dir, 'live.sock');
    const loop = new Reactor({ logger: quietLogger });
    const live = loop.listen({ path });
    expect(() => loop.listen({ path })).toThrow(expect.objectContaining({ code: 'EADDRINUSE', path }));
    expect(statSync(path).isSocket()).toBe(true);
    live.close();
    const file = join(dir, 'regular');
    writeFileSync(file, 'keep me');
    expect(() => loop.listen({ path: file })).toThrow(expect.objectContaining({ code: 'EADDRINUSE' }));
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(() => loop.listen({ path: join(dir, 'x.sock'), mode: 0o10000 })).toThrow(RangeError);
    loop.close();
  });

  test('abstract names: listen and connect with a leading NUL, no file created', async () => {
    const name = `\0reactor-test-${process.pid}-${Date.now()}`;
    const loop = new Reactor({ logger: quietLogger });
    const server = loop.listen({ path: name }, (conn) => conn.end('abstract'));
    const running = loop.run();
    const client = await loop.connect({ path: name });
    const text = await new Promise<string>((resolve) => {
      let got = '';
      client.on('data', (d) => (got += d.toString()));
      client.on('close', () => resolve(got));
    });
    expect(text).toBe('abstract');
    server.close();
    await running;
    loop.close();
  });

  test('connect({ path }) to nothing rejects with ENOENT or ECONNREFUSED', async () => {
    const loop = new Reactor({ logger: quietLogger });
    await expect(loop.connect({ path: join(dir, 'nobody-here.sock') })).rejects.toMatchObject({ code: 'ENOENT', syscall: 'connect' });
    loop.close();
  });
});

describe(`UDP (${bindingName()})`, () => {
  test('round trips between two reactor sockets over IPv4 and IPv6, with the sender address', async () => {
    for (const host of ['127.0.0.1', '::1']) {
      const loop = new Reactor({ logger: quietLogger, keepLoopAlive: true });
      const a = loop.udp({ host });
      const b = loop.udp({ host });
      const bAddr = b.address();
      b.on('message', (data, from) => b.send(Buffer.concat([Buffer.from('re: '), data]), from));
      const got: Array<{ text: string; port: number }> = [];
      const done = new Promise<void>((resolve) => {
        a.on('message', (data, from) => {
          got.push({ text: data.toString(), port: 'port' in from ? from.port : -1 });
          if (got.length === 3) resolve();
        });
      });
      const running = loop.run();
      for (let i = 0; i < 3; i++) expect(a.send(`ping ${i}`, bAddr)).toBe(true);
      await done;
      expect(got.map((g) => g.text).sort()).toEqual(['re: ping 0', 're: ping 1', 're: ping 2']);
      expect(got.every((g) => g.port === ('port' in bAddr ? bAddr.port : 0))).toBe(true);
      a.close();
      b.close();
      a.close();
      loop.stop();
      await running;
      loop.close();
    }
  });

  test('a burst of datagrams from node:dgram is drained in batches per turn, none lost on loopback', async () => {
    const loop = new Reactor({ logger: quietLogger, keepLoopAlive: true });
    const sock = loop.udp({ maxReadsPerTurn: 16 });
    const addr = sock.address();
    const port = 'port' in addr ? addr.port : 0;
    const seen = new Set<number>();
    const done = new Promise<void>((resolve) => {
      sock.on('message', (data) => {
        seen.add(data.readUInt32BE(0));
        if (seen.size === 200) resolve();
      });
    });
    const sender = createSocket('udp4');
    for (let i = 0; i < 200; i++) {
      const msg = Buffer.alloc(64);
      msg.writeUInt32BE(i, 0);
      sender.send(msg, port, '127.0.0.1');
    }
    const running = loop.run();
    await done;
    expect(seen.size).toBe(200);
    sender.close();
    sock.close();
    loop.stop();
    await running;
    loop.close();
  });

  test('datagrams relayed into a TCP connection arrive intact: a queued view of the read buffer is copied, not overwritten by the next read', async () => {
    const loop = new Reactor({ logger: quietLogger, keepLoopAlive: true });
    const received: Buffer[] = [];
    let relay: Connection | undefined;
    const server = loop.listen({ port: 0 }, (conn) => (relay = conn));
    const serverAddress = server.address();
    const sock = loop.udp({ maxReadsPerTurn: 64 });
    const udpAddress = sock.address();
    // Every datagram of a batch is read into the loop's one buffer; the
    // connection flushes after the batch, so each queued chunk must be a copy.
    sock.on('message', (data) => relay?.write(data));
    const running = loop.run();
    const tcp = netConnect('port' in serverAddress ? serverAddress.port : 0, '127.0.0.1');
    tcp.on('data', (d: Buffer) => received.push(d));
    await new Promise<void>((resolve) => tcp.once('connect', () => resolve()));
    for (let i = 0; relay === undefined && i < 1000; i++) await new Promise((r) => setTimeout(r, 5));
    const sender = createSocket('udp4');
    const expected: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      const msg = Buffer.alloc(1000, i);
      expected.push(msg);
      sender.send(msg, 'port' in udpAddress ? udpAddress.port : 0, '127.0.0.1');
    }
    const total = 50 * 1000;
    const deadline = Date.now() + 10_000;
    try {
      while (Buffer.concat(received).length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      // Loopback keeps datagram order; each 1000-byte run must be one fill byte.
      expect(Buffer.concat(received).equals(Buffer.concat(expected))).toBe(true);
    } finally {
      sender.close();
      tcp.destroy();
      sock.close();
      server.close();
      loop.stop();
      await running;
      loop.close();
    }
  });
});
