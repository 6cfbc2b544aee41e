import { Reactor, type Timer } from '@reactor/reactor';
import { bindingName, expectNoFdLeaks, quietLogger } from './helpers';

expectNoFdLeaks();

describe(`Reactor timers (${bindingName()})`, () => {
  test('timers never fire early and fire in deadline order, ties in scheduling order', async () => {
    using loop = new Reactor({ logger: quietLogger });
    const fired: Array<{ id: number; late: number }> = [];
    const start = performance.now();
    const delays = [30, 5, 20, 5, 0, 12, 30, 1, 20, 5];
    delays.forEach((d, id) => loop.after(d, () => fired.push({ id, late: performance.now() - start - d })));
    await loop.run();
    expect(fired.map((f) => f.id)).toEqual([4, 7, 1, 3, 9, 5, 2, 8, 0, 6]);
    for (const f of fired) expect(f.late).toBeGreaterThanOrEqual(0);
  });

  test('exact timers (timerSlackMs 0) keep fractional deadlines apart; the default slack of 1 ms fires one millisecond in scheduling order', async () => {
    const run = async (timerSlackMs?: number) => {
      using loop = new Reactor({ logger: quietLogger, ...(timerSlackMs === undefined ? {} : { timerSlackMs }) });
      const fired: number[] = [];
      const timers = [5.9, 5.1, 5.5, 5.3].map((d, id) => ({ id, timer: loop.after(d, () => fired.push(id)) }));
      // The order the deadlines give (each after() reads the clock: a slow machine spreads them).
      const expected = [...timers].sort((a, b) => a.timer.deadline - b.timer.deadline || a.timer.seq - b.timer.seq).map((t) => t.id);
      const deadlines = timers.map((t) => t.timer.deadline);
      await loop.run();
      return { fired, expected, deadlines };
    };
    const exact = await run(0);
    expect(exact.fired).toEqual(exact.expected);
    // Exact deadlines keep their fractions of a millisecond, all four apart.
    expect(exact.deadlines.some((d) => d !== Math.round(d))).toBe(true);
    expect(new Set(exact.deadlines).size).toBe(4);
    const slack = await run();
    expect(slack.fired).toEqual(slack.expected);
    // Rounded up to whole milliseconds of the clock (the queue counts from a whole millisecond).
    for (const d of slack.deadlines) expect(d).toBe(Math.round(d));
    expect(new Set(slack.deadlines).size).toBeLessThanOrEqual(2);
  });

  test('many random timers: none early, all fired once', async () => {
    using loop = new Reactor({ logger: quietLogger });
    const n = 2000;
    let early = 0;
    let fired = 0;
    for (let i = 0; i < n; i++) {
      const delay = Math.random() * 50;
      const due = performance.now() + delay;
      loop.after(delay, () => {
        fired++;
        if (performance.now() < due) early++;
      });
    }
    await loop.run();
    expect(fired).toBe(n);
    expect(early).toBe(0);
  });

  test('timerSlackMs: deadlines in one slot share an arming (far fewer turns), none fires early, order kept; bad values refused', async () => {
    const run = async (timerSlackMs: number) => {
      using loop = new Reactor({ logger: quietLogger, timerSlackMs });
      const n = 400;
      const order: number[] = [];
      let early = 0;
      for (let i = 0; i < n; i++) {
        // 400 deadlines 0.1 ms apart, from 20 ms to 60 ms.
        const delay = 20 + i * 0.1;
        const due = performance.now() + delay;
        loop.after(delay, () => {
          order.push(i);
          if (performance.now() < due) early++;
        });
      }
      await loop.run();
      return { order, early, turns: loop.stats().turns };
    };
    const exact = await run(0);
    const slack = await run(10);
    for (const r of [exact, slack]) {
      expect(r.early).toBe(0);
      expect(r.order).toEqual(Array.from({ length: 400 }, (_, i) => i));
    }
    // 40 ms of deadlines on a 10 ms grid: at most 6 armings. Exact arming
    // takes a turn per batch the clock allows (over 100 on a quiet machine;
    // not compared: a loaded machine batches more).
    expect(slack.turns).toBeLessThanOrEqual(12);
    expect(() => new Reactor({ logger: quietLogger, timerSlackMs: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new Reactor({ logger: quietLogger, timerSlackMs: 60_001 })).toThrow(RangeError);
    expect(() => new Reactor({ logger: quietLogger, timerSlackMs: '1' as unknown as number })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  test('duration buckets keep the global order: few durations, refreshes and cancels, fired exactly in (deadline, schedule) order', async () => {
    using loop = new Reactor({ logger: quietLogger });
    // A seeded generator: the same mix every run, so a failure reproduces.
    let seed = 0x2545f491;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const durations = [0, 3, 7, 7.5, 15];
    const timers: Array<{ timer: Timer; id: number }> = [];
    const fired: number[] = [];
    for (let id = 0; id < 3000; id++) {
      const timer = loop.after(durations[Math.floor(random() * durations.length)]!, () => fired.push(id));
      timers.push({ timer, id });
      // Refresh or cancel an earlier timer now and then: it moves to the tail
      // of its bucket or leaves it from the middle.
      const other = timers[Math.floor(random() * timers.length)]!;
      const roll = random();
      if (roll < 0.1) other.timer.cancel();
      else if (roll < 0.2) other.timer.refresh();
    }
    const expected = timers
      .filter((t) => t.timer.pending)
      .sort((a, b) => a.timer.deadline - b.timer.deadline || a.timer.seq - b.timer.seq)
      .map((t) => t.id);
    await loop.run();
    expect(fired).toEqual(expected);
    expect(loop.stats().timersFired).toBe(expected.length);
  });

  test('cancel, refresh, every, unref', async () => {
    using loop = new Reactor({ logger: quietLogger });
    const log: string[] = [];
    const cancelled = loop.after(5, () => log.push('cancelled'));
    cancelled.cancel();
    cancelled.cancel();
    expect(cancelled.pending).toBe(false);
    let ticks = 0;
    const every = loop.every(5, (t) => {
      if (++ticks === 4) t.cancel();
    });
    const refreshed = loop.after(15, () => log.push(`refreshed at ${Math.round(performance.now() - t0)}`));
    const t0 = performance.now();
    loop.after(10, () => refreshed.refresh());
    loop.after(1000, () => log.push('unref fired')).unref();
    await loop.run();
    expect(ticks).toBe(4);
    expect(every.pending).toBe(false);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/^refreshed at/);
    expect(Number(log[0]!.split(' ')[2])).toBeGreaterThanOrEqual(25);
  });

  test('timers created and cancelled from inside timer callbacks', async () => {
    using loop = new Reactor({ logger: quietLogger });
    let fired = 0;
    let early = 0;
    const victims: Timer[] = [];
    for (let i = 0; i < 200; i++) {
      loop.after(i % 7, () => {
        fired++;
        for (const v of victims.splice(0, 2)) v.cancel();
        const due = performance.now() + 3;
        victims.push(loop.after(3, () => fired++), loop.after(3, () => {
          fired++;
          if (performance.now() < due) early++;
        }));
      });
    }
    await loop.run();
    expect(early).toBe(0);
    // 200 outer + each pair except those cancelled; every outer call cancels up to 2.
    expect(fired).toBeGreaterThan(200);
  });

  test('100k timers on one timerfd', async () => {
    using loop = new Reactor({ logger: quietLogger });
    const n = 100_000;
    let fired = 0;
    const timers: Timer[] = [];
    for (let i = 0; i < n; i++) timers.push(loop.after(i % 100, () => fired++));
    for (let i = 0; i < n; i += 10) timers[i]!.cancel();
    await loop.run();
    expect(fired).toBe(n - n / 10);
    expect(loop.stats().timersFired).toBe(n - n / 10);
  });

  test('wall-clock at() and a boottime timer', async () => {
    using loop = new Reactor({ logger: quietLogger });
    const log: string[] = [];
    const when = Date.now() + 40;
    loop.at(new Date(when), () => log.push(`at ${Date.now() >= when}`));
    const t0 = performance.now();
    loop.after(20, () => log.push(`boottime ${performance.now() - t0 >= 20}`), { clock: 'boottime' });
    await loop.run();
    expect(log).toEqual(['boottime true', 'at true']);
  });
});
