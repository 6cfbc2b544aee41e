import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createPipe, duplicateFd, Socket, socketInfo, type FileDescriptor } from '@reactor/fds';
import { binding, expectNoFdLeaks, openFds } from './helpers';

expectNoFdLeaks();

function tcpListener(): Socket {
  const s = Socket.create('tcp4');
  s.bind({ family: 'ipv4', address: '127.0.0.1', port: 0 });
  s.listen();
  return s;
}

function udpSocket(): Socket {
  const s = Socket.create('udp4');
  s.bind({ family: 'ipv4', address: '127.0.0.1', port: 0 });
  return s;
}

function portOf(s: Socket): number {
  const a = s.localAddress();
  if (a.family === 'unix') throw new Error('not an IP socket');
  return a.port;
}

/** Read one line from a TCP server at `port` (node:net, a peer outside this package). */
function readLine(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(port, '127.0.0.1');
    let text = '';
    c.on('data', (d) => (text += d.toString()));
    c.on('end', () => resolve(text));
    c.on('error', reject);
  });
}

/** Poll `f` until it returns non-null (a few seconds at most). */
async function eventually<T>(f: () => T | null): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const v = f();
    if (v !== null) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('nothing in time');
}

describe(`fd passing (SCM_RIGHTS) [${binding}]`, () => {
  test('a listening socket, a UDP socket and a connection cross a socketpair and work on the other side', async () => {
    const [a, b] = Socket.pair();
    const listening = tcpListener();
    const udp = udpSocket();
    const [c1, c2] = Socket.pair();
    const port = portOf(listening);
    const udpPort = portOf(udp);
    expect(a.sendWithFds(Buffer.from('fds'), [listening, udp, c1.fd])).toBe(3);
    // The sender's fds stay its own: closing them leaves the received copies working.
    for (const s of [listening, udp, c1]) s.close();

    const got = await eventually(() => b.receiveWithFds(Buffer.alloc(8)));
    expect(got.bytes).toBe(3);
    expect(got.fds).toHaveLength(3);
    expect(got.fds.every((fd) => fd.closeOnExec)).toBe(true);
    expect(got.fds.map((fd) => socketInfo(fd.fd)!.kind)).toEqual(['tcp4', 'udp4', 'unix']);
    const [l2, u2, k2] = got.fds.map((fd) => Socket.adopt(fd));

    const line = readLine(port);
    const accepted = await eventually(() => l2!.accept());
    accepted.write(Buffer.from('over a passed listener\n'));
    accepted.close();
    expect(await line).toBe('over a passed listener\n');

    const peer = createSocket('udp4');
    await new Promise<void>((r) => peer.send('ping', udpPort, '127.0.0.1', () => r()));
    const buf = Buffer.alloc(16);
    const dgram = await eventually(() => u2!.recvFrom(buf));
    expect(buf.toString('utf8', 0, dgram.bytes)).toBe('ping');
    peer.close();

    k2!.write(Buffer.from('through the passed end'));
    const big = Buffer.alloc(64);
    const read = await eventually(() => c2.read(big));
    expect(big.toString('utf8', 0, read)).toBe('through the passed end');
    for (const s of [a, b, l2!, u2!, k2!, c2]) s.close();
  });

  test('more fds than maxFds: the ones that arrived are closed and ERR_REACTOR_FDS_TRUNCATED is thrown', () => {
    const [a, b] = Socket.pair();
    const [r, w] = createPipe();
    const before = openFds();
    expect(a.sendWithFds(Buffer.from('x'), [r, w, r, w])).toBe(1);
    expect(() => b.receiveWithFds(Buffer.alloc(4), 2)).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_FDS_TRUNCATED', received: 2 }));
    expect([...openFds().keys()].sort()).toEqual([...before.keys()].sort());
    for (const s of [a, b, r, w]) s.close();
  });

  test('EAGAIN is null; end of stream is 0 bytes and no fds; data without fds has an empty list', () => {
    const [a, b] = Socket.pair();
    expect(b.receiveWithFds(Buffer.alloc(4))).toBeNull();
    a.write(Buffer.from('plain'));
    expect(b.receiveWithFds(Buffer.alloc(8))).toEqual({ bytes: 5, fds: [] });
    a.close();
    expect(b.receiveWithFds(Buffer.alloc(8))).toEqual({ bytes: 0, fds: [] });
    b.close();
  });

  test('fds from two messages are not merged into one read: each keeps its own', () => {
    const [a, b] = Socket.pair();
    const [r, w] = createPipe();
    a.sendWithFds(Buffer.from('1'), [r]);
    a.sendWithFds(Buffer.from('2'), [w]);
    const first = b.receiveWithFds(Buffer.alloc(8))!;
    const second = b.receiveWithFds(Buffer.alloc(8))!;
    expect([first.bytes, first.fds.length, second.bytes, second.fds.length]).toEqual([1, 1, 1, 1]);
    for (const fd of [...first.fds, ...second.fds] as FileDescriptor[]) fd.close();
    for (const s of [a, b, r, w]) s.close();
  });

  test('arguments are checked before any syscall, with codes', () => {
    const [a, b] = Socket.pair();
    expect(() => a.sendWithFds(Buffer.alloc(0), [0])).toThrow(RangeError);
    expect(() => a.sendWithFds(Buffer.from('x'), [])).toThrow(RangeError);
    expect(() => a.sendWithFds(Buffer.from('x'), ['3' as unknown as number])).toThrow(TypeError);
    expect(() => b.receiveWithFds(Buffer.alloc(4), 0)).toThrow(RangeError);
    for (const s of [a, b]) s.close();
  });

  test('between processes: a child receives a listener, a UDP socket and a connection and serves on them; nothing leaks here', async () => {
    const [parentEnd, childEnd] = Socket.pair();
    const listening = tcpListener();
    const udp = udpSocket();
    const [c1, c2] = Socket.pair();
    const port = portOf(listening);
    const udpPort = portOf(udp);
    expect(parentEnd.sendWithFds(Buffer.from('fds'), [listening, udp, c1])).toBe(3);
    // From here only the child holds the listening and UDP sockets.
    for (const s of [listening, udp, c1]) s.close();

    const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'fd-receiver.js')], {
      stdio: ['ignore', 'pipe', 'inherit', childEnd.fd],
      env: { ...process.env, REACTOR_FFI: binding },
    });
    childEnd.close();
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));

    const buf = Buffer.alloc(64);
    const n = await eventually(() => c2.read(buf));
    expect(buf.toString('utf8', 0, n)).toBe(`child ${child.pid} was here\n`);
    expect(await readLine(port)).toBe(`hello from ${child.pid}\n`);
    const peer = createSocket('udp4');
    const echo = new Promise<string>((resolve) => peer.on('message', (m) => resolve(m.toString())));
    peer.send('hi', udpPort, '127.0.0.1');
    expect(await echo).toBe('echo hi');
    peer.close();

    expect(await exited).toBe(0);
    const report = JSON.parse(out.split('\n')[0]!) as Record<string, unknown>;
    expect(report).toEqual({ pid: child.pid, count: 3, kinds: ['tcp4', 'udp4', 'unix'], listening: true, cloexec: true });
    for (const s of [parentEnd, c2]) s.close();
  });

  test('duplicateFd: a new close-on-exec fd on the same open file; a bad fd is EBADF from fcntl', () => {
    const [read, write] = createPipe();
    const copy = duplicateFd(write);
    expect(copy.fd).not.toBe(write.fd);
    expect(copy.closeOnExec).toBe(true);
    write.close();
    // The pipe's write side is still open through the copy: bytes written there are read here.
    writeSync(copy.fd, 'via copy');
    const buf = Buffer.alloc(16);
    expect(buf.subarray(0, read.read(buf)!).toString()).toBe('via copy');
    copy.close();
    read.close();
    expect(() => duplicateFd(2 ** 31 - 2)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'fcntl' }));
  });
});
