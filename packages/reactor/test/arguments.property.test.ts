import fc from 'fast-check';
import { EPOLLIN, EventFd } from '@reactor/fds';
import { Cluster, Connection, Reactor, ReactorClosedError, toDuplex, Waker } from '@reactor/reactor';
import { expectTyped, RUNS } from '@reactor/testing';
import { bindingName, expectNoFdLeaks, quietLogger } from './helpers';

expectNoFdLeaks();

/** Hostile values: wrong types, NaN, -0, huge numbers, null-prototype objects, buffers of every kind … */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: fc.anything({ withBigInt: true, withBoxedValues: true, withNullPrototype: true, withTypedArray: true, withSparseArray: true, withDate: true }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(
      NaN, Infinity, -Infinity, -0, -1, 1.5, 2 ** 31, 2 ** 53, 1e300, '3', '', 'SIGKILL', 'SIGSTOP', 'NOPE', 'toString', Symbol('s'), () => 0,
      new ArrayBuffer(8), new SharedArrayBuffer(8), Object.create(null), { toString: [] }, [1, 2], null, undefined, { fd: -1 }, { fd: '3' },
      { port: -1 }, { port: 1.5 }, { host: 5, port: 0 }, { host: {}, port: 0 }, { path: 5 }, { maxReadsPerTurn: NaN }, { threads: 0 }, { threads: 1 },
    ),
  },
);

/** The same for a promise: it resolves, or rejects with a typed error naming `name`. */
async function expectTypedAsync(promise: Promise<unknown>, name: string, kernel?: string): Promise<unknown> {
  let value: unknown;
  let failure: unknown;
  await promise.then((v) => (value = v), (e) => (failure = e));
  return failure === undefined ? value : expectTyped(() => { throw failure; }, name, kernel);
}

/** Release whatever a successful call made. */
function release(made: unknown): void {
  if (made === null || typeof made !== 'object') return;
  const m = made as { remove?: () => void; cancel?: () => void; close?: () => void };
  if (typeof m.cancel === 'function') m.cancel();
  else if (typeof m.remove === 'function') m.remove();
  else if (typeof m.close === 'function') m.close();
}

describe(`argument checks of @reactor/reactor, properties (${bindingName()})`, () => {
  test('Reactor and its methods: any argument gives a result or a typed error naming it', () => {
    using loop = new Reactor({ logger: quietLogger });
    using ev = new EventFd();
    const waker = loop.waker();
    fc.assert(
      fc.property(hostile, (v) => {
        release(expectTyped(() => new Reactor(v as never), 'options'));
        release(expectTyped(() => new Reactor({ maxEvents: v as number }), 'options.maxEvents'));
        release(expectTyped(() => new Reactor({ onError: v as 'log' }), 'options.onError'));
        release(expectTyped(() => new Reactor({ wakeupRingBytes: v as number }), 'options.wakeupRingBytes'));
        release(expectTyped(() => loop.watch(v as number, EPOLLIN, () => undefined), 'fd', 'epoll_ctl'));
        release(expectTyped(() => loop.watch(ev, v as number, () => undefined), 'events', 'epoll_ctl'));
        release(expectTyped(() => loop.watch(ev, EPOLLIN, v as () => void), 'handler'));
        release(expectTyped(() => loop.watch(ev, EPOLLIN, () => undefined, v as never), 'options'));
        release(expectTyped(() => loop.after(v as number, () => undefined), 'delayMs'));
        release(expectTyped(() => loop.after(1, v as () => void), 'callback'));
        release(expectTyped(() => loop.after(1, () => undefined, v as never), 'options'));
        release(expectTyped(() => loop.every(v as number, () => undefined), 'intervalMs'));
        release(expectTyped(() => loop.at(v as number, () => undefined), 'when'));
        release(expectTyped(() => loop.onSignal(v as string, () => undefined), 'signal', 'signalfd'));
        release(expectTyped(() => loop.onSignal('SIGUSR2', v as () => void), 'handler'));
        release(expectTyped(() => loop.watchChild(v as number, () => undefined), 'target', 'pidfd_open'));
        release(expectTyped(() => loop.watchChild(process.pid, v as () => void), 'handler'));
        expectTyped(() => loop.onMessage(v as () => void), 'handler');
        expectTyped(() => loop.onWake(v as () => void), 'handler');
        expectTyped(() => loop.defer(v as () => void), 'callback');
        expectTyped(() => loop.onExit(v as () => void), 'callback');
        release(expectTyped(() => loop.listen(v as never), 'options', 'bind'));
        release(expectTyped(() => loop.udp(v as never), 'options', 'bind'));
        expectTyped(() => new Waker(v as never), 'handle');
        expectTyped(() => waker.post(v), 'value');
        expectTyped(() => toDuplex(v as Connection), 'connection');
      }),
      { numRuns: RUNS.kernel },
    );
  });

  test('connect and Cluster.start: any options give a typed rejection, never a crash', async () => {
    using loop = new Reactor({ logger: quietLogger });
    // Only values that cannot start threads or reach another host: no module path, no host string.
    const safe = hostile.filter((v) => !(typeof v === 'object' && v !== null && ('module' in v || 'host' in v)));
    await fc.assert(
      fc.asyncProperty(safe, async (v) => {
        release(await expectTypedAsync(loop.connect(v as never), 'options', 'connect'));
        release(await expectTypedAsync(Cluster.start(v as never), 'options'));
      }),
      { numRuns: RUNS.kernel },
    );
  });

  test('Connection methods: any argument gives a result or a typed error naming it (write(5) threw Node\'s Buffer.from error)', async () => {
    const loop = new Reactor({ logger: quietLogger });
    let accepted: Connection | undefined;
    const server = loop.listen({ host: '127.0.0.1', port: 0 }, (c) => (accepted = c));
    const running = loop.run();
    const address = server.address();
    const client = await loop.connect({ port: 'port' in address ? address.port : 0 });
    try {
      fc.assert(
        fc.property(hostile, (v) => {
          expectTyped(() => client.write(v as Buffer), 'data');
          expectTyped(() => client.setIdleTimeout(v as number), 'ms');
          client.setIdleTimeout(0);
          expectTyped(() => client.setNoDelay(v as boolean), 'enable');
          expectTyped(() => client.setKeepAlive(v as boolean), 'enable');
          expectTyped(() => client.setKeepAlive(true, v as number), 'idleSeconds');
          expectTyped(() => client.onData(v as () => void), 'handler');
        }),
        { numRuns: RUNS.kernel },
      );
      expect(client.destroyed).toBe(false);
    } finally {
      client.destroy();
      accepted?.destroy();
      server.close();
      loop.stop();
      await running;
      loop.close();
    }
  });

  test('UdpSocket: options and send() arguments are checked (a NaN maxReadsPerTurn read nothing; send(5) named "buffer")', () => {
    using loop = new Reactor({ logger: quietLogger });
    const udp = loop.udp();
    try {
      fc.assert(
        fc.property(hostile, (v) => {
          release(expectTyped(() => loop.udp({ maxReadsPerTurn: v as number }), 'options.maxReadsPerTurn'));
          release(expectTyped(() => loop.udp({ port: v as number }), 'options.port', 'bind'));
          release(expectTyped(() => loop.udp({ host: v as string }), 'options.host', 'bind'));
          expectTyped(() => udp.send(v as Buffer, udp.address()), 'data', 'sendto');
          expectTyped(() => udp.send('x', v as never), 'address', 'sendto');
        }),
        { numRuns: RUNS.kernel },
      );
    } finally {
      udp.close();
    }
  });
});

describe(`reactor timers with any delay, properties (${bindingName()})`, () => {
  test('after/every/at with any finite delay the loop keeps running (a delay past ~584 years made run() die on a RangeError from inside)', () => {
    const delay = fc.oneof(fc.double({ min: 0, max: 1e300, noNaN: true }), fc.constantFrom(Number.MAX_SAFE_INTEGER, 2 ** 44, 1e13, Number.MAX_VALUE));
    fc.assert(
      fc.property(delay, fc.constantFrom('after', 'every', 'at-future', 'at-past', 'boottime'), (ms, kind) => {
        using loop = new Reactor({ logger: quietLogger });
        const fired: string[] = [];
        const make = () => {
          if (kind === 'after') return loop.after(ms, () => fired.push('timer'));
          if (kind === 'boottime') return loop.after(ms, () => fired.push('timer'), { clock: 'boottime' });
          if (kind === 'every') return loop.every(Math.max(ms, 1e-3), () => fired.push('timer'));
          return loop.at(kind === 'at-future' ? Date.now() + ms : -ms, () => fired.push('timer'));
        };
        const timer = make();
        // A readable eventfd: its handler runs in the first turn, after the timer queue armed the timerfd.
        using ev = new EventFd(1);
        loop.watch(ev, EPOLLIN, (_events, watch) => {
          fired.push('watch');
          timer.cancel();
          watch.remove();
        });
        loop.runBlocking();
        expect(fired[fired.length - 1]).toBe('watch');
      }),
      { numRuns: RUNS.kernel },
    );
  });
});

describe(`a closed reactor, properties (${bindingName()})`, () => {
  test('every operation on a closed reactor throws ReactorClosedError naming it; close() again does nothing', async () => {
    const loop = new Reactor({ logger: quietLogger });
    loop.close();
    loop.close();
    const ops: Array<[string, () => unknown]> = [
      ['watch', () => loop.watch(0, EPOLLIN, () => undefined)],
      ['timer', () => loop.after(1, () => undefined)],
      ['timer', () => loop.every(1, () => undefined)],
      ['timer', () => loop.at(Date.now(), () => undefined)],
      ['onSignal', () => loop.onSignal('SIGUSR2', () => undefined)],
      ['listen', () => loop.listen({ port: 0 })],
      ['udp', () => loop.udp()],
      ['watchChild', () => loop.watchChild(process.pid, () => undefined)],
      ['wakeupHandle', () => loop.wakeupHandle()],
      ['defer', () => loop.defer(() => undefined)],
      ['run', () => loop.runBlocking()],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...ops), ([name, op]) => {
        expect(op).toThrow(ReactorClosedError);
        expect(op).toThrow(new RegExp(`^${name}: the reactor is closed$`));
      }),
      { numRuns: ops.length * 3 },
    );
    await expect(loop.connect({ port: 1 })).rejects.toThrow(ReactorClosedError);
    await expect(loop.run()).rejects.toMatchObject({ code: 'ERR_REACTOR_CLOSED' });
  });
});
