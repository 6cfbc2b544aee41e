import { createPipe, EPOLLIN, EventFd } from '@reactor/fds';
import { Reactor } from '@reactor/reactor';
import { bindingName, expectNoFdLeaks, quietLogger } from './helpers';

expectNoFdLeaks();

describe(`source rate limits (${bindingName()})`, () => {
  test('an always-ready eventfd (never read) is paused after `burst` dispatches per interval and resumes by itself', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const efd = new EventFd();
    try {
      efd.write(1); // level-triggered and never read: ready on every wait
      const seenLimited: boolean[] = [];
      const watch = loop.watch(efd, EPOLLIN, () => {}, { rateLimit: { intervalMs: 100, burst: 5 } });
      expect(watch.rateLimit).toEqual({ intervalMs: 100, burst: 5 });
      // Sampled every 10 ms: a slow machine moves the pauses, not their existence.
      loop.every(10, () => seenLimited.push(watch.rateLimited));
      loop.after(330, () => loop.stop());
      await loop.run();
      const stats = watch.stats();
      // Each pause comes after a full burst in its window, then up to a burst more after the last resume.
      expect(stats.dispatches).toBeGreaterThanOrEqual(5 * stats.rateLimitPauses);
      expect(stats.dispatches).toBeLessThanOrEqual(5 * (stats.rateLimitPauses + 1));
      // Paused at ~0 ms and again at ~100 ms (so it resumed by itself in between), and at ~200 ms unless timers run late.
      expect(stats.rateLimitPauses).toBeGreaterThanOrEqual(2);
      expect(loop.stats().rateLimitPauses).toBe(stats.rateLimitPauses);
      // Seen paused (a burst takes well under a millisecond, so a sample mostly finds it paused);
      // two pauses or more means it resumed by itself in between.
      expect(seenLimited).toContain(true);
      // Without the limit this loop would turn tens of thousands of times in 330 ms.
      expect(loop.stats().turns).toBeLessThan(200);
    } finally {
      loop.close();
      efd.close();
    }
  });

  test('a pipe whose writer is gone (EPOLLHUP, reported whatever the interest) is held too', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const [read, write] = createPipe();
    write.close();
    const watch = loop.watch(read, EPOLLIN, () => {}, { rateLimit: { intervalMs: 200, burst: 3 } });
    loop.after(100, () => loop.stop());
    await loop.run();
    expect(watch.stats()).toEqual({ dispatches: 3, rateLimitPauses: 1, rateLimited: true });
    // The pause lets at most one EPOLLHUP through (EPOLLONESHOT), which is held: a few turns, no spin.
    expect(loop.stats().turns).toBeLessThan(20);
    loop.close();
    read.close();
  });

  test('removing the limit resumes a paused source at once; setting one on a timer is refused; limits are checked', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const efd = new EventFd();
    efd.write(1);
    let calls = 0;
    const watch = loop.watch(efd, EPOLLIN, () => {
      if (++calls === 2) {
        // Paused from the next dispatch on for 10 s, then freed 20 ms later.
        loop.after(20, () => {
          expect(watch.rateLimited).toBe(true);
          watch.setRateLimit(undefined);
          expect(watch.rateLimited).toBe(false);
        });
      }
      if (calls === 10) loop.stop();
    });
    watch.setRateLimit({ intervalMs: 10_000, burst: 2 });
    const start = performance.now();
    await loop.run();
    expect(performance.now() - start).toBeLessThan(5_000);
    expect(watch.stats()).toMatchObject({ dispatches: 10, rateLimitPauses: 1, rateLimited: false });
    const timer = loop.after(1000, () => {});
    expect(() => timer.setRateLimit({ intervalMs: 10, burst: 1 })).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_RATELIMIT_UNSUPPORTED' }));
    timer.cancel();
    expect(() => watch.setRateLimit({ intervalMs: 0, burst: 1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => watch.setRateLimit({ intervalMs: 10, burst: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => watch.setRateLimit({ intervalMs: '10', burst: 1 } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    loop.close();
    efd.close();
  });

  test('a source removed while paused leaves no resume behind; close() during a pause is clean', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const efd = new EventFd();
    efd.write(1);
    const watch = loop.watch(efd, EPOLLIN, () => {}, { rateLimit: { intervalMs: 5_000, burst: 1 } });
    loop.after(30, () => {
      expect(watch.rateLimited).toBe(true);
      watch.remove();
      expect(watch.rateLimited).toBe(false);
    });
    // Resolves once the watch is removed: the pending resume is unref'ed and cancelled.
    await loop.run();
    expect(watch.stats().dispatches).toBe(1);
    loop.close();
    efd.close();
  });
});
