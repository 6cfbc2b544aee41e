import { spawn } from 'node:child_process';
import { EventFd, EFD_SEMAPHORE, SystemError, ClosedFdError, EVENTFD_MAX } from '@reactor/fds';
import { binding, expectNoFdLeaks } from './helpers';

expectNoFdLeaks();

describe(`EventFd (${binding})`, () => {
  test('write adds, read returns the sum and resets', () => {
    using efd = new EventFd();
    efd.write(1);
    efd.write(2n);
    efd.write(3);
    expect(efd.read()).toBe(6n);
    expect(efd.tryRead()).toBeNull();
  });

  test('initial value is readable', () => {
    using efd = new EventFd(42);
    expect(efd.read()).toBe(42n);
  });

  test('an empty non-blocking read fails with EAGAIN, a SystemError like Node\'s', () => {
    using efd = new EventFd();
    let caught: unknown;
    try {
      efd.read();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SystemError);
    expect(caught).toMatchObject({ code: 'EAGAIN', errno: -11, syscall: 'read', fd: efd.fd });
  });

  test('EFD_SEMAPHORE reads return 1 and decrement', () => {
    expect(EFD_SEMAPHORE).toBe(1);
    using efd = new EventFd(3, { semaphore: true });
    expect(efd.read()).toBe(1n);
    expect(efd.read()).toBe(1n);
    expect(efd.read()).toBe(1n);
    expect(efd.tryRead()).toBeNull();
  });

  test('a read buffer under 8 bytes fails with EINVAL', () => {
    using efd = new EventFd(1);
    expect(() => efd.readInto(Buffer.alloc(4))).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'read' }));
    expect(efd.readInto(new Uint8Array(16))).toBe(1n);
  });

  test('the 64-bit counter: up to 2^64-2, then EAGAIN; 2^64-1 is EINVAL', () => {
    using efd = new EventFd();
    expect(EVENTFD_MAX).toBe(0xfffffffffffffffen);
    efd.write(EVENTFD_MAX);
    expect(efd.tryWrite(1)).toBe(false);
    expect(() => efd.write(1)).toThrow(expect.objectContaining({ code: 'EAGAIN', syscall: 'write' }));
    expect(efd.read()).toBe(EVENTFD_MAX);
    expect(() => efd.write(0xffffffffffffffffn)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(efd.tryRead()).toBeNull();
  });

  test('bad arguments are refused before any syscall', () => {
    expect(() => new EventFd(-1)).toThrow(RangeError);
    expect(() => new EventFd(2 ** 32)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new EventFd(1.5)).toThrow(RangeError);
    expect(() => new EventFd('1' as never)).toThrow(TypeError);
    expect(() => new EventFd(0, { semaphore: 'yes' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    using efd = new EventFd();
    expect(() => efd.write(-1)).toThrow(RangeError);
    expect(() => efd.write(2 ** 60)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => efd.write(NaN)).toThrow(RangeError);
    expect(() => efd.write(2n ** 64n)).toThrow(RangeError);
    expect(() => efd.write('1' as never)).toThrow(TypeError);
    expect(() => efd.readInto(new ArrayBuffer(8) as never)).toThrow(TypeError);
    expect(efd.tryRead()).toBeNull();
  });

  test('close is idempotent; use after close is a clear error', () => {
    const efd = new EventFd();
    expect(efd.closeOnExec).toBe(true);
    expect(efd.nonBlocking).toBe(true);
    efd.close();
    efd.close();
    expect(efd.closed).toBe(true);
    expect(() => efd.read()).toThrow(ClosedFdError);
    expect(() => efd.write(1)).toThrow(expect.objectContaining({ code: 'ERR_FD_CLOSED' }));
    expect(() => efd.fd).toThrow(ClosedFdError);
  });

  test('a child process that inherited the eventfd writes 1 2 3; the parent reads 6', async () => {
    using efd = new EventFd(0, { closeOnExec: false });
    const childCode = `
      const { EventFd } = require(${JSON.stringify(require.resolve('@reactor/fds'))});
      const efd = EventFd.fromFd(Number(process.argv[1]));
      for (const v of [1, 2, 3]) efd.write(v);
      efd.release();
    `;
    const child = spawn(process.execPath, ['-e', childCode, String(efd.fd)], {
      stdio: ['ignore', 'inherit', 'inherit', ...Array(efd.fd - 2).fill('inherit')],
      env: process.env,
    });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(efd.read()).toBe(6n);
  });
});
