import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AF_INET, AF_UNIX, SOCK_DGRAM, SOCK_STREAM, encodeSockaddr, Socket } from '@reactor/fds';
import { rawLibc } from '@reactor/fds/internal';
import { Reactor } from '@reactor/reactor';
import { bindingName, expectNoFdLeaks, quietLogger } from './helpers';

expectNoFdLeaks();

/** A socket as another program (systemd, a parent) hands it over: blocking, inheritable, bound. */
function foreignSocket(domain: number, type: number, address: Parameters<typeof encodeSockaddr>[0], listen: boolean): number {
  const c = rawLibc();
  const fd = c.socket(domain, type, 0);
  const { buffer, length } = encodeSockaddr(address);
  if (fd < 0 || c.bind(fd, buffer, length) < 0 || (listen && c.listen(fd, 16) < 0)) throw new Error('socket setup failed');
  return fd;
}

function request(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = netConnect(port, '127.0.0.1');
    let text = '';
    c.on('data', (d) => (text += d.toString()));
    c.on('end', () => resolve(text));
    c.on('error', reject);
  });
}

describe(`listen({ fd }) and udp({ fd }) (${bindingName()})`, () => {
  test('a TCP listening socket made elsewhere serves node:net clients, and closes with the listener', async () => {
    const fd = foreignSocket(AF_INET, SOCK_STREAM, { family: 'ipv4', address: '127.0.0.1', port: 0 }, true);
    const loop = new Reactor({ logger: quietLogger });
    const server = loop.listen({ fd }, (conn) => conn.end('adopted\n'));
    expect([server.socket.fd, server.socket.nonBlocking, server.socket.closeOnExec]).toEqual([fd, true, true]);
    const address = server.address();
    if (address.family === 'unix') throw new Error('unexpected');
    const running = loop.run();
    expect(await request(address.port)).toBe('adopted\n');
    server.close();
    expect(rawLibc().fcntl(fd, 1 /* F_GETFD */, 0)).toBe(-9); // EBADF: the listener closed it
    loop.stop();
    await running;
    loop.close();
  });

  test('a Unix listening socket passed as a Socket: adopted, and its file is left where its maker put it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'adopt-'));
    const path = join(dir, 's.sock');
    const made = Socket.create('unix');
    made.bind({ family: 'unix', path });
    made.listen();
    const loop = new Reactor({ logger: quietLogger });
    const server = loop.listen({ fd: made }, (conn) => conn.end('unix\n'));
    expect(made.closed).toBe(true); // ownership passed
    const running = loop.run();
    const reply = await new Promise<string>((resolve) => {
      let text = '';
      netConnect(path).on('data', (d) => (text += d)).on('end', () => resolve(text));
    });
    expect(reply).toBe('unix\n');
    server.close();
    expect(existsSync(path)).toBe(true);
    loop.stop();
    await running;
    loop.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a listening socket received over SCM_RIGHTS goes to listen({ fd }) as the FileDescriptor it arrived as', async () => {
    const [a, b] = Socket.pair();
    const made = Socket.create('tcp4');
    made.bind({ family: 'ipv4', address: '127.0.0.1', port: 0 });
    made.listen();
    a.sendWithFds(Buffer.from('l'), [made]);
    made.close();
    const [received] = b.receiveWithFds(Buffer.alloc(1))!.fds;
    const loop = new Reactor({ logger: quietLogger });
    const server = loop.listen({ fd: received! }, (conn) => conn.end('passed\n'));
    expect(received!.closed).toBe(true); // ownership passed to the listener
    const address = server.address();
    if (address.family === 'unix') throw new Error('unexpected');
    const running = loop.run();
    expect(await request(address.port)).toBe('passed\n');
    server.close();
    loop.stop();
    await running;
    loop.close();
    a.close();
    b.close();
  });

  test('a UDP socket made elsewhere answers node:dgram', async () => {
    const fd = foreignSocket(AF_INET, SOCK_DGRAM, { family: 'ipv4', address: '127.0.0.1', port: 0 }, false);
    const loop = new Reactor({ logger: quietLogger });
    const udp = loop.udp({ fd });
    udp.on('message', (data, from) => udp.send(Buffer.concat([Buffer.from('echo '), data]), from));
    const address = udp.address();
    if (address.family === 'unix') throw new Error('unexpected');
    const running = loop.run();
    const peer = createSocket('udp4');
    const reply = new Promise<string>((resolve) => peer.on('message', (m) => resolve(m.toString())));
    peer.send('x', address.port, '127.0.0.1');
    expect(await reply).toBe('echo x');
    peer.close();
    udp.close();
    loop.stop();
    await running;
    loop.close();
  });

  test('the wrong kind is ERR_REACTOR_SOCKET_KIND and the fd stays open with the caller', () => {
    const loop = new Reactor({ logger: quietLogger });
    const udpFd = foreignSocket(AF_INET, SOCK_DGRAM, { family: 'ipv4', address: '127.0.0.1', port: 0 }, false);
    const notListening = foreignSocket(AF_UNIX, SOCK_STREAM, { family: 'unix', path: 'adopt-test', abstract: true }, false);
    expect(() => loop.listen({ fd: udpFd })).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_SOCKET_KIND', actual: 'udp4' }));
    expect(() => loop.listen({ fd: notListening })).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_SOCKET_KIND', actual: 'unix' }));
    expect(() => loop.udp({ fd: notListening })).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_SOCKET_KIND' }));
    expect(() => loop.udp({ fd: udpFd, port: 1234 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(rawLibc().close(udpFd)).toBe(0);
    expect(rawLibc().close(notListening)).toBe(0);
    loop.close();
  });
});
