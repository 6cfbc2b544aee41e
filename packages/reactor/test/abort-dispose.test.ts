import { connect as netConnect } from 'node:net';
import { spawn } from 'node:child_process';
import { Socket as FdSocket } from '@reactor/fds';
import { setMaxListeners } from 'node:events';
import { Reactor, type ReactorLogger } from '@reactor/reactor';
import { bindingName, expectNoFdLeaks, quietLogger, sleep } from './helpers';

expectNoFdLeaks();

function portOf(address: ReturnType<ReturnType<Reactor['listen']>['address']>): number {
  return 'port' in address ? address.port : 0;
}

/** A listener whose accept queue is full: connects to it stay in progress. */
function stuckListener(): { socket: FdSocket; port: number } {
  const socket = FdSocket.create('tcp4');
  socket.bind({ family: 'ipv4', address: '127.0.0.1', port: 0 });
  socket.listen(0);
  const address = socket.localAddress();
  return { socket, port: 'port' in address ? address.port : 0 };
}

describe(`timers with an AbortSignal (${bindingName()})`, () => {
  test('abort cancels after(), every() and at(); an aborted signal gives a timer that never fires; refresh() does not revive it', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const fired: string[] = [];
    const controller = new AbortController();
    const { signal } = controller;
    // Far deadlines, aborted on the interval's first tick: a loaded machine cannot make them due first.
    const after = loop.after(1000, () => fired.push('after'), { signal });
    let ticks = 0;
    const every = loop.every(10, () => {
      ticks++;
      controller.abort();
    }, { signal });
    const at = loop.at(Date.now() + 1000, () => fired.push('at'), { signal });
    const aborted = AbortSignal.abort();
    const never = loop.after(1, () => fired.push('never'), { signal: aborted });
    expect(never.pending).toBe(false);
    expect(never.refresh().pending).toBe(false);
    const control = loop.after(1200, () => fired.push('control'));
    await loop.run();
    expect(ticks).toBe(1);
    expect(fired).toEqual(['control']);
    for (const timer of [after, every, at]) expect(timer.pending).toBe(false);
    after.refresh();
    expect(after.pending).toBe(false);
    expect(control.pending).toBe(false);
    expect(() => loop.after(1, () => undefined, { signal: {} as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('options.signal') }));
    expect(() => loop.at(Date.now(), () => undefined, { signal: 1 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    loop.close();
  });

  test('a timer that fired or was cancelled leaves no listener on a long-lived signal', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const controller = new AbortController();
    let added = 0;
    let removed = 0;
    const { signal } = controller;
    setMaxListeners(200, signal);
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => (added++, add(...args))) as typeof add;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => (removed++, remove(...args))) as typeof remove;
    for (let i = 0; i < 50; i++) loop.after(1, () => undefined, { signal });
    for (let i = 0; i < 50; i++) loop.after(1000, () => undefined, { signal }).cancel();
    await loop.run();
    expect(added).toBe(100);
    expect(removed).toBe(100);
    loop.close();
  });
});

describe(`promises pending when the loop closes settle (${bindingName()})`, () => {
  test('sleep() rejects with ERR_REACTOR_CLOSED; a sleep on a closed loop too', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const running = loop.run();
    const pending = loop.sleep(60000);
    const unref = loop.sleep(60000, { ref: false });
    loop.after(20, () => loop.close());
    await running;
    await expect(pending).rejects.toMatchObject({ code: 'ERR_REACTOR_CLOSED', message: expect.stringContaining('sleep') });
    await expect(unref).rejects.toMatchObject({ code: 'ERR_REACTOR_CLOSED' });
    await expect(loop.sleep(1)).rejects.toMatchObject({ code: 'ERR_REACTOR_CLOSED' });
  });

  test('connect() rejects with ERR_REACTOR_CLOSED, closeAndWait() resolves (the close destroys the connections)', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const stuck = stuckListener();
    const server = loop.listen({ port: 0 });
    const running = loop.run();
    const client = netConnect(portOf(server.address()), '127.0.0.1');
    client.on('error', () => undefined);
    await new Promise((r) => server.once('connection', r));
    const waiting = server.closeAndWait();
    const connecting = Array.from({ length: 3 }, () => loop.connect({ port: stuck.port }).then((c) => c, (e: NodeJS.ErrnoException) => e));
    await sleep(30);
    loop.close();
    await running;
    await expect(waiting).resolves.toBeUndefined();
    const outcomes = await Promise.all(connecting);
    expect(outcomes.some((o) => o instanceof Error && o.code === 'ERR_REACTOR_CLOSED')).toBe(true);
    for (const o of outcomes) if (!(o instanceof Error)) o.destroy();
    client.destroy();
    stuck.socket.close();
  });
});

describe(`Listener: close and wait, AbortSignal, async dispose (${bindingName()})`, () => {
  test('close(callback) stops accepting now and calls back when the last accepted connection closes', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const server = loop.listen({ port: 0 }, (conn) => conn.on('data', (d) => conn.write(d)));
    const port = portOf(server.address());
    const running = loop.run();
    const clients = [netConnect(port, '127.0.0.1'), netConnect(port, '127.0.0.1')];
    while (server.connections < 2) await sleep(5);
    const events: string[] = [];
    server.on('close', () => events.push('listener close'));
    server.close(() => events.push('all connections closed'));
    expect(events).toEqual(['listener close']);
    // Stopped accepting at once: a new connect is refused.
    const refused = await new Promise<string>((resolve) => {
      const late = netConnect(port, '127.0.0.1');
      late.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? ''));
      late.on('connect', () => resolve('connected'));
    });
    expect(refused).toBe('ECONNREFUSED');
    clients[0]!.end();
    while (server.connections > 1) await sleep(5);
    expect(events).toEqual(['listener close']);
    clients[1]!.end();
    await running;
    expect(events).toEqual(['listener close', 'all connections closed']);
    expect(server.connections).toBe(0);
    // On a closed listener with nothing open: at once.
    let again = false;
    server.close(() => (again = true));
    expect(again).toBe(true);
    loop.close();
  });

  test('await using: closeAndWait() resolves after the connections close; Symbol.asyncDispose is it', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const running = loop.run();
    let closedAt = 0;
    let resolvedAt = 0;
    {
      await using server = loop.listen({ port: 0 }, (conn) => {
        conn.on('close', () => (closedAt = performance.now()));
        loop.after(50, () => conn.end('bye'));
      });
      const client = netConnect(portOf(server.address()), '127.0.0.1');
      client.resume();
      while (server.connections < 1) await sleep(5);
    }
    resolvedAt = performance.now();
    expect(closedAt).toBeGreaterThan(0);
    expect(resolvedAt).toBeGreaterThanOrEqual(closedAt);
    await running;
    loop.close();
  });

  test('listen({ signal }): aborting closes the listener (connections stay); an aborted signal closes it on the next tick', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const controller = new AbortController();
    let accepted = 0;
    const server = loop.listen({ port: 0, signal: controller.signal }, (conn) => {
      accepted++;
      conn.on('data', (d) => conn.write(d));
    });
    const running = loop.run();
    const client = netConnect(portOf(server.address()), '127.0.0.1');
    let echoed = '';
    client.setEncoding('utf8').on('data', (d: string) => (echoed += d));
    while (accepted < 1) await sleep(5);
    controller.abort();
    expect(server.closed).toBe(true);
    client.write('still here');
    while (echoed !== 'still here') await sleep(5);
    client.end();
    await running;

    const early = loop.listen({ port: 0, signal: AbortSignal.abort() });
    expect(early.closed).toBe(false);
    expect(portOf(early.address())).toBeGreaterThan(0);
    await new Promise((r) => process.nextTick(r));
    expect(early.closed).toBe(true);
    expect(() => loop.listen({ port: 0, signal: 'x' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    loop.close();
  });
});

describe(`Symbol.dispose and Symbol.asyncDispose on every handle (${bindingName()})`, () => {
  test('Connection, SignalSubscription, ChildWatch, onMessage/onWake subscriptions, Waker; await using a Reactor', async () => {
    let loopRef: Reactor | undefined;
    {
      await using loop = new Reactor({ logger: quietLogger });
      loopRef = loop;
      const server = loop.listen({ port: 0 });
      const running = loop.run();
      const client = await loop.connect({ port: portOf(server.address()) });
      {
        using conn = client;
        expect(conn.destroyed).toBe(false);
      }
      expect(client.destroyed).toBe(true);
      const signalSub = loop.onSignal('SIGUSR2', () => undefined);
      {
        using sub = signalSub;
        expect(sub.active).toBe(true);
      }
      expect(signalSub.active).toBe(false);
      const child = spawn('sleep', ['5']);
      const childWatch = loop.watchChild(child, () => undefined);
      {
        using watch = childWatch;
        expect(watch.active).toBe(true);
      }
      expect(childWatch.active).toBe(false);
      child.kill();
      let messages = 0;
      {
        using _sub = loop.onMessage(() => messages++);
        using _wake = loop.onWake(() => undefined);
        loop.waker().post('in scope');
        while (messages === 0) await sleep(5);
      }
      const waker = loop.waker();
      loop.waker().post('out of scope');
      await sleep(30);
      expect(messages).toBe(1);
      {
        using w = waker;
        expect(w.post('x')).toBe(true);
      }
      expect(waker.post('after dispose')).toBe(false);
      expect(waker.wake()).toBe(false);
      expect(waker.closed).toBe(true);
      server.close();
      await running;
    }
    expect(loopRef.state).toBe('closed');
  });

  test('keepLoopAlive keeps run() going with nothing referenced; the deprecated keepAlive too', async () => {
    {
      for (const options of [{ keepLoopAlive: true }, { keepAlive: true }, { keepAlive: true }]) {
        const loop = new Reactor({ logger: quietLogger, ...options });
        let settled = false;
        const running = loop.run().then(() => (settled = true));
        await sleep(30);
        expect(settled).toBe(false);
        loop.stop();
        await running;
        loop.close();
      }
      expect(() => new Reactor({ logger: quietLogger, keepLoopAlive: 'yes' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('keepLoopAlive') }));
      expect(() => new Reactor({ logger: quietLogger, keepAlive: true, keepLoopAlive: true })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    }
  });

  test('new Reactor({ logger: {} }) is a coded error and leaks no fd', () => {
    expect(() => new Reactor({ logger: {} as unknown as ReactorLogger })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
