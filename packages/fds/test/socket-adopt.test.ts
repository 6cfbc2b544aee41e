import { AF_INET, AF_UNIX, SOCK_DGRAM, SOCK_STREAM, createPipe, describeSocket, Socket, socketInfo } from '@reactor/fds';
import { rawLibc } from '@reactor/fds/internal';
import { binding, expectNoFdLeaks } from './helpers';

expectNoFdLeaks();

/** A socket as another program would make it: blocking, not close-on-exec. */
function plainSocket(domain: number, type: number): number {
  const fd = rawLibc().socket(domain, type, 0);
  if (fd < 0) throw new Error(`socket: ${-fd}`);
  return fd;
}

describe(`socketInfo and Socket.adopt [${binding}]`, () => {
  test('socketInfo reads family, type and listening from the kernel; a pipe is no socket', () => {
    const l = Socket.create('tcp6');
    l.bind({ family: 'ipv6', address: '::1', port: 0 });
    expect(socketInfo(l.fd)).toEqual({ family: 'ipv6', type: 'stream', listening: false, kind: 'tcp6' });
    l.listen();
    expect(describeSocket(socketInfo(l.fd))).toBe('tcp6, listening');
    const u = Socket.create('unix-dgram');
    expect(socketInfo(u.fd)!.kind).toBe('unix-dgram');
    const [r, w] = createPipe();
    expect(socketInfo(r.fd)).toBeNull();
    expect(describeSocket(null)).toBe('not a socket');
    for (const s of [l, u, r, w]) s.close();
    expect(() => socketInfo(r.fd)).toThrow(expect.objectContaining({ code: 'ERR_FD_CLOSED' }));
  });

  test('adopting a blocking, inheritable socket makes it non-blocking and close-on-exec', () => {
    const fd = plainSocket(AF_INET, SOCK_STREAM);
    const s = Socket.adopt(fd, { kinds: ['tcp4'] });
    expect([s.fd, s.kind, s.nonBlocking, s.closeOnExec]).toEqual([fd, 'tcp4', true, true]);
    s.close();
  });

  test('a wrong kind is ERR_REACTOR_SOCKET_KIND and the fd stays with the caller', () => {
    const fd = plainSocket(AF_UNIX, SOCK_DGRAM);
    expect(() => Socket.adopt(fd, { kinds: ['tcp4', 'tcp6', 'unix'], listening: true })).toThrow(
      expect.objectContaining({ code: 'ERR_REACTOR_SOCKET_KIND', fd, actual: 'unix-dgram' }),
    );
    const l = Socket.create('tcp4');
    expect(() => Socket.adopt(l, { listening: true })).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_SOCKET_KIND', actual: 'tcp4' }));
    expect(l.closed).toBe(false);
    const [r, w] = createPipe();
    expect(() => Socket.adopt(r)).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_SOCKET_KIND', actual: 'not a socket' }));
    // Still open: the caller closes it.
    expect(rawLibc().close(fd)).toBe(0);
    for (const s of [l, r, w]) s.close();
  });

  test('adopting a FileDescriptor takes it over', () => {
    const l = Socket.create('udp4');
    const adopted = Socket.adopt(l, { kinds: ['udp4'], listening: false });
    expect(l.closed).toBe(true);
    expect(adopted.kind).toBe('udp4');
    adopted.close();
  });
});
