import { createSocket } from 'node:dgram';
import { mkdtempSync, readSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventFd, Socket, type FileDescriptor } from '@reactor/fds';
import { Reactor, type Connection } from '@reactor/reactor';
import { bindingName, ChildUnderTest, expectNoFdLeaks, fixture, quietLogger } from './helpers';

expectNoFdLeaks();

/** The Unix listener of a test and the next connection it accepts. */
function unixPair(loop: Reactor, path: string): { accepted: Promise<Connection>; close: () => void } {
  let resolve!: (c: Connection) => void;
  const accepted = new Promise<Connection>((r) => (resolve = r));
  const listener = loop.listen({ path }, (conn) => resolve(conn));
  return { accepted, close: () => listener.close() };
}

/** Collect a connection's bytes until `pattern` shows up. */
function until(conn: Connection, pattern: RegExp): Promise<string> {
  let text = '';
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) {
        conn.off('data', onData);
        resolve(text);
      }
    };
    conn.on('data', onData);
  });
}

function httpLikeGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

describe(`fd passing on reactor connections (${bindingName()})`, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'conn-fds-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('an eventfd sent with bytes arrives as a new close-on-exec fd on the same file, in a \'fds\' event before its data', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const running = loop.run();
    const server = unixPair(loop, join(dir, 's'));
    const client = await loop.connect({ path: join(dir, 's') });
    const conn = await server.accepted;
    conn.receiveFds();
    const events: string[] = [];
    let received: FileDescriptor[] = [];
    conn.on('fds', (fds) => {
      events.push(`fds:${fds.length}`);
      received = fds;
    });
    const got = until(conn, /with-fd/);
    conn.on('data', (chunk) => events.push(`data:${chunk.toString()}`));
    const efd = new EventFd();
    expect(client.sendFds('with-fd', [efd])).toBe(true);
    await got;
    expect(events[0]).toBe('fds:1');
    expect(events.join(',')).toMatch(/^fds:1,data:with-fd$/);
    const [fd] = received;
    expect(fd!.closeOnExec).toBe(true);
    expect(fd!.fd).not.toBe(efd.fd);
    // The same eventfd: the counter written through the old fd is read through the new one.
    efd.write(5);
    const counter = Buffer.alloc(8);
    expect(readSync(fd!.fd, counter)).toBe(8);
    expect(counter.readBigUInt64LE(0)).toBe(5n);
    fd!.close();
    efd.close();
    client.destroy();
    conn.destroy();
    server.close();
    await running;
    loop.close();
  });

  test('a chunk with fds is never merged with the writes around it; the fds ride with its first byte', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const running = loop.run();
    const server = unixPair(loop, join(dir, 's'));
    const client = await loop.connect({ path: join(dir, 's') });
    const conn = await server.accepted;
    conn.receiveFds();
    let text = '';
    const marks: number[] = [];
    conn.on('fds', (fds) => {
      marks.push(text.length);
      for (const fd of fds) fd.close();
    });
    const done = until(conn, /CCC/);
    conn.on('data', (chunk) => (text += chunk.toString()));
    const efd = new EventFd();
    client.write('AAA');
    client.sendFds('BBB', [efd, efd]);
    client.write('CCC');
    efd.close();
    await done;
    expect(text).toBe('AAABBBCCC');
    // Reported before the read that holds 'B' (the kernel may glue 'AAA' to it, never 'CCC').
    expect(marks.length).toBe(1);
    expect([0, 3]).toContain(marks[0]);
    client.destroy();
    conn.destroy();
    server.close();
    await running;
    loop.close();
  });

  test('more fds than the receiver has room for: the ones that came are closed, the connection fails with ERR_REACTOR_FDS_TRUNCATED; unread fds of a destroyed sender are closed; TCP refuses', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const running = loop.run();
    const server = unixPair(loop, join(dir, 's'));
    const client = await loop.connect({ path: join(dir, 's') });
    const conn = await server.accepted;
    conn.receiveFds(1);
    const closed = new Promise<Error | null>((resolve) => conn.on('close', () => resolve(conn.errored)));
    conn.on('error', () => {});
    const efd = new EventFd();
    client.sendFds('x', [efd, efd, efd]);
    expect(await closed).toMatchObject({ code: 'ERR_REACTOR_FDS_TRUNCATED', received: 1 });
    // Queued and never sent: destroy() closes the connection's duplicates.
    client.sendFds('y', [efd]);
    client.destroy();
    efd.close();
    expect(() => conn.receiveFds(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => client.sendFds('z', [efd])).toThrow(expect.objectContaining({ code: 'ERR_STREAM_WRITE_AFTER_END' }));
    const tcp = loop.listen({ host: '127.0.0.1', port: 0 });
    const address = tcp.address();
    const tcpClient = await loop.connect({ host: '127.0.0.1', port: 'port' in address ? address.port : 0 });
    expect(() => tcpClient.sendFds('x', [0])).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_FDS_NEED_UNIX' }));
    expect(() => tcpClient.receiveFds()).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_FDS_NEED_UNIX' }));
    const unixClient = await loop.connect({ path: join(dir, 's') });
    expect(() => unixClient.sendFds('', [0])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => unixClient.sendFds('x', [])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => unixClient.sendFds('x', 'no' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => unixClient.sendFds('x', [2 ** 31 - 2])).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'fcntl' }));
    unixClient.destroy();
    tcpClient.destroy();
    tcp.close();
    server.close();
    await running;
    loop.close();
  });

  test('between processes: a TCP listener, a UDP socket and a TCP connection handed to a plain-node child serve there; an fd comes back; nothing leaks on either side', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const server = unixPair(loop, join(dir, 'control'));
    const child = new ChildUnderTest([fixture('fd-passing-peer.js'), join(dir, 'control')]);
    try {
      await betweenProcesses(loop, server, child);
    } finally {
      // A failed expectation must not leave the child or the loop behind (jest would wait for them).
      if (child.process.exitCode === null && child.process.signalCode === null) child.kill('SIGKILL');
      loop.close();
    }
  }, 30_000);
});

async function betweenProcesses(loop: Reactor, server: { accepted: Promise<Connection>; close: () => void }, child: ChildUnderTest): Promise<void> {
  const running = loop.run();
  const control = await server.accepted;
  control.receiveFds();
  const batches: FileDescriptor[][] = [];
  control.on('fds', (fds) => batches.push(fds));
  let replies = '';
  control.on('data', (chunk) => (replies += chunk.toString()));
  const reply = async (pattern: RegExp) => {
    for (let i = 0; i < 500 && !pattern.test(replies); i++) await loop.sleep(10);
    expect(replies).toMatch(pattern);
  };

  // A listening TCP socket made here, served by the child.
  const tcp = Socket.create('tcp4');
  tcp.bind({ family: 'ipv4', address: '127.0.0.1', port: 0 });
  tcp.listen();
  const tcpAddress = tcp.localAddress();
  control.sendFds('listen\n', [tcp]);
  tcp.close();
  await reply(/listening cloexec=true\n/);
  expect(await httpLikeGet('port' in tcpAddress ? tcpAddress.port : 0)).toBe(`served by ${child.process.pid}\n`);

  // A bound UDP socket: datagrams to its port are answered by the child.
  const udp = Socket.create('udp4');
  udp.bind({ family: 'ipv4', address: '127.0.0.1', port: 0 });
  const udpAddress = udp.localAddress();
  control.sendFds('udp\n', [udp]);
  udp.close();
  await reply(/udp\n/);
  const answer = await new Promise<string>((resolve, reject) => {
    const s = createSocket('udp4');
    s.on('message', (msg) => {
      s.close();
      resolve(msg.toString());
    });
    s.on('error', reject);
    s.send('ping', 'port' in udpAddress ? udpAddress.port : 0, '127.0.0.1');
  });
  expect(answer).toBe(`${child.process.pid}:ping`);

  // A TCP connection accepted here (from a node:net client), answered by the child.
  const accepted = loop.listen({ host: '127.0.0.1', port: 0 });
  const acceptedPort = (accepted.address() as { port: number }).port;
  const handed = new Promise<Connection>((resolve) => accepted.on('connection', resolve));
  const clientText = httpLikeGet(acceptedPort);
  const conn = await handed;
  control.sendFds('conn\n', [conn.socket]);
  conn.destroy(); // our fd for it goes; the child's keeps the connection open
  await reply(/conn\n/);
  expect(await clientText).toBe(`hello from ${child.process.pid}\n`);

  // An fd sent the other way: the read end of a pipe the child wrote into.
  control.write('send-back\n');
  await reply(/back\n/);
  expect(batches).toHaveLength(1);
  const [pipeRead] = batches[0]!;
  expect(pipeRead!.closeOnExec).toBe(true);
  // Written before it was sent: readable now.
  const buf = Buffer.alloc(64);
  expect(buf.subarray(0, readSync(pipeRead!.fd, buf)).toString()).toBe('through the pipe');
  pipeRead!.close();

  control.write('bye\n');
  expect(await child.waitForLine(/^leaked /)).toBe('leaked []');
  expect(await child.exited).toEqual({ code: 0, signal: null });
  accepted.close();
  server.close();
  await running;
}
