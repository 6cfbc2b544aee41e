import fc from 'fast-check';
import {
  decodeSignalfdSiginfo, Epoll, EPOLLERR, EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP, EPOLLIN, EPOLLONESHOT, EPOLLOUT, EPOLLPRI,
  EPOLLRDHUP, EventFd, SIGNALFD_SIGINFO_SIZE, SignalSet, signalName, signalNumber, sigrtmax, sigrtmin, SystemError, TimerFd,
} from '@reactor/fds';
import { binding, expectNoFdLeaks } from './helpers';
import { ARGUMENT_ERROR_CODES, expectArgumentError, RUNS } from '@reactor/testing';

expectNoFdLeaks();

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

describe(`signalfd_siginfo decoding, properties (${binding})`, () => {
  test('any 128 bytes at any offset decode field by field as the struct layout says, and never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: SIGNALFD_SIGINFO_SIZE, maxLength: 3 * SIGNALFD_SIGINFO_SIZE }).chain((bytes) =>
        fc.tuple(fc.constant(bytes), fc.integer({ min: 0, max: bytes.length - SIGNALFD_SIGINFO_SIZE }))), ([bytes, offset]) => {
        const info = decodeSignalfdSiginfo(bytes, offset);
        const view = new DataView(bytes.buffer, bytes.byteOffset + offset, SIGNALFD_SIGINFO_SIZE);
        expect(info.signo).toBe(view.getUint32(0, true));
        expect(info.errno).toBe(view.getInt32(4, true));
        expect(info.code).toBe(view.getInt32(8, true));
        expect(info.pid).toBe(view.getUint32(12, true));
        expect(info.status).toBe(view.getInt32(40, true));
        expect(info.ptr).toBe(view.getBigUint64(48, true));
        expect(info.addrLsb).toBe(view.getUint16(80, true));
        expect(info.syscall).toBe(view.getInt32(84, true));
        expect(info.arch).toBe(view.getUint32(96, true));
        // Every signal number gets a name, even ones no kernel would send.
        expect(info.name).toBe(info.signo >= 1 && info.signo <= 64 ? signalName(info.signo) : `SIG${info.signo}`);
      }),
      { numRuns: RUNS.pure },
    );
  });

  test('a buffer too short for the offset, a bad offset or a non-buffer is a RangeError/TypeError naming it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.oneof(fc.integer({ min: -10, max: 400 }), fc.double(), fc.anything()), (bytes, offset) => {
        const fits = Number.isInteger(offset) && (offset as number) >= 0 && (offset as number) + SIGNALFD_SIGINFO_SIZE <= bytes.length;
        if (fits) return;
        expectArgumentError(() => decodeSignalfdSiginfo(bytes, offset as number), 'offset');
      }),
      { numRuns: RUNS.pure },
    );
    fc.assert(
      fc.property(fc.anything(), (value) => {
        fc.pre(!(value instanceof Uint8Array));
        expectArgumentError(() => decodeSignalfdSiginfo(value as Uint8Array), 'buffer');
      }),
      { numRuns: RUNS.pure },
    );
  });
});

describe(`signal names and sets, properties (${binding})`, () => {
  const usable = fc.integer({ min: 1, max: 64 }).filter((n) => (n < 32 || n >= sigrtmin()) && n <= sigrtmax());

  test('signalNumber(signalName(n)) is n for every usable signal', () => {
    fc.assert(fc.property(usable, (n) => expect(signalNumber(signalName(n))).toBe(n)), { numRuns: RUNS.pure });
  });

  test('any string or number: a signal number or a TypeError/RangeError naming the argument', () => {
    const name = fc.oneof(fc.string(), fc.constantFrom('SIGRTMIN+1', 'RTMAX-2', 'SIGRTMIN-1', 'SIGRTMAX+1', 'RTMIN+999', 'KILL', 'sigterm'));
    fc.assert(
      fc.property(fc.oneof(name, fc.integer({ min: -5, max: 70 }), fc.anything()), (signal) => {
        let n: number;
        try {
          n = signalNumber(signal as string);
        } catch (error) {
          expect(ARGUMENT_ERROR_CODES).toContain((error as NodeJS.ErrnoException).code);
          return;
        }
        expect(n).toBeGreaterThanOrEqual(1);
        expect(n).toBeLessThanOrEqual(64);
      }),
      { numRuns: RUNS.pure },
    );
  });

  test('SignalSet add/delete/has behave as a set of numbers, and fromBuffer(set.buffer) is the same set', () => {
    const op = fc.tuple(fc.boolean(), fc.array(usable, { maxLength: 5 }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 20 }), (ops) => {
        const set = new SignalSet();
        const model = new Set<number>();
        for (const [add, signals] of ops) {
          if (add) {
            set.add(signals);
            signals.forEach((s) => model.add(s));
          } else {
            set.delete(signals);
            signals.forEach((s) => model.delete(s));
          }
        }
        expect(set.toArray()).toEqual([...model].sort((a, b) => a - b));
        for (let n = 1; n <= 64; n++) expect(set.has(n)).toBe(model.has(n));
        expect(SignalSet.fromBuffer(set.buffer).equals(set)).toBe(true);
      }),
      { numRuns: RUNS.pure },
    );
  });
});

describe(`epoll event bits and tokens, properties (${binding})`, () => {
  const KNOWN = [EPOLLIN, EPOLLPRI, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDHUP, EPOLLONESHOT, EPOLLET];
  const knownBits = fc.subarray(KNOWN).map((bits) => bits.reduce((a, b) => a | b, 0) >>> 0);
  const token = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.maxSafeNat(), fc.constant(Number.MAX_SAFE_INTEGER), fc.constant(2 ** 32), fc.constant(2 ** 32 - 1));

  test('any token (a safe integer) comes back exactly with its events, and the events are what was asked plus ERR/HUP', () => {
    using ep = new Epoll({ maxEvents: 4 });
    using ev = new EventFd(1); // readable and writable
    let added = false;
    fc.assert(
      fc.property(knownBits, token, (bits, tok) => {
        const events = (bits | EPOLLIN | EPOLLOUT) >>> 0;
        if (added) ep.modify(ev, events, tok);
        else ep.add(ev, events, tok);
        added = true;
        expect(ep.wait(0)).toBe(1);
        expect(ep.tokenAt(0)).toBe(tok);
        const got = ep.eventsAt(0);
        expect(got & ~(events | EPOLLERR | EPOLLHUP)).toBe(0);
        expect(got & (EPOLLIN | EPOLLOUT)).toBe(EPOLLIN | EPOLLOUT);
        // A one-shot registration is disabled after it fired: it must be modified to fire again.
        if ((events & EPOLLONESHOT) !== 0) expect(ep.wait(0)).toBe(0);
      }),
      { numRuns: RUNS.kernel },
    );
  });

  test('any unknown bit, a non-integer or out-of-range events value is refused before the kernel sees it', () => {
    using ep = new Epoll();
    using ev = new EventFd();
    const knownMask = (KNOWN.reduce((a, b) => a | b, 0) | EPOLLEXCLUSIVE | (1 << 29) /* EPOLLWAKEUP */) >>> 0;
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), fc.double(), fc.anything()), (events) => {
        const valid = Number.isInteger(events) && (events as number) >= -(2 ** 31) && (events as number) <= 2 ** 32 - 1 && (((events as number) >>> 0) & ~knownMask) === 0;
        fc.pre(!valid);
        expectArgumentError(() => ep.add(ev, events as number), 'events');
        // Nothing was registered: deleting reports ENOENT from the kernel.
        expect(() => ep.delete(ev)).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'epoll_ctl' }));
      }),
      { numRuns: RUNS.kernel },
    );
  });

  test('tokens beyond the safe integers, negative or fractional are a RangeError naming token', () => {
    using ep = new Epoll();
    using ev = new EventFd();
    fc.assert(
      fc.property(fc.oneof(fc.integer({ max: -1 }), fc.double({ min: 2 ** 53, noNaN: true }), fc.double().filter((d) => !Number.isInteger(d))), (tok) => {
        expectArgumentError(() => ep.add(ev, EPOLLIN, tok), 'token');
      }),
      { numRuns: RUNS.pure },
    );
  });
});

describe(`eventfd and timerfd values, properties (${binding})`, () => {
  test('eventfd: the counter is the sum of the writes; a write past 2^64-2 is refused (EAGAIN) and changes nothing', () => {
    const value = fc.oneof(fc.bigInt({ min: 0n, max: 0xfffffffffffffffen }), fc.bigInt({ min: 0n, max: 1000n }), fc.maxSafeNat());
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 6 }), (writes) => {
        using ev = new EventFd();
        let model = 0n;
        for (const w of writes) {
          const ok = ev.tryWrite(w);
          const fits = model + BigInt(w) <= 0xfffffffffffffffen;
          expect(ok).toBe(fits);
          if (fits) model += BigInt(w);
        }
        expect(ev.tryRead()).toBe(model === 0n ? null : model);
        expect(ev.tryRead()).toBeNull();
      }),
      { numRuns: RUNS.kernel },
    );
  });

  test('eventfd: 2^64-1, negative, unsafe or non-integer values are refused before the kernel, naming value', () => {
    using ev = new EventFd();
    fc.assert(
      fc.property(fc.oneof(fc.bigInt({ max: -1n }), fc.bigInt({ min: 2n ** 64n, max: 2n ** 70n }), fc.double().filter((d) => !Number.isSafeInteger(d) || d < 0), fc.anything()), (v) => {
        const valid = (typeof v === 'bigint' && v >= 0n && v < 2n ** 64n) || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
        fc.pre(!valid && v !== undefined); // undefined is the default: write(1)
        expectArgumentError(() => ev.write(v as bigint), 'value');
      }),
      { numRuns: RUNS.pure },
    );
    // 2^64-1 is the kernel's to refuse: EINVAL, a SystemError naming write.
    expect(() => ev.write(0xffffffffffffffffn)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'write' }));
    expect(ev.tryRead()).toBeNull();
  });

  test('eventfd semaphore: n writes of 1 give n reads of 1, then EAGAIN', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), (n) => {
        using ev = new EventFd(0, { semaphore: true });
        ev.write(n);
        for (let i = 0; i < n; i++) expect(ev.read()).toBe(1n);
        expect(() => ev.read()).toThrow(SystemError);
      }),
      { numRuns: RUNS.kernel / 2 },
    );
  });

  test('timerfd: set() keeps the interval exactly and never reports more time left than was asked (the initial delay, or one interval once that passed), for any value up to 2^64-1 ns', () => {
    using t = new TimerFd('monotonic');
    const ns = fc.oneof(fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 1n, max: 10n ** 12n }), fc.constant(2n ** 64n - 1n));
    fc.assert(
      fc.property(ns, fc.oneof(fc.constant(0n), ns), (initialNs, intervalNs) => {
        t.set({ initialNs, intervalNs });
        const { remainingNs, intervalNs: gotInterval } = t.get();
        // The kernel clamps at KTIME_MAX (~292 years): huge values are kept as that.
        const KTIME_MAX = 2n ** 63n - 1n;
        expect(gotInterval).toBe(intervalNs > KTIME_MAX ? gotInterval : intervalNs);
        expect(remainingNs).toBeLessThanOrEqual(initialNs > intervalNs ? initialNs : intervalNs);
        expect(remainingNs).toBeGreaterThanOrEqual(0n);
      }),
      { numRuns: RUNS.kernel },
    );
    t.disarm();
  });

  test('timerfd setMs: any finite ms >= 0 arms for at least that long (rounded up to the next ns), never shorter', () => {
    using t = new TimerFd('monotonic');
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), (ms) => {
        // The interval is what the kernel keeps verbatim.
        t.setMs(1e9, ms);
        const { intervalNs } = t.get();
        const asked = ms * 1e6;
        expect(Number(intervalNs)).toBeGreaterThanOrEqual(Math.floor(asked));
        expect(Number(intervalNs) - asked).toBeLessThanOrEqual(1 + asked * 1e-15);
        if (ms > 0) expect(intervalNs).toBeGreaterThan(0n);
        expect(intervalNs <= MAX_SAFE * 1000n).toBe(true);
      }),
      { numRuns: RUNS.kernel },
    );
    t.disarm();
  });

  test('timerfd: NaN, negative, infinite or non-number ms are refused naming the argument', () => {
    using t = new TimerFd('monotonic');
    fc.assert(
      fc.property(fc.oneof(fc.double().filter((d) => !(Number.isFinite(d) && d >= 0)), fc.anything()), (ms) => {
        fc.pre(!(typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) && ms !== undefined); // undefined: the default interval
        expectArgumentError(() => t.setMs(ms as number), 'initialMs');
        expectArgumentError(() => t.setMs(1, ms as number), 'intervalMs');
      }),
      { numRuns: RUNS.pure },
    );
  });
});
