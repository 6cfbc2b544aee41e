import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { Epoll, EPOLLIN, EPOLLOUT, Socket, encodeSockaddr, decodeSockaddr, type SocketAddress } from '@reactor/fds';
import { binding, expectNoFdLeaks } from './helpers';

expectNoFdLeaks();

/** Wait (briefly, never blocking for long) until `sock` has `events`. */
async function ready(sock: Socket, events: number): Promise<void> {
  using ep = new Epoll();
  ep.add(sock, events);
  for (let i = 0; i < 500; i++) {
    if (ep.wait(0) > 0) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('not ready in time');
}

async function connectedPair(kind: 'tcp4' | 'tcp6' | 'unix', bindTo: SocketAddress): Promise<[Socket, Socket, Socket]> {
  const server = Socket.create(kind);
  if (kind !== 'unix') server.setReuseAddress(true);
  server.bind(bindTo);
  server.listen();
  const client = Socket.create(kind);
  if (!client.connect(server.localAddress())) {
    await ready(client, EPOLLOUT);
    client.finishConnect();
  }
  await ready(server, EPOLLIN);
  const accepted = server.accept()!;
  expect(accepted).not.toBeNull();
  return [server, client, accepted];
}

async function roundTrip(a: Socket, b: Socket): Promise<void> {
  expect(a.write(Buffer.from('hello '))).toBe(6);
  expect(a.writev([Buffer.from('wor'), Buffer.from('ld')])).toBe(5);
  await ready(b, EPOLLIN);
  const buf = Buffer.alloc(64);
  const n = b.read(buf)!;
  expect(buf.toString('utf8', 0, n)).toBe('hello world');
  expect(b.read(buf)).toBeNull();
  a.shutdown('write');
  await ready(b, EPOLLIN);
  expect(b.read(buf)).toBe(0);
}

describe(`Socket (${binding})`, () => {
  test('TCP over IPv4 end to end', async () => {
    const [server, client, accepted] = await connectedPair('tcp4', { family: 'ipv4', address: '127.0.0.1', port: 0 });
    expect(client.remoteAddress()).toEqual(server.localAddress());
    expect(accepted.remoteAddress()).toEqual(client.localAddress());
    accepted.setNoDelay(true);
    client.setKeepAlive(true, 30);
    expect(accepted.closeOnExec && accepted.nonBlocking).toBe(true);
    await roundTrip(client, accepted);
    for (const s of [server, client, accepted]) s.close();
  });

  test('TCP over IPv6 end to end, readv', async () => {
    const [server, client, accepted] = await connectedPair('tcp6', { family: 'ipv6', address: '::1', port: 0 });
    expect(server.localAddress()).toMatchObject({ family: 'ipv6', address: '::1' });
    accepted.write(Buffer.from('abcdef'));
    await ready(client, EPOLLIN);
    const parts = [Buffer.alloc(2), Buffer.alloc(10)];
    expect(client.readv(parts)).toBe(6);
    expect(Buffer.concat(parts).toString('utf8', 0, 6)).toBe('abcdef');
    await roundTrip(client, accepted);
    for (const s of [server, client, accepted]) s.close();
  });

  test('Unix stream, path and abstract, with peer credentials', async () => {
    const path = join(tmpdir(), `reactor-sock-${process.pid}`);
    const [server, client, accepted] = await connectedPair('unix', { family: 'unix', path });
    expect(accepted.peerCredentials()).toEqual({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    await roundTrip(accepted, client);
    for (const s of [server, client, accepted]) s.close();
    require('node:fs').unlinkSync(path);
    const [s2, c2, a2] = await connectedPair('unix', { family: 'unix', path: `reactor-${process.pid}`, abstract: true });
    expect(s2.localAddress()).toEqual({ family: 'unix', path: `reactor-${process.pid}`, abstract: true });
    await roundTrip(c2, a2);
    for (const s of [s2, c2, a2]) s.close();
  });

  test('UDP round trip reports the peer address', async () => {
    const a = Socket.create('udp4');
    const b = Socket.create('udp4');
    a.bind({ family: 'ipv4', address: '127.0.0.1', port: 0 });
    b.bind({ family: 'ipv4', address: '127.0.0.1', port: 0 });
    expect(a.sendTo(Buffer.from('ping'), b.localAddress())).toBe(4);
    await ready(b, EPOLLIN);
    const buf = Buffer.alloc(100);
    const got = b.recvFrom(buf)!;
    expect(buf.toString('utf8', 0, got.bytes)).toBe('ping');
    expect(got.address).toEqual(a.localAddress());
    expect(b.recvFrom(buf)).toBeNull();
    a.close();
    b.close();
  });

  test('connect to a closed port is ECONNREFUSED', async () => {
    const probe = Socket.create('tcp4');
    probe.bind({ family: 'ipv4', address: '127.0.0.1', port: 0 });
    const port = (probe.localAddress() as { port: number }).port;
    probe.close();
    const c = Socket.create('tcp4');
    let error: unknown;
    try {
      if (!c.connect({ family: 'ipv4', address: '127.0.0.1', port })) {
        await ready(c, EPOLLOUT);
        c.finishConnect();
      }
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port });
    c.close();
  });

  test('a peer reset surfaces as ECONNRESET or EPIPE, never SIGPIPE', async () => {
    const [server, client, accepted] = await connectedPair('tcp4', { family: 'ipv4', address: '127.0.0.1', port: 0 });
    accepted.setLinger(true, 0);
    accepted.close();
    await ready(client, EPOLLIN);
    let code: string | undefined;
    try {
      client.read(Buffer.alloc(16));
      client.write(Buffer.alloc(16));
      client.write(Buffer.alloc(16));
    } catch (e) {
      code = (e as { code: string }).code;
    }
    expect(['ECONNRESET', 'EPIPE']).toContain(code);
    server.close();
    client.close();
  });

  test('interoperates with node:net', async () => {
    const server = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const c = Socket.create('tcp4');
    if (!c.connect({ family: 'ipv4', address: '127.0.0.1', port })) {
      await ready(c, EPOLLOUT);
      c.finishConnect();
    }
    c.write(Buffer.from('echo me'));
    await ready(c, EPOLLIN);
    const buf = Buffer.alloc(32);
    expect(buf.toString('utf8', 0, c.read(buf)!)).toBe('echo me');
    c.close();
    await new Promise((r) => server.close(r));
  });

  test('addresses round-trip; bad input is refused before any syscall', () => {
    const cases: SocketAddress[] = [
      { family: 'ipv4', address: '10.1.2.3', port: 80 },
      { family: 'ipv6', address: '::1', port: 1, flowInfo: 0, scopeId: 0 },
      { family: 'ipv6', address: '2001:db8::1', port: 65535, flowInfo: 0, scopeId: 0 },
      { family: 'ipv6', address: '::ffff:127.0.0.1', port: 8, flowInfo: 0, scopeId: 0 },
      { family: 'ipv6', address: '2001:db8:1:2:3:4:5:6', port: 9, flowInfo: 0, scopeId: 0 },
      { family: 'unix', path: '/tmp/x.sock' },
      { family: 'unix', path: 'name', abstract: true },
    ];
    for (const a of cases) {
      const { buffer, length } = encodeSockaddr(a);
      expect(decodeSockaddr(buffer, length)).toEqual(a);
    }
    expect(() => encodeSockaddr({ family: 'ipv4', address: '300.1.1.1', port: 1 })).toThrow(TypeError);
    expect(() => encodeSockaddr({ family: 'ipv4', address: '1.1.1.1', port: 70000 })).toThrow(RangeError);
    expect(() => encodeSockaddr({ family: 'ipv4', address: '1.1.1.1', port: NaN })).toThrow(RangeError);
    expect(() => encodeSockaddr({ family: 'unix', path: 'x'.repeat(200) })).toThrow(RangeError);
    expect(() => encodeSockaddr({ family: 'nope' } as never)).toThrow(TypeError);
    expect(() => Socket.create('sctp' as never)).toThrow(RangeError);
    const s = Socket.create('tcp4');
    expect(() => s.write(new ArrayBuffer(4) as never)).toThrow(TypeError);
    expect(() => s.listen(-1)).toThrow(RangeError);
    s.close();
    expect(() => s.read(Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 'ERR_FD_CLOSED' }));
  });
});

describe(`pipes (${binding})`, () => {
  test('pipe2: non-blocking, close-on-exec, EOF after the writer closes', async () => {
    const { createPipe } = await import('@reactor/fds');
    const [r, w] = createPipe();
    expect(r.closeOnExec && w.closeOnExec && r.nonBlocking).toBe(true);
    const buf = Buffer.alloc(16);
    expect(r.read(buf)).toBeNull();
    expect(w.write(Buffer.from('abc'))).toBe(3);
    expect(buf.toString('utf8', 0, r.read(buf)!)).toBe('abc');
    w.close();
    expect(r.read(buf)).toBe(0);
    r.close();
  });
});
