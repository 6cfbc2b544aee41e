import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import {
  SignalSet, signalNumber, signalName, sigrtmin, sigrtmax, SIGNAL_MAX, SIGSET_SIZE,
  blockSignals, unblockSignals, setSignalMask, getSignalMask, pendingSignals,
  getpid, gettid, kill, tgkill, SignalFd, SystemError,
} from '@reactor/fds';
import { binding, expectNoFdLeaks } from './helpers';

expectNoFdLeaks();

/**
 * Run `fn` with `signals` blocked in this thread, then take whatever of them is
 * still pending (so nothing is delivered to Node's handlers or kills the
 * worker) and put the thread's mask back as it was.
 */
function withBlocked(signals: (string | number)[], fn: () => void): void {
  const previous = blockSignals(signals);
  try {
    fn();
  } finally {
    const drain = new SignalFd(signals);
    try {
      while (drain.read().length > 0);
    } finally {
      drain.close();
      setSignalMask(previous);
    }
  }
}

describe(`signal names and numbers (${binding})`, () => {
  test('standard signals by full name, short name and number', () => {
    expect(signalNumber('SIGTERM')).toBe(15);
    expect(signalNumber('TERM')).toBe(15);
    expect(signalNumber(15)).toBe(15);
    expect(signalNumber('SIGUSR1')).toBe(osConstants.signals.SIGUSR1);
    expect(signalNumber('SIGIOT')).toBe(6);
    expect(signalName(15)).toBe('SIGTERM');
    // the man pages' names, not the aliases that share their numbers
    expect(signalName(6)).toBe('SIGABRT');
    expect(signalName(29)).toBe('SIGIO');
    for (const [name, n] of Object.entries(osConstants.signals)) {
      expect(signalNumber(name)).toBe(n);
      expect(signalNumber(signalName(n))).toBe(n);
    }
  });

  test('realtime signals: SIGRTMIN(+n) and SIGRTMAX(-n), named SIGRTMIN+n', () => {
    const min = sigrtmin();
    const max = sigrtmax();
    // glibc keeps 32 and 33 for its threads
    expect(min).toBeGreaterThanOrEqual(34);
    expect(max).toBe(SIGNAL_MAX);
    expect(signalNumber('SIGRTMIN')).toBe(min);
    expect(signalNumber('RTMIN')).toBe(min);
    expect(signalNumber('SIGRTMIN+2')).toBe(min + 2);
    expect(signalNumber('SIGRTMAX')).toBe(max);
    expect(signalNumber('SIGRTMAX-1')).toBe(max - 1);
    expect(signalNumber('RTMAX-0')).toBe(max);
    expect(signalName(min)).toBe('SIGRTMIN');
    expect(signalName(min + 2)).toBe('SIGRTMIN+2');
    expect(signalName(max)).toBe(`SIGRTMIN+${max - min}`);
    for (let n = min; n <= max; n++) expect(signalNumber(signalName(n))).toBe(n);
  });

  test('unknown or out-of-range signals are TypeErrors and RangeErrors', () => {
    expect(() => signalNumber('SIGFOO')).toThrow(RangeError);
    expect(() => signalNumber('sigterm')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => signalNumber('')).toThrow(RangeError);
    expect(() => signalNumber('SIGRTMIN+99')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => signalNumber('SIGRTMIN-1')).toThrow(RangeError);
    expect(() => signalNumber('SIGRTMAX+1')).toThrow(RangeError);
    expect(() => signalNumber(0)).toThrow(RangeError);
    expect(() => signalNumber(65)).toThrow(RangeError);
    expect(() => signalNumber(32)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => signalNumber(1.5)).toThrow(RangeError);
    expect(() => signalNumber(NaN)).toThrow(RangeError);
    expect(() => signalNumber(null as never)).toThrow(TypeError);
    expect(() => signalNumber(15n as never)).toThrow(TypeError);
    expect(() => signalName(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => signalName('SIGTERM' as never)).toThrow(TypeError);
    expect(signalName(32)).toBe('SIG32');
  });
});

describe(`SignalSet (${binding})`, () => {
  test('a glibc sigset_t: 128 bytes, signal n is bit n-1', () => {
    const set = new SignalSet(['SIGHUP', 'SIGUSR1', 'SIGRTMIN+2', 64]);
    expect(set.buffer.length).toBe(SIGSET_SIZE);
    expect(set.buffer[0]).toBe(0b1); // SIGHUP = 1 → bit 0
    expect(set.buffer[1]).toBe(0b10); // SIGUSR1 = 10 → bit 9
    expect(set.buffer[7]).toBe(0x80); // 64 → bit 63
    expect(set.buffer.readBigUInt64LE(0)).toBe((1n << 0n) | (1n << 9n) | (1n << BigInt(sigrtmin() + 1)) | (1n << 63n));
    expect(set.toArray()).toEqual([1, 10, sigrtmin() + 2, 64]);
    expect(set.names()).toEqual(['SIGHUP', 'SIGUSR1', 'SIGRTMIN+2', `SIGRTMIN+${64 - sigrtmin()}`]);
    expect(set.size).toBe(4);
    expect([...set]).toEqual(set.toArray());
    expect(set.has('SIGUSR1')).toBe(true);
    expect(set.has(12)).toBe(false);
    set.delete('SIGUSR1').add('SIGUSR2');
    expect(set.has(10)).toBe(false);
    expect(set.has('USR2')).toBe(true);
    expect(new SignalSet(set).equals(set)).toBe(true);
    expect(SignalSet.fromBuffer(set.buffer).toArray()).toEqual(set.toArray());
    expect(new SignalSet('SIGINT').toArray()).toEqual([2]);
    expect(String(new SignalSet([15, 2]))).toBe('SignalSet(SIGINT, SIGTERM)');
    expect(set.clear().size).toBe(0);
  });

  test('bad members are refused and leave the set unchanged', () => {
    const set = new SignalSet([1]);
    expect(() => set.add(['SIGUSR1', 'SIGNOPE'])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => set.add(0)).toThrow(RangeError);
    expect(() => set.add({} as never)).toThrow(TypeError);
    expect(() => set.add(null as never)).toThrow(TypeError);
    expect(set.toArray()).toEqual([1]);
    expect(() => set.has(65)).toThrow(RangeError);
    expect(() => SignalSet.fromBuffer(Buffer.alloc(4))).toThrow(RangeError);
    expect(() => SignalSet.fromBuffer('x' as never)).toThrow(TypeError);
  });
});

describe(`thread signal mask (${binding})`, () => {
  test('block/unblock/set/get return the previous mask; the kernel agrees', () => {
    const original = getSignalMask();
    try {
      expect(original.has('SIGUSR2')).toBe(false);
      const before = blockSignals(['SIGUSR2', 'SIGRTMIN+3']);
      expect(before.equals(original)).toBe(true);
      const now = getSignalMask();
      expect(now.has('SIGUSR2')).toBe(true);
      expect(now.has('SIGRTMIN+3')).toBe(true);
      // this thread's mask, as the kernel shows it
      const status = readFileSync(`/proc/self/task/${gettid()}/status`, 'utf8');
      const sigBlk = BigInt('0x' + /SigBlk:\s*([0-9a-f]+)/.exec(status)![1]);
      expect(sigBlk).toBe(now.buffer.readBigUInt64LE(0));
      const prev = unblockSignals('SIGUSR2');
      expect(prev.equals(now)).toBe(true);
      expect(getSignalMask().has('SIGUSR2')).toBe(false);
      expect(setSignalMask(original).has('SIGRTMIN+3')).toBe(true);
      expect(getSignalMask().equals(original)).toBe(true);
    } finally {
      setSignalMask(original);
    }
  });

  test('blocking SIGKILL and SIGSTOP is silently ignored by the kernel', () => {
    const original = getSignalMask();
    try {
      blockSignals(['SIGKILL', 'SIGSTOP']);
      expect(getSignalMask().has('SIGKILL')).toBe(false);
      expect(getSignalMask().has('SIGSTOP')).toBe(false);
    } finally {
      setSignalMask(original);
    }
  });

  test('a blocked thread-directed signal is pending until taken', () => {
    withBlocked(['SIGUSR2'], () => {
      expect(pendingSignals().has('SIGUSR2')).toBe(false);
      tgkill(getpid(), gettid(), 'SIGUSR2');
      expect(pendingSignals().has('SIGUSR2')).toBe(true);
      using sfd = new SignalFd(['SIGUSR2']);
      expect(sfd.read().map((i) => i.name)).toEqual(['SIGUSR2']);
      expect(pendingSignals().has('SIGUSR2')).toBe(false);
    });
    expect(getSignalMask().has('SIGUSR2')).toBe(false);
  });

  test('bad arguments are refused before any syscall', () => {
    const original = getSignalMask();
    expect(() => blockSignals(['SIGUSR1', 'nope'])).toThrow(RangeError);
    expect(() => setSignalMask(undefined as never)).toThrow(TypeError);
    expect(() => unblockSignals(99)).toThrow(RangeError);
    expect(getSignalMask().equals(original)).toBe(true);
  });
});

describe(`process and thread ids, kill and tgkill (${binding})`, () => {
  test('getpid and gettid of the main thread are the process id', () => {
    expect(getpid()).toBe(process.pid);
    expect(gettid()).toBe(process.pid);
  });

  test('signal 0 checks for existence; failures are SystemErrors', () => {
    kill(process.pid, 0);
    tgkill(process.pid, gettid(), 0);
    let caught: unknown;
    try {
      kill(0x7ffffff0, 0);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SystemError);
    expect(caught).toMatchObject({ code: 'ESRCH', syscall: 'kill' });
    // a tid that is not a thread of this process
    expect(() => tgkill(process.pid, 0x7ffffff0, 0)).toThrow(expect.objectContaining({ code: 'ESRCH', syscall: 'tgkill' }));
  });

  test('bad arguments are refused before any syscall', () => {
    expect(() => kill(1.5, 0)).toThrow(RangeError);
    expect(() => kill('1' as never, 0)).toThrow(TypeError);
    expect(() => kill(process.pid, 'SIGNOPE')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => kill(process.pid, -1)).toThrow(RangeError);
    expect(() => tgkill(0, 1, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => tgkill(1, -5, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => tgkill(1, 1, 99)).toThrow(RangeError);
  });
});
