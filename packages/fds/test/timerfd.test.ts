import {
  TimerFd, clockNow, clockId, Epoll, EPOLLIN, SystemError, ClosedFdError,
  CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM,
} from '@reactor/fds';
import { binding, expectNoFdLeaks, sleep } from './helpers';

expectNoFdLeaks();

const MS = 1_000_000n;

describe(`TimerFd (${binding})`, () => {
  test('a 50 ms timer with a 20 ms interval, read once after ~150 ms, counts >= 5 expirations', async () => {
    using t = new TimerFd();
    const t0 = clockNow();
    const previous = t.set({ initialNs: 50n * MS, intervalNs: 20n * MS });
    expect(previous).toEqual({ remainingNs: 0n, intervalNs: 0n });
    await sleep(155);
    const n = t.read();
    const elapsed = clockNow() - t0;
    expect(n).toBeGreaterThanOrEqual(5n);
    // expirations happen at 50, 70, 90 … ms: never more than fit in the time that passed
    expect(n).toBeLessThanOrEqual((elapsed - 50n * MS) / (20n * MS) + 1n);
  });

  test('setMs arms in milliseconds; the fd becomes readable in epoll when the timer fires', () => {
    using ep = new Epoll();
    using t = new TimerFd('monotonic');
    ep.add(t, EPOLLIN);
    const t0 = clockNow();
    t.setMs(30);
    expect(ep.wait(0)).toBe(0);
    expect(ep.wait(1000)).toBe(1);
    // a timer never fires early
    expect(clockNow() - t0).toBeGreaterThanOrEqual(30n * MS);
    expect(t.read()).toBe(1n);
    expect(ep.wait(0)).toBe(0);
  });

  test('an absolute timer (clockNow + 30 ms, TFD_TIMER_ABSTIME) does not fire before its deadline', () => {
    using ep = new Epoll();
    using t = new TimerFd('monotonic');
    ep.add(t, EPOLLIN);
    const deadline = clockNow('monotonic') + 30n * MS;
    t.set({ initialNs: deadline, absolute: true });
    // get() reports the time left, relative, even for an absolute timer.
    const { remainingNs } = t.get();
    expect(remainingNs).toBeGreaterThan(0n);
    expect(remainingNs).toBeLessThanOrEqual(30n * MS);
    while (ep.wait(1000) === 0);
    expect(clockNow('monotonic')).toBeGreaterThanOrEqual(deadline);
    expect(t.read()).toBe(1n);
  });

  test('an absolute deadline in the past fires at once', () => {
    using t = new TimerFd('realtime');
    t.set({ initialNs: 1n, absolute: true });
    expect(t.read()).toBe(1n);
  });

  test('get() reports remaining and interval; set() and disarm() return the previous setting', () => {
    using t = new TimerFd();
    expect(t.get()).toEqual({ remainingNs: 0n, intervalNs: 0n });
    t.set({ initialNs: 10_000n * MS, intervalNs: 250n * MS });
    const now = t.get();
    expect(now.intervalNs).toBe(250n * MS);
    expect(now.remainingNs).toBeGreaterThan(9_000n * MS);
    expect(now.remainingNs).toBeLessThanOrEqual(10_000n * MS);
    const prev = t.setMs(20_000, 1.5);
    expect(prev.intervalNs).toBe(250n * MS);
    expect(prev.remainingNs).toBeGreaterThan(9_000n * MS);
    expect(t.get().intervalNs).toBe(1_500_000n);
    const last = t.disarm();
    expect(last.intervalNs).toBe(1_500_000n);
    expect(last.remainingNs).toBeGreaterThan(19_000n * MS);
    expect(t.get()).toEqual({ remainingNs: 0n, intervalNs: 0n });
  });

  test('nanosecond precision survives the round trip; numbers are accepted as well as bigints', () => {
    using t = new TimerFd();
    t.set({ initialNs: 3_600_000_000_000n, intervalNs: 1_000_000_007 });
    expect(t.get().intervalNs).toBe(1_000_000_007n);
    // a fraction of a millisecond is rounded up, never down to 0 (which would disarm)
    t.setMs(60_000, 0.0000001);
    expect(t.get().intervalNs).toBe(1n);
  });

  test('initialNs 0 disarms, as timerfd_settime(2) says, even with an interval', async () => {
    using t = new TimerFd();
    t.set({ initialNs: 5_000n * MS });
    t.set({ initialNs: 0n, intervalNs: 5n * MS });
    // Measured: the kernel keeps the interval it was given and reports it, but never fires.
    expect(t.get()).toEqual({ remainingNs: 0n, intervalNs: 5n * MS });
    await sleep(15);
    expect(t.tryRead()).toBeNull();
  });

  test('set() and disarm() drop expirations not yet read (the kernel resets the count)', () => {
    using ep = new Epoll();
    using t = new TimerFd();
    ep.add(t, EPOLLIN);
    t.set({ initialNs: 1n });
    expect(ep.wait(1000)).toBe(1);
    t.disarm();
    expect(ep.wait(0)).toBe(0);
    expect(t.tryRead()).toBeNull();
    t.set({ initialNs: 1n });
    expect(ep.wait(1000)).toBe(1);
    t.setMs(10_000);
    expect(t.tryRead()).toBeNull();
  });

  test('EAGAIN when nothing expired: read() throws, tryRead() returns null', () => {
    using t = new TimerFd();
    expect(t.tryRead()).toBeNull();
    t.setMs(10_000);
    expect(t.tryRead()).toBeNull();
    let caught: unknown;
    try {
      t.read();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SystemError);
    expect(caught).toMatchObject({ code: 'EAGAIN', errno: -11, syscall: 'read', fd: t.fd });
  });

  test('a blocking timerfd (nonBlocking: false) waits for its expiration in read()', () => {
    using t = new TimerFd('monotonic', { nonBlocking: false });
    expect(t.nonBlocking).toBe(false);
    const t0 = clockNow();
    t.set({ initialNs: 5n * MS });
    expect(t.read()).toBe(1n);
    expect(clockNow() - t0).toBeGreaterThanOrEqual(5n * MS);
  });

  test('the boottime clock works', () => {
    using t = new TimerFd('boottime');
    expect(t.clockId).toBe(CLOCK_BOOTTIME);
    const before = clockNow('boottime');
    expect(before).toBeGreaterThanOrEqual(clockNow('monotonic') - 1000n * MS);
    t.set({ initialNs: before + 2n * MS, absolute: true });
    while (t.tryRead() === null);
    expect(clockNow('boottime')).toBeGreaterThanOrEqual(before + 2n * MS);
  });

  test.each(['realtime-alarm', 'boottime-alarm'] as const)('the %s clock works or is refused with EPERM', (clock) => {
    let t: TimerFd;
    try {
      t = new TimerFd(clock);
    } catch (e) {
      // CAP_WAKE_ALARM is needed; without it (or without an RTC) the kernel refuses.
      expect(e).toBeInstanceOf(SystemError);
      expect(['EPERM', 'EINVAL', 'ENOTSUPP', 'EOPNOTSUPP']).toContain((e as SystemError).code);
      return;
    }
    using _ = t;
    expect(t.clockId).toBe(clock === 'realtime-alarm' ? CLOCK_REALTIME_ALARM : CLOCK_BOOTTIME_ALARM);
    t.setMs(1);
    while (t.tryRead() === null);
  });

  test('cancelOnSet: an absolute realtime timer arms with it; any other use is a RangeError', () => {
    using rt = new TimerFd('realtime');
    const deadline = clockNow('realtime') + 60_000n * MS;
    rt.set({ initialNs: deadline, absolute: true, cancelOnSet: true });
    expect(rt.get().remainingNs).toBeGreaterThan(59_000n * MS);
    // Nobody sets the clock during the test, so no ECANCELED: just nothing to read.
    expect(rt.tryRead()).toBeNull();
    rt.disarm();
    // The kernel would silently ignore TFD_TIMER_CANCEL_ON_SET here, so it is refused.
    expect(() => rt.set({ initialNs: deadline, cancelOnSet: true })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    using mono = new TimerFd('monotonic');
    expect(() => mono.set({ initialNs: clockNow(), absolute: true, cancelOnSet: true })).toThrow(RangeError);
    expect(() => mono.set({ initialNs: clockNow(), absolute: true, cancelOnSet: true })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(mono.get()).toEqual({ remainingNs: 0n, intervalNs: 0n });
  });

  test('clockNow reads the clocks, clockId names them', () => {
    expect(clockId('monotonic')).toBe(CLOCK_MONOTONIC);
    expect(clockId('realtime')).toBe(CLOCK_REALTIME);
    expect(clockId(CLOCK_BOOTTIME)).toBe(CLOCK_BOOTTIME);
    const wall = clockNow('realtime');
    const ms = BigInt(Date.now());
    expect(wall / MS - ms < 1000n && ms - wall / MS < 1000n).toBe(true);
    const a = clockNow();
    const b = clockNow(CLOCK_MONOTONIC);
    expect(b).toBeGreaterThanOrEqual(a);
    expect(clockNow('process-cputime')).toBeGreaterThan(0n);
    expect(clockNow('monotonic-raw')).toBeGreaterThan(0n);
    expect(() => clockNow(12345)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'clock_gettime' }));
  });

  test('bad arguments are refused before any syscall, naming the parameter', () => {
    expect(() => new TimerFd('steady' as never)).toThrow(RangeError);
    expect(() => new TimerFd('steady' as never)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new TimerFd('process-cputime' as never)).toThrow(RangeError);
    expect(() => new TimerFd(1.5)).toThrow(RangeError);
    expect(() => new TimerFd(NaN)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new TimerFd({} as never)).toThrow(TypeError);
    expect(() => new TimerFd('monotonic', { nonBlocking: 1 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => new TimerFd('monotonic', 'x' as never)).toThrow(TypeError);
    // a clockid the kernel does not accept for timers is the kernel's EINVAL
    expect(() => new TimerFd(3)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'timerfd_create' }));
    expect(() => clockNow('nope' as never)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));

    using t = new TimerFd();
    expect(() => t.set(undefined as never)).toThrow(TypeError);
    expect(() => t.set({} as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => t.set({ initialNs: -1n })).toThrow(RangeError);
    expect(() => t.set({ initialNs: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => t.set({ initialNs: NaN })).toThrow(RangeError);
    expect(() => t.set({ initialNs: 1.5 })).toThrow(RangeError);
    expect(() => t.set({ initialNs: 2n ** 64n })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => t.set({ initialNs: 2 ** 60 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => t.set({ initialNs: '5' as never })).toThrow(TypeError);
    expect(() => t.set({ initialNs: 1n, intervalNs: -5n })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => t.set({ initialNs: 1n, absolute: 'yes' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => t.set({ initialNs: 1n, cancelOnSet: 1 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => t.setMs(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => t.setMs(NaN)).toThrow(RangeError);
    expect(() => t.setMs(Infinity)).toThrow(RangeError);
    expect(() => t.setMs(1e300)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => t.setMs('1' as never)).toThrow(TypeError);
    expect(() => t.setMs(1, -1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    // nothing was armed by any of the refused calls
    expect(t.get()).toEqual({ remainingNs: 0n, intervalNs: 0n });
  });

  test('the largest delay is accepted (the kernel clamps it)', () => {
    using t = new TimerFd();
    t.set({ initialNs: 2n ** 64n - 1n, intervalNs: 2n ** 64n - 1n });
    expect(t.get().remainingNs).toBeGreaterThan(2n ** 62n);
    expect(t.tryRead()).toBeNull();
  });

  test('close is idempotent; use after close is a clear error; flags by default', () => {
    const t = new TimerFd();
    expect(t.closeOnExec).toBe(true);
    expect(t.nonBlocking).toBe(true);
    t.setMs(1000);
    t.close();
    t.close();
    expect(t.closed).toBe(true);
    expect(() => t.read()).toThrow(ClosedFdError);
    expect(() => t.tryRead()).toThrow(expect.objectContaining({ code: 'ERR_FD_CLOSED' }));
    expect(() => t.set({ initialNs: 1n })).toThrow(ClosedFdError);
    expect(() => t.setMs(1)).toThrow(ClosedFdError);
    expect(() => t.get()).toThrow(ClosedFdError);
    expect(() => t.disarm()).toThrow(ClosedFdError);
    const open = new TimerFd('monotonic', { closeOnExec: false });
    expect(open.closeOnExec).toBe(false);
    open.close();
  });
});
