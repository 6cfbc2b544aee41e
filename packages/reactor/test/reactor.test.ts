import { EPOLLIN, EPOLLOUT, EventFd } from '@reactor/fds';
import { Reactor } from '@reactor/reactor';
import { bindingName, expectNoFdLeaks, quietLogger } from './helpers';

expectNoFdLeaks();

describe(`Reactor: fds, lifecycle, errors (${bindingName()})`, () => {
  test('run() settles by itself when nothing referenced is left', async () => {
    using loop = new Reactor({ logger: quietLogger });
    using efd = new EventFd();
    const seen: bigint[] = [];
    const watch = loop.watch(efd, EPOLLIN, () => {
      seen.push(efd.read());
      watch.remove();
    });
    setTimeout(() => efd.write(7), 10);
    await loop.run();
    expect(seen).toEqual([7n]);
    expect(loop.state).toBe('idle');
    expect(loop.stats().events).toBeGreaterThanOrEqual(1);
  });

  test('`await loop.run()` continues as soon as the last source is gone, not at Node\'s next unrelated callback', async () => {
    // Under jest on Node 26 this continuation waited for Node's next
    // callback (0.5-0.9 s here) until the loop ran Node's queues after settling run().
    for (let i = 0; i < 3; i++) {
      using loop = new Reactor({ logger: quietLogger });
      let last = 0;
      loop.after(0, () => {
        last = performance.now();
        loop.after(3, () => (last = performance.now()));
        loop.after(3, () => (last = performance.now()));
      });
      await loop.run();
      expect(performance.now() - last).toBeLessThan(100);
    }
  });

  test('level-triggered reports again until drained; edge-triggered once per change', async () => {
    using loop = new Reactor({ logger: quietLogger });
    using level = new EventFd(1);
    using edge = new EventFd(1);
    let levelCalls = 0;
    let edgeCalls = 0;
    loop.watch(level, EPOLLIN, (_ev, w) => {
      if (++levelCalls === 3) {
        level.read();
        w.remove();
      }
    });
    const ew = loop.watch(edge, EPOLLIN, () => edgeCalls++, { edge: true });
    loop.after(30, () => ew.remove());
    await loop.run();
    expect(levelCalls).toBe(3);
    expect(edgeCalls).toBe(1);
  });

  test('oneshot is disabled after one event until rearmed', async () => {
    using loop = new Reactor({ logger: quietLogger });
    using efd = new EventFd(1);
    let calls = 0;
    const w = loop.watch(efd, EPOLLIN, () => {
      calls++;
      if (calls === 1) loop.after(20, () => w.rearm());
      else w.remove();
    }, { oneshot: true });
    await loop.run();
    expect(calls).toBe(2);
  });

  test('a handler removing another source in the same batch: no stale callback', async () => {
    using loop = new Reactor({ logger: quietLogger });
    using a = new EventFd(1);
    using b = new EventFd(1);
    const calls: string[] = [];
    // Both are ready before the first wait, so both events come in one batch.
    const wa = loop.watch(a, EPOLLIN, () => {
      calls.push('a');
      wa.remove();
      wb.remove();
    });
    const wb = loop.watch(b, EPOLLIN, () => {
      calls.push('b');
      wa.remove();
      wb.remove();
    });
    await loop.run();
    expect(calls).toHaveLength(1);
  });

  test('an fd closed and its number reused mid-batch gets no stale event', async () => {
    using loop = new Reactor({ logger: quietLogger });
    const a = new EventFd(1);
    using b = new EventFd(1);
    const calls: string[] = [];
    let reused: EventFd | undefined;
    const wa = loop.watch(a, EPOLLIN, () => {
      calls.push('a');
      wb.remove();
      const n = b.fd;
      b.close();
      reused = new EventFd(0); // very likely takes b's number
      calls.push(`reused:${reused.fd === n}`);
      wa.remove();
    });
    const wb = loop.watch(b, EPOLLIN, () => calls.push('b'));
    await loop.run();
    a.close();
    reused?.close();
    expect(calls[0]).not.toBe('b');
    expect(calls.filter((c) => c === 'b')).toEqual(calls[0] === 'a' ? [] : ['b']);
  });

  test('modify changes the interest for the next wait', async () => {
    using loop = new Reactor({ logger: quietLogger });
    using efd = new EventFd();
    const events: number[] = [];
    const w = loop.watch(efd, EPOLLOUT, (ev) => {
      events.push(ev);
      if (events.length === 1) {
        w.modify(EPOLLIN);
        efd.write(1);
      } else {
        efd.read();
        w.remove();
      }
    });
    await loop.run();
    expect(events[0]! & EPOLLOUT).toBeTruthy();
    expect(events[1]! & EPOLLIN).toBeTruthy();
  });

  test('unref: an unreferenced watch does not keep the loop alive', async () => {
    using loop = new Reactor({ logger: quietLogger });
    using efd = new EventFd();
    let called = false;
    loop.watch(efd, EPOLLIN, () => (called = true), { ref: false });
    await loop.run();
    expect(called).toBe(false);
  });

  test('stop() ends run(); exit hooks run; the loop can run again', async () => {
    using loop = new Reactor({ logger: quietLogger, keepLoopAlive: true });
    const order: string[] = [];
    loop.onExit(() => order.push('exit'));
    loop.after(10, () => {
      order.push('timer');
      loop.stop();
    });
    await loop.run();
    loop.after(1, () => loop.stop());
    await loop.run();
    expect(order).toEqual(['timer', 'exit', 'exit']);
  });

  test('a throwing handler is logged and the loop goes on', async () => {
    const errors: unknown[] = [];
    using loop = new Reactor({ logger: quietLogger, onError: (e, ctx) => errors.push([(e as Error).message, ctx.kind]) });
    let after = false;
    loop.after(1, () => {
      throw new Error('boom');
    });
    loop.after(5, () => (after = true));
    await loop.run();
    expect(errors).toEqual([['boom', 'timer']]);
    expect(after).toBe(true);
    expect(loop.stats().handlerErrors).toBe(1);
  });

  test("the default error hook logs with pino at error level", async () => {
    const lines: string[] = [];
    const pino = (await import('pino')).default;
    const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
    using loop = new Reactor({ logger });
    loop.after(1, () => {
      throw new Error('logged');
    });
    await loop.run();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 50, kind: 'timer', err: { message: 'logged' } });
  });

  test("onError: 'stop' rejects run() with the handler's error", async () => {
    using loop = new Reactor({ logger: quietLogger, onError: 'stop' });
    const fatal = new Error('fatal');
    loop.after(1, () => {
      throw fatal;
    });
    loop.after(1000, () => undefined);
    await expect(loop.run()).rejects.toBe(fatal);
  });

  test('defer runs after the current batch, in order', async () => {
    using loop = new Reactor({ logger: quietLogger });
    const order: string[] = [];
    loop.defer(() => {
      order.push('first');
      // Scheduled from the first turn, so the timer cannot share that turn's
      // batch (it did when the first turn came over 1 ms late: a flaky order).
      loop.after(1, () => {
        loop.defer(() => order.push('deferred'));
        order.push('timer');
      });
    });
    await loop.run();
    expect(order).toEqual(['first', 'timer', 'deferred']);
  });

  test('a callback deferred by a deferred callback runs on the next turn, with no fd event to wake the loop', async () => {
    using loop = new Reactor({ logger: quietLogger, keepLoopAlive: true });
    const order: string[] = [];
    const running = loop.run();
    // While nothing else happens: only the loop itself can ask for that turn.
    loop.defer(() => {
      order.push('outer');
      loop.defer(() => {
        order.push('inner');
        loop.defer(() => {
          order.push('innermost');
          loop.stop();
        });
      });
    });
    await running;
    expect(order).toEqual(['outer', 'inner', 'innermost']);
  });

  test('runBlocking owns the thread until the loop has nothing left', () => {
    using loop = new Reactor({ logger: quietLogger });
    let fired = 0;
    const t0 = performance.now();
    loop.after(30, () => fired++);
    loop.runBlocking();
    expect(fired).toBe(1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(30);
    expect(loop.stats().turns).toBeGreaterThanOrEqual(1);
  });

  test('bad input and use after close', () => {
    const loop = new Reactor({ logger: quietLogger });
    expect(() => loop.after(-1, () => undefined)).toThrow(RangeError);
    expect(() => loop.after(NaN, () => undefined)).toThrow(RangeError);
    expect(() => loop.after(1, 'x' as never)).toThrow(TypeError);
    expect(() => loop.every(0, () => undefined)).toThrow(RangeError);
    expect(() => loop.watch(-1, EPOLLIN, () => undefined)).toThrow(RangeError);
    expect(() => loop.watch(0, 1 << 27, () => undefined)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => loop.onSignal('SIGNOPE', () => undefined)).toThrow();
    expect(() => new Reactor({ onError: 'explode' as never })).toThrow(TypeError);
    loop.close();
    loop.close();
    expect(() => loop.after(1, () => undefined)).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_CLOSED' }));
    expect(() => loop.runBlocking()).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_CLOSED' }));
    return expect(loop.run()).rejects.toThrow(expect.objectContaining({ code: 'ERR_REACTOR_CLOSED' }));
  });
});
