import { Epoll, EventFd, EPOLLIN, EPOLLOUT, EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE, ClosedFdError, SystemError } from '@reactor/fds';
import { binding, expectNoFdLeaks } from './helpers';

expectNoFdLeaks();

describe(`Epoll (${binding})`, () => {
  test('level-triggered: reported on every wait until drained', () => {
    using ep = new Epoll();
    using efd = new EventFd(1);
    ep.add(efd, EPOLLIN, 42);
    expect(ep.wait(0)).toBe(1);
    expect(ep.tokenAt(0)).toBe(42);
    expect(ep.eventsAt(0) & EPOLLIN).toBe(EPOLLIN);
    expect(ep.wait(0)).toBe(1);
    efd.read();
    expect(ep.wait(0)).toBe(0);
  });

  test('edge-triggered: reported once per change of state', () => {
    using ep = new Epoll();
    using efd = new EventFd();
    ep.add(efd, EPOLLIN | EPOLLET);
    efd.write(1);
    expect(ep.wait(0)).toBe(1);
    expect(ep.tokenAt(0)).toBe(efd.fd);
    expect(ep.wait(0)).toBe(0);
    efd.write(1); // a new write is a new edge
    expect(ep.wait(0)).toBe(1);
    expect(ep.wait(0)).toBe(0);
  });

  test('oneshot: disabled after one event until modified', () => {
    using ep = new Epoll();
    using efd = new EventFd(1);
    ep.add(efd, EPOLLIN | EPOLLONESHOT, 7);
    expect(ep.wait(0)).toBe(1);
    expect(ep.wait(0)).toBe(0);
    ep.modify(efd, EPOLLIN | EPOLLONESHOT, 8);
    expect(ep.wait(0)).toBe(1);
    expect(ep.tokenAt(0)).toBe(8);
  });

  test('tokens carry up to 2^53-1; several events in one wait; iteration', () => {
    using ep = new Epoll({ maxEvents: 4 });
    using a = new EventFd(1);
    using b = new EventFd();
    ep.add(a, EPOLLIN, Number.MAX_SAFE_INTEGER);
    ep.add(b, EPOLLOUT, 2 ** 40 + 3);
    expect(ep.wait(0)).toBe(2);
    expect(new Map([...ep])).toEqual(new Map([[Number.MAX_SAFE_INTEGER, EPOLLIN], [2 ** 40 + 3, EPOLLOUT]]));
    expect(ep.wait(0, 1)).toBe(1);
    expect(() => ep.eventsAt(1)).toThrow(RangeError);
  });

  test('a deleted fd produces no event; EEXIST and ENOENT surface as SystemErrors', () => {
    using ep = new Epoll();
    using efd = new EventFd(1);
    ep.add(efd, EPOLLIN);
    expect(() => ep.add(efd, EPOLLIN)).toThrow(expect.objectContaining({ code: 'EEXIST', syscall: 'epoll_ctl', fd: efd.fd }));
    ep.delete(efd);
    expect(ep.wait(0)).toBe(0);
    let err: unknown;
    try {
      ep.delete(efd);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SystemError);
    expect(err).toMatchObject({ code: 'ENOENT', errno: -2 });
    expect(() => ep.modify(efd, EPOLLIN)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  test('a blocking wait returns when another fd becomes ready, with a timeout otherwise', () => {
    using ep = new Epoll();
    using efd = new EventFd();
    ep.add(efd, EPOLLIN);
    const t0 = performance.now();
    expect(ep.wait(30)).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(29);
  });

  test('bad input is refused before the syscall; close semantics', () => {
    const ep = new Epoll();
    expect(() => ep.add(-1, EPOLLIN)).toThrow(RangeError);
    expect(() => ep.add(0, 1 << 27)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => ep.add(0, EPOLLIN, -1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => ep.add(0, EPOLLIN, 2 ** 53)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => ep.add('3' as never, EPOLLIN)).toThrow(TypeError);
    expect(() => ep.modify(0, EPOLLIN | EPOLLEXCLUSIVE)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => ep.wait(-2)).toThrow(RangeError);
    expect(() => ep.wait(1.5)).toThrow(RangeError);
    expect(() => new Epoll({ maxEvents: 0 })).toThrow(RangeError);
    expect(ep.closeOnExec).toBe(true);
    ep.close();
    ep.close();
    expect(() => ep.wait(0)).toThrow(ClosedFdError);
  });

  test('an epoll fd nests in another epoll set', () => {
    using outer = new Epoll();
    using inner = new Epoll();
    using efd = new EventFd();
    inner.add(efd, EPOLLIN);
    outer.add(inner, EPOLLIN, 1);
    expect(outer.wait(0)).toBe(0);
    efd.write(1);
    expect(outer.wait(0)).toBe(1);
    expect(inner.wait(0)).toBe(1);
  });
});
