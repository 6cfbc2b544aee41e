import fc from 'fast-check';
import {
  bindingFromEnv, blockSignals, closeQuietly, errnoName, clockId, clockNow, ClosedFdError, createPipe, decodeSignalfdSiginfo, Epoll, EPOLLIN, EventFd,
  FileDescriptor, getSignalMask, kill, PidFd, PipeEnd, setSignalMask, SignalFd, SignalSet, signalName, signalNumber, Socket,
  SystemError, tgkill, TimerFd, unblockSignals, useBinding,
} from '@reactor/fds';
import { validateBufferList } from '@reactor/fds/internal';
import { binding, expectNoFdLeaks } from './helpers';
import { expectTyped, RUNS } from '@reactor/testing';

expectNoFdLeaks();

/**
 * Values that break careless checks: wrong types, NaN and infinities, -0,
 * numbers just outside int32 and the safe integers, numeric strings, boxed
 * values, objects without a prototype or with a throwing toString, buffers
 * of every kind (an ArrayBuffer or a number where a buffer is expected makes
 * ffi-rs abort the process: docs/linux-and-node.md), and whatever fast-check's anything()
 * comes up with.
 */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: fc.anything({ withBigInt: true, withBoxedValues: true, withNullPrototype: true, withTypedArray: true, withSparseArray: true, withDate: true, withMap: true, withSet: true }) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(
    NaN, Infinity, -Infinity, -0, -1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 31) - 1, '3', '', 'SIGKILL', Symbol('s'), () => 0,
    new ArrayBuffer(8), new SharedArrayBuffer(8), new Uint8Array(new SharedArrayBuffer(16)), new DataView(new ArrayBuffer(8)),
    Object.create(null), { toString: [] }, { valueOf: () => 3 }, [1, 2], [Buffer.alloc(1), 'x'], { length: 2 }, null, undefined,
    { fd: -1 }, { fd: 1.5 }, { fd: '3' }, { [Symbol.iterator]: 1 }, 'toString', '__proto__', 'constructor', 'hasOwnProperty',
  ) },
);

/** Read until EAGAIN (null) or EOF (0: a shutdown may have run). */
function drain(read: (buf: Buffer) => number | null): void {
  const buf = Buffer.alloc(65536);
  let n: number | null;
  do n = read(buf);
  while (n !== null && n > 0);
}

const closeIfFd = (value: unknown): void => {
  if (value instanceof FileDescriptor) value.close();
};

describe(`argument checks of @reactor/fds, properties (${binding})`, () => {
  test('constructors and factories: any options, clocks, signals and numbers give an fd or a typed error', () => {
    fc.assert(
      fc.property(hostile, (v) => {
        closeIfFd(expectTyped(() => new Epoll(v as never), 'options'));
        closeIfFd(expectTyped(() => new Epoll({ maxEvents: v as number }), 'options.maxEvents'));
        closeIfFd(expectTyped(() => new EventFd(v as number), 'initialValue'));
        closeIfFd(expectTyped(() => new EventFd(0, v as never), 'options'));
        closeIfFd(expectTyped(() => new EventFd(0, { semaphore: v as boolean }), 'options.semaphore'));
        closeIfFd(expectTyped(() => new TimerFd(v as number), 'clock', 'timerfd_create'));
        closeIfFd(expectTyped(() => new TimerFd('monotonic', { nonBlocking: v as boolean }), 'options.nonBlocking'));
        closeIfFd(expectTyped(() => new SignalFd(v as number), 'signals'));
        closeIfFd(expectTyped(() => new SignalFd('SIGUSR1', { closeOnExec: v as boolean }), 'options.closeOnExec'));
        closeIfFd(expectTyped(() => Socket.create(v as never), 'kind'));
        expectTyped(() => clockNow(v as number), 'clock', 'clock_gettime');
        expectTyped(() => clockId(v as number), 'clock');
        expectTyped(() => new SignalSet(v as number), 'signals');
        expectTyped(() => SignalSet.fromBuffer(v as Uint8Array), 'buffer');
        expectTyped(() => signalName(v as number), 'signo');
        expectTyped(() => signalNumber(v as number), 'signal');
        expectTyped(() => decodeSignalfdSiginfo(v as Uint8Array), 'buffer');
        expectTyped(() => bindingFromEnv({ REACTOR_FFI: v as string }), 'REACTOR_FFI');
        expectTyped(() => validateBufferList(v, 'buffers'), 'buffers');
      }),
      { numRuns: RUNS.kernel },
    );
  });

  test('numbers that must not reach the kernel as they are: fds, pids and eventfd adoption', () => {
    // Only values that cannot be a usable fd or pid: taking ownership of a
    // real fd (0, 1, 2 …) or opening a pidfd on some process is no test.
    const notAnFd = hostile.filter((v) => !(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff));
    fc.assert(
      fc.property(notAnFd, (v) => {
        expectTyped(() => new FileDescriptor(v as number), 'fd');
        expectTyped(() => new PipeEnd(v as number), 'fd');
        expectTyped(() => EventFd.fromFd(v as number), 'fd');
        expectTyped(() => PidFd.open(v as number), 'pid');
        // Negative numbers are documented as a no-op; anything else that is no fd is refused.
        if (!(typeof v === 'number' && v < 0)) expectTyped(() => closeQuietly(v as number), 'fd');
        expectTyped(() => errnoName(v as number), 'errno');
      }),
      { numRuns: RUNS.pure },
    );
  });

  test('EventFd.fromFd: any options value is checked before the fd is adopted', () => {
    fc.assert(
      fc.property(hostile, (options) => {
        const raw = new EventFd();
        const fd = raw.release();
        let adopted: EventFd | undefined;
        try {
          adopted = expectTyped(() => EventFd.fromFd(fd, options as never), 'options') as EventFd | undefined;
        } finally {
          // Refused: the fd is still ours to close; adopted: the new owner closes it.
          if (adopted === undefined) new FileDescriptor(fd).close();
          else adopted.close();
        }
      }),
      { numRuns: RUNS.pure },
    );
  });

  test('methods of every fd type: any argument gives a result or a typed error, never a crash', () => {
    using ep = new Epoll({ maxEvents: 8 });
    using ev = new EventFd();
    using tfd = new TimerFd();
    using sfd = new SignalFd([]);
    const [r, w] = createPipe();
    using readEnd = r;
    using writeEnd = w;
    const [a, b] = Socket.pair();
    using sa = a;
    using sb = b;
    using udp = Socket.create('udp4');
    udp.bind({ family: 'ipv4', address: '127.0.0.1', port: 0 });
    const self = udp.localAddress();
    fc.assert(
      fc.property(hostile, (v) => {
        // epoll: whatever is registered is removed again, so each run starts clean.
        const adds: Array<[string, () => unknown]> = [
          ['fd', () => ep.add(v as number, EPOLLIN)],
          ['events', () => ep.add(ev, v as number)],
          ['token', () => ep.add(ev, EPOLLIN, v as number)],
        ];
        for (const [name, add] of adds) {
          expectTyped(add, name, 'epoll_ctl');
          try {
            ep.delete(ev);
          } catch {
            // it was not added
          }
        }
        expectTyped(() => ep.wait(0, v as number), 'maxEvents');
        expectTyped(() => ep.eventsAt(v as number), 'event index');
        expectTyped(() => ep.tokenAt(v as number), 'event index');
        expectTyped(() => ep.delete(v as number), 'fd', 'epoll_ctl');
        expectTyped(() => ev.tryWrite(v as number), 'value', 'write');
        ev.tryRead();
        expectTyped(() => ev.readInto(v as Uint8Array), 'buffer', 'read');
        expectTyped(() => tfd.set(v as never), 'spec');
        expectTyped(() => tfd.set({ initialNs: v as number }), 'spec.initialNs');
        expectTyped(() => tfd.set({ initialNs: 1e12, intervalNs: v as number }), 'spec.intervalNs');
        expectTyped(() => tfd.set({ initialNs: 1e12, absolute: v as boolean }), 'spec.absolute');
        expectTyped(() => tfd.set({ initialNs: 1e12, absolute: true, cancelOnSet: v as boolean }), 'spec.cancelOnSet');
        expectTyped(() => tfd.setMs(v as number), 'initialMs');
        tfd.disarm();
        expectTyped(() => sfd.setMask(v as number), 'signals', 'signalfd');
        sfd.setMask([]);
        expectTyped(() => readEnd.read(v as Uint8Array), 'buffer', 'read');
        expectTyped(() => writeEnd.write(v as Uint8Array), 'buffer', 'write');
        drain((buf) => readEnd.read(buf));
        expectTyped(() => sa.read(v as Uint8Array), 'buffer', 'read');
        expectTyped(() => sa.read(Buffer.alloc(8), v as number), 'length', 'read');
        expectTyped(() => sa.readv(v as Uint8Array[]), 'buffers', 'readv');
        expectTyped(() => sa.readv([Buffer.alloc(1), v as Uint8Array]), 'buffers[1]', 'readv');
        expectTyped(() => sb.write(v as Uint8Array), 'buffer', 'send');
        expectTyped(() => sb.write(Buffer.alloc(4), v as number), 'offset', 'send');
        expectTyped(() => sb.write(Buffer.alloc(4), 0, v as number), 'length', 'send');
        expectTyped(() => sb.writev(v as Uint8Array[]), 'buffers', 'writev');
        expectTyped(() => sb.writev([v as Uint8Array]), 'buffers[0]', 'writev');
        drain((buf) => sa.read(buf));
        expectTyped(() => sa.shutdown(v as 'read'), 'how', 'shutdown');
        expectTyped(() => sa.setKeepAlive(v as boolean), 'enable', 'setsockopt');
        expectTyped(() => sa.setKeepAlive(true, v as number), 'idleSeconds', 'setsockopt');
        expectTyped(() => sa.setLinger(v as boolean), 'enable', 'setsockopt');
        expectTyped(() => sa.setLinger(false, v as number), 'seconds', 'setsockopt');
        expectTyped(() => (sa.sendBufferSize = v as number), 'bytes', 'setsockopt');
        expectTyped(() => (sa.receiveBufferSize = v as number), 'bytes', 'setsockopt');
        expectTyped(() => sa.setNoDelay(v as boolean), 'enable', 'setsockopt');
        expectTyped(() => udp.recvFrom(v as Uint8Array), 'buffer', 'recvfrom');
        expectTyped(() => udp.sendTo(v as Uint8Array, self), 'buffer', 'sendto');
        expectTyped(() => udp.sendTo(Buffer.alloc(1), v as never), 'address', 'sendto');
        drain((buf) => udp.recvFrom(buf)?.bytes ?? null);
        expectTyped(() => udp.listen(v as number), 'backlog', 'listen');
        expectTyped(() => udp.bind(v as never), 'address', 'bind');
      }),
      { numRuns: RUNS.kernel },
    );
    // shutdown may have run: the pair is still closed exactly once by `using`.
  });

  test('readv/writev given a non-array throw a TypeError naming buffers (not "buffers.map is not a function")', () => {
    const [a, b] = Socket.pair();
    try {
      fc.assert(
        fc.property(hostile.filter((v) => !Array.isArray(v)), (v) => {
          expect(() => a.readv(v as Uint8Array[])).toThrow(TypeError);
          expect(() => a.readv(v as Uint8Array[])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
          expect(() => b.writev(v as Uint8Array[])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
        }),
        { numRuns: RUNS.pure },
      );
      // An empty list is the same answer under both bindings (Node's readvSync refuses it with EINVAL).
      expect(a.readv([])).toBe(0);
      expect(b.writev([])).toBe(0);
      // More than IOV_MAX buffers: refused before the kernel (which says EINVAL; libuv would silently write part).
      expect(() => b.writev(Array.from({ length: 1025 }, () => Buffer.alloc(1)))).toThrow(RangeError);
    } finally {
      a.close();
      b.close();
    }
  });

  test('-0 as a length, offset, backlog or timeout is 0 (it used to abort the process in Node\'s writeSync under ffi-rs)', () => {
    const [a, b] = Socket.pair();
    using ep = new Epoll();
    try {
      expect(b.write(Buffer.from('xy'), -0, -0)).toBe(0);
      expect(b.write(Buffer.from('xy'), -0)).toBe(2);
      expect(a.read(Buffer.alloc(8), -0)).toBe(0);
      expect(a.read(Buffer.alloc(8))).toBe(2);
      expect(ep.wait(-0)).toBe(0);
    } finally {
      a.close();
      b.close();
    }
  });

  test('signal masks and kill/tgkill: bad signals and ids are refused before anything is sent or changed', () => {
    const before = getSignalMask();
    // Only values that signalNumber refuses: a valid signal here would really be sent or blocked.
    const refused = (f: () => unknown): boolean => {
      try {
        f();
        return false;
      } catch {
        return true;
      }
    };
    const badSignal = hostile.filter((v) => v !== 0 && refused(() => signalNumber(v as number)) && refused(() => new SignalSet(v as number)));
    try {
      fc.assert(
        fc.property(badSignal, (s) => {
          expectTyped(() => kill(process.pid, s as number), 'signal');
          expectTyped(() => tgkill(process.pid, process.pid, s as number), 'signal');
          expectTyped(() => blockSignals(s as number), 'signals');
          expectTyped(() => unblockSignals(s as number), 'signals');
          expectTyped(() => setSignalMask(s as number), 'signals');
          expect(getSignalMask().equals(before)).toBe(true);
        }),
        { numRuns: RUNS.pure },
      );
      const badPid = hostile.filter((v) => !(typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= 0x7fffffff));
      fc.assert(
        fc.property(badPid, (pid) => {
          // Signal 0 sends nothing even if a pid were accepted.
          expectTyped(() => kill(pid as number, 0), 'pid');
          expectTyped(() => tgkill(pid as number, process.pid, 0), 'tgid');
          expectTyped(() => tgkill(process.pid, pid as number, 0), 'tid');
        }),
        { numRuns: RUNS.pure },
      );
    } finally {
      setSignalMask(before);
    }
  });

  test('useBinding: any value but the binding in use is refused with a typed error, and the binding stays', () => {
    fc.assert(
      fc.property(hostile, (v) => {
        try {
          useBinding(v as 'koffi');
        } catch (error) {
          expect(error instanceof TypeError || (error as Error).message.includes('already in use')).toBe(true);
        }
      }),
      { numRuns: RUNS.pure },
    );
  });
});

describe(`use after close and double close, properties (${binding})`, () => {
  type Made = { fd: FileDescriptor; ops: Array<[string, () => unknown]> };
  const makers: Array<() => Made> = [
    () => {
      const ep = new Epoll();
      return { fd: ep, ops: [['epoll_ctl', () => ep.add(0, EPOLLIN)], ['epoll_ctl', () => ep.delete(0)], ['epoll_wait', () => ep.wait(0)]] };
    },
    () => {
      const ev = new EventFd();
      return { fd: ev, ops: [['read', () => ev.read()], ['read', () => ev.tryRead()], ['write', () => ev.write(1)], ['read', () => ev.readInto(Buffer.alloc(8))]] };
    },
    () => {
      const t = new TimerFd();
      return { fd: t, ops: [['timerfd_settime', () => t.setMs(1)], ['timerfd_gettime', () => t.get()], ['read', () => t.tryRead()], ['timerfd_settime', () => t.disarm()]] };
    },
    () => {
      const s = new SignalFd(['SIGUSR2']);
      return { fd: s, ops: [['read', () => s.read()], ['signalfd', () => s.setMask([])]] };
    },
    () => {
      const p = PidFd.open(process.pid);
      return { fd: p, ops: [['waitid', () => p.wait()]] };
    },
    () => {
      const [r, w] = createPipe();
      w.close();
      return { fd: r, ops: [['read', () => r.read(Buffer.alloc(1))], ['write', () => r.write(Buffer.alloc(1))]] };
    },
    () => {
      const s = Socket.create('tcp4');
      return {
        fd: s,
        ops: [
          ['read', () => s.read(Buffer.alloc(1))], ['readv', () => s.readv([Buffer.alloc(1)])], ['send', () => s.write(Buffer.alloc(1))],
          ['writev', () => s.writev([Buffer.alloc(1)])], ['bind', () => s.bind({ family: 'ipv4', address: '127.0.0.1', port: 0 })],
          ['listen', () => s.listen()], ['accept4', () => s.accept()], ['getsockname', () => s.localAddress()], ['setsockopt', () => s.setNoDelay()],
          ['shutdown', () => s.shutdown()], ['fcntl', () => s.closeOnExec],
        ],
      };
    },
  ];

  test('any sequence of makes and closes: a closed object refuses every operation with ClosedFdError naming it, a second close does nothing, and the open ones still work', () => {
    const step = fc.oneof(
      fc.record({ make: fc.integer({ min: 0, max: makers.length - 1 }) }),
      fc.record({ close: fc.nat() }),
      fc.record({ use: fc.nat(), op: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 25 }), (steps) => {
        const made: Made[] = [];
        try {
          for (const s of steps) {
            if ('make' in s) made.push(makers[s.make]!());
            else if (made.length === 0) continue;
            else if ('close' in s) made[s.close % made.length]!.fd.close();
            else {
              const m = made[s.use % made.length]!;
              const [syscall, op] = m.ops[s.op % m.ops.length]!;
              if (m.fd.closed) {
                expect(op).toThrow(ClosedFdError);
                expect(op).toThrow(new RegExp(`^${syscall}: `));
                expect(() => m.fd.fd).toThrow(expect.objectContaining({ code: 'ERR_FD_CLOSED' }));
              } else {
                // Open: the kernel may refuse (EAGAIN, EINVAL, ENOTCONN …) but only with a SystemError naming the call.
                try {
                  op();
                } catch (error) {
                  expect(error).toBeInstanceOf(SystemError);
                  expect((error as SystemError).syscall).toBe(syscall);
                }
              }
            }
          }
          // Closing twice never closes someone else's fd: every open object still has its own.
          for (const m of made) {
            if (m.fd.closed) {
              m.fd.close();
              continue;
            }
            expect(m.fd.closeOnExec).toBe(true);
          }
        } finally {
          for (const m of made) m.fd.close();
        }
      }),
      { numRuns: RUNS.kernel },
    );
  });

  test('a number closed behind the owner\'s back: the kernel answers EBADF as a SystemError with the syscall', () => {
    using ep = new Epoll();
    fc.assert(
      fc.property(fc.constantFrom<[string, (fd: number) => unknown]>(
        ['read', (fd) => new PipeEnd(fd).read(Buffer.alloc(1))],
        ['write', (fd) => new PipeEnd(fd).write(Buffer.alloc(1))],
        ['epoll_ctl', (fd) => ep.add(fd, EPOLLIN)],
        ['fcntl', (fd) => new FileDescriptor(fd).closeOnExec],
      ), ([syscall, use]) => {
        const fd = new EventFd().release();
        new FileDescriptor(fd).close();
        // Nothing may take the number between the close and the use: no fd is made in between.
        // (The wrappers made over it are dropped, never closed: the number is not theirs.)
        expect(() => use(fd)).toThrow(expect.objectContaining({ name: 'SystemError', syscall, code: 'EBADF' }));
      }),
      { numRuns: 20 },
    );
  });
});
