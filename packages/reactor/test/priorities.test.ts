import { createPipe, EPOLLIN, EventFd } from '@reactor/fds';
import { Reactor } from '@reactor/reactor';
import { bindingName, expectNoFdLeaks, quietLogger } from './helpers';

expectNoFdLeaks();

/** Block this thread (no turn can run) for `ms`, so that timers come due together. */
function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe(`source priorities (${bindingName()})`, () => {
  test('eventfds ready in one batch run lowest priority first, ties in arrival order', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const fds = [0, 1, 2, 3, 4, 5].map(() => new EventFd());
    const priorities = [5, -3, 0, -3, 5, 0];
    const order: number[] = [];
    const watches = fds.map((efd, i) =>
      loop.watch(efd, EPOLLIN, () => {
        efd.read();
        order.push(i);
        if (order.length === fds.length) loop.stop();
      }, { priority: priorities[i]! }),
    );
    // Every fd ready before the first turn: one epoll_wait returns all six.
    for (const efd of fds) efd.write(1);
    await loop.run();
    expect(loop.stats().turns).toBe(1);
    // Ties keep the kernel's order, which for a level-triggered set is the order the fds became ready.
    expect(order.map((i) => priorities[i])).toEqual([-3, -3, 0, 0, 5, 5]);
    expect(order).toEqual([1, 3, 2, 5, 0, 4]);
    for (const w of watches) expect(w.stats().dispatches).toBe(1);
    loop.close();
    for (const efd of fds) efd.close();
  });

  test('priority set after creation (setter and setPriority) reorders the next batch; checked as an integer', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const [a, b] = [createPipe(), createPipe()].map(([read, write]) => ({ read, write }));
    const order: string[] = [];
    const wa = loop.watch(a!.read, EPOLLIN, () => {
      a!.read.read(Buffer.alloc(8));
      order.push('a');
      loop.stop();
    });
    const wb = loop.watch(b!.read, EPOLLIN, () => {
      b!.read.read(Buffer.alloc(8));
      order.push('b');
      loop.stop();
    });
    expect(wa.priority).toBe(0);
    wb.priority = -1;
    expect(wa.setPriority(2)).toBe(wa);
    a!.write.write(Buffer.from('x'));
    b!.write.write(Buffer.from('y'));
    await loop.run();
    expect(order).toEqual(['b']);
    // b's stop() ended the batch before 'a' (still ready): the next run dispatches it.
    await loop.run();
    expect(order).toEqual(['b', 'a']);
    expect(() => (wa.priority = 1.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => wa.setPriority('1' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => loop.watch(a!.read, EPOLLIN, () => {}, { priority: Number.MAX_SAFE_INTEGER + 2 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    loop.close();
    for (const p of [a!, b!]) {
      p.read.close();
      p.write.close();
    }
  });

  test('timers due together fire by priority, then deadline', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const order: string[] = [];
    loop.after(1, () => order.push('p0-first'));
    loop.after(2, () => order.push('p1'), { priority: 1 });
    loop.after(3, () => order.push('p-5'), { priority: -5 });
    loop.after(4, () => order.push('p0-second'));
    const t = loop.after(5, () => order.push('p-5-late'));
    t.priority = -5;
    busyWait(20); // all five are due before the loop first looks
    await loop.run();
    expect(order).toEqual(['p-5', 'p-5-late', 'p0-first', 'p0-second', 'p1']);
    expect(t.stats()).toEqual({ dispatches: 1, rateLimitPauses: 0, rateLimited: false });
    loop.close();
  });

  test('a timer cancelled by a higher-priority callback of the same batch does not fire', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const order: string[] = [];
    const victim = loop.after(2, () => order.push('victim'), { priority: 1 });
    loop.after(1, () => {
      order.push('canceller');
      victim.cancel();
    }, { priority: -1 });
    busyWait(10);
    await loop.run();
    expect(order).toEqual(['canceller']);
    loop.close();
  });

  test('across kinds: a due timer of priority -1 runs before a ready eventfd of priority 0 in the same batch, one of 1 after it', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const efd = new EventFd();
    const order: string[] = [];
    loop.watch(efd, EPOLLIN, () => {
      efd.read();
      order.push('io');
    });
    // A first turn arms the timerfd for timers that are already due, and
    // makes the eventfd ready: the next epoll_wait returns both at once.
    loop.after(0, () => {
      loop.after(1, () => order.push('timer-1'), { priority: -1 });
      loop.after(1, () => {
        order.push('timer+1');
        loop.stop();
      }, { priority: 1 });
      efd.write(1);
      busyWait(10);
    });
    await loop.run();
    expect(order).toEqual(['timer-1', 'io', 'timer+1']);
    loop.close();
    efd.close();
  });

  test('a source removed by a higher-priority handler of the same batch gets nothing', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const [x, y] = [new EventFd(), new EventFd()];
    const calls: string[] = [];
    const late = loop.watch(y, EPOLLIN, () => calls.push('late'), { priority: 1 });
    loop.watch(x, EPOLLIN, (_e, w) => {
      calls.push('early');
      x.read();
      late.remove();
      w.remove();
    }, { priority: -1 });
    y.write(1);
    x.write(1);
    await loop.run();
    expect(calls).toEqual(['early']);
    loop.close();
    x.close();
    y.close();
  });
});
