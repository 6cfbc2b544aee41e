import {
  SignalFd, SignalSet, decodeSignalfdSiginfo, blockSignals, setSignalMask, getSignalMask, pendingSignals,
  getpid, gettid, tgkill, signalNumber, sigrtmin, Epoll, EPOLLIN, ClosedFdError,
  SI_TKILL, SIGNALFD_SIGINFO_SIZE,
} from '@reactor/fds';
import { binding, expectNoFdLeaks } from './helpers';

expectNoFdLeaks();

const TESTED = ['SIGUSR1', 'SIGUSR2', 'SIGRTMIN+2', 'SIGRTMIN+5'];
let originalMask: SignalSet;

beforeAll(() => {
  originalMask = getSignalMask();
});

/*
 * After every test: take whatever tested signal is still pending (so none is
 * delivered to Node's handlers or kills the worker once unblocked), then put
 * the thread's mask back.
 */
afterEach(() => {
  blockSignals(TESTED);
  const drain = new SignalFd(TESTED);
  try {
    while (drain.read().length > 0);
  } finally {
    drain.close();
    setSignalMask(originalMask);
  }
  for (const s of TESTED) expect(pendingSignals().has(s)).toBe(false);
  expect(getSignalMask().equals(originalMask)).toBe(true);
});

const self = (signal: string) => tgkill(getpid(), gettid(), signal);

describe(`SignalFd (${binding})`, () => {
  test('a thread-directed SIGUSR1 lands in the signalfd: signo, SI_TKILL, pid, uid', () => {
    blockSignals(['SIGUSR1']);
    using sfd = new SignalFd(['SIGUSR1']);
    expect(sfd.read()).toEqual([]);
    self('SIGUSR1');
    expect(pendingSignals().has('SIGUSR1')).toBe(true);
    const infos = sfd.read();
    expect(infos).toHaveLength(1);
    const info = infos[0]!;
    expect(info.signo).toBe(signalNumber('SIGUSR1'));
    expect(info.name).toBe('SIGUSR1');
    expect(info.code).toBe(SI_TKILL);
    expect(SI_TKILL).toBe(-6);
    expect(info.pid).toBe(process.pid);
    expect(info.uid).toBe(process.getuid!());
    expect(info.errno).toBe(0);
    expect(pendingSignals().has('SIGUSR1')).toBe(false);
    expect(sfd.read()).toEqual([]);
  });

  test('realtime signals queue: two tgkills are two records; a standard one sent twice coalesces', () => {
    blockSignals(['SIGUSR2', 'SIGRTMIN+2']);
    using sfd = new SignalFd(['SIGUSR2', 'SIGRTMIN+2']);
    self('SIGRTMIN+2');
    self('SIGRTMIN+2');
    self('SIGUSR2');
    self('SIGUSR2');
    const pending = pendingSignals();
    expect(pending.has('SIGRTMIN+2')).toBe(true);
    expect(pending.has('SIGUSR2')).toBe(true);
    const infos = sfd.read();
    // standard signals are delivered before realtime ones
    expect(infos.map((i) => i.name)).toEqual(['SIGUSR2', 'SIGRTMIN+2', 'SIGRTMIN+2']);
    expect(infos[1]!.signo).toBe(sigrtmin() + 2);
    for (const info of infos) {
      expect(info.code).toBe(SI_TKILL);
      expect(info.pid).toBe(process.pid);
    }
    expect(sfd.read()).toEqual([]);
  });

  test('a burst larger than one batch (16 records) is drained over several reads', () => {
    blockSignals(['SIGRTMIN+5']);
    using sfd = new SignalFd('SIGRTMIN+5');
    for (let i = 0; i < 20; i++) self('SIGRTMIN+5');
    const first = sfd.read();
    expect(first).toHaveLength(16);
    const second = sfd.read();
    expect(second).toHaveLength(4);
    expect(sfd.read()).toEqual([]);
  });

  test('the signalfd is readable in epoll while a signal is pending', () => {
    blockSignals(['SIGUSR1']);
    using ep = new Epoll();
    using sfd = new SignalFd(['SIGUSR1']);
    ep.add(sfd, EPOLLIN, 5);
    expect(ep.wait(0)).toBe(0);
    self('SIGUSR1');
    expect(ep.wait(0)).toBe(1);
    expect(ep.tokenAt(0)).toBe(5);
    expect(sfd.read()).toHaveLength(1);
    expect(ep.wait(0)).toBe(0);
  });

  test('setMask changes what the same fd reports', () => {
    blockSignals(['SIGUSR1', 'SIGUSR2']);
    using sfd = new SignalFd(['SIGUSR1']);
    const fd = sfd.fd;
    expect(sfd.mask.toArray()).toEqual([signalNumber('SIGUSR1')]);
    self('SIGUSR2');
    expect(sfd.read()).toEqual([]);
    sfd.setMask(['SIGUSR2']);
    expect(sfd.fd).toBe(fd);
    expect(sfd.mask.names()).toEqual(['SIGUSR2']);
    self('SIGUSR1');
    expect(sfd.read().map((i) => i.name)).toEqual(['SIGUSR2']);
    sfd.setMask(new SignalSet(['SIGUSR1', 'SIGUSR2']));
    expect(sfd.read().map((i) => i.name)).toEqual(['SIGUSR1']);
    sfd.setMask([]);
    self('SIGUSR1');
    expect(sfd.read()).toEqual([]);
  });

  test('a blocking signalfd returns a pending signal at once', () => {
    blockSignals(['SIGUSR1']);
    using sfd = new SignalFd(['SIGUSR1'], { nonBlocking: false });
    expect(sfd.nonBlocking).toBe(false);
    self('SIGUSR1');
    expect(sfd.read().map((i) => i.name)).toEqual(['SIGUSR1']);
  });

  test('bad arguments are refused before any syscall; close semantics', () => {
    expect(() => new SignalFd(['SIGNOPE'])).toThrow(RangeError);
    expect(() => new SignalFd(undefined as never)).toThrow(TypeError);
    expect(() => new SignalFd(['SIGUSR1'], { closeOnExec: 'no' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    const sfd = new SignalFd(['SIGUSR1']);
    expect(sfd.closeOnExec).toBe(true);
    expect(sfd.nonBlocking).toBe(true);
    expect(() => sfd.setMask([0])).toThrow(RangeError);
    expect(sfd.mask.names()).toEqual(['SIGUSR1']);
    sfd.close();
    sfd.close();
    expect(() => sfd.read()).toThrow(ClosedFdError);
    expect(() => sfd.setMask(['SIGUSR2'])).toThrow(ClosedFdError);
  });
});

describe('decodeSignalfdSiginfo', () => {
  test('every documented field at its offset', () => {
    const b = Buffer.alloc(SIGNALFD_SIGINFO_SIZE * 2, 0xee);
    const o = SIGNALFD_SIGINFO_SIZE; // the second record
    b.writeUInt32LE(10, o + 0);
    b.writeInt32LE(-2, o + 4);
    b.writeInt32LE(-6, o + 8);
    b.writeUInt32LE(4000000000, o + 12);
    b.writeUInt32LE(1000, o + 16);
    b.writeInt32LE(-1, o + 20);
    b.writeUInt32LE(7, o + 24);
    b.writeUInt32LE(8, o + 28);
    b.writeUInt32LE(9, o + 32);
    b.writeUInt32LE(11, o + 36);
    b.writeInt32LE(-12, o + 40);
    b.writeInt32LE(-13, o + 44);
    b.writeBigUInt64LE(0xfffffffffffffff0n, o + 48);
    b.writeBigUInt64LE(15n, o + 56);
    b.writeBigUInt64LE(16n, o + 64);
    b.writeBigUInt64LE(0x7fff00001234n, o + 72);
    b.writeUInt16LE(65535, o + 80);
    b.writeInt32LE(231, o + 84);
    b.writeBigUInt64LE(0x401000n, o + 88);
    b.writeUInt32LE(0xc000003e, o + 96);
    expect(decodeSignalfdSiginfo(b, o)).toEqual({
      name: 'SIGUSR1', signo: 10, errno: -2, code: -6, pid: 4000000000, uid: 1000, fd: -1, tid: 7, band: 8,
      overrun: 9, trapno: 11, status: -12, int: -13, ptr: 0xfffffffffffffff0n, utime: 15n, stime: 16n,
      addr: 0x7fff00001234n, addrLsb: 65535, syscall: 231, callAddr: 0x401000n, arch: 0xc000003e,
    });
    // a plain Uint8Array over the same bytes decodes the same
    const u8 = new Uint8Array(b.buffer, b.byteOffset, b.length);
    expect(decodeSignalfdSiginfo(u8, o)).toEqual(decodeSignalfdSiginfo(b, o));
    expect(decodeSignalfdSiginfo(Buffer.alloc(128)).name).toBe('SIG0');
  });

  test('bounds and types are checked', () => {
    expect(() => decodeSignalfdSiginfo(Buffer.alloc(127))).toThrow(RangeError);
    expect(() => decodeSignalfdSiginfo(Buffer.alloc(256), 129)).toThrow(RangeError);
    expect(() => decodeSignalfdSiginfo(Buffer.alloc(256), -1)).toThrow(RangeError);
    expect(() => decodeSignalfdSiginfo(new ArrayBuffer(128) as never)).toThrow(TypeError);
  });
});
