import { spawn, type ChildProcess } from 'node:child_process';
import { EPOLLIN, EventFd, Socket } from '@reactor/fds';
import { Reactor, type Connection, type SourceContext } from '@reactor/reactor';
import { bindingName, expectNoFdLeaks, openFds, quietLogger } from './helpers';

expectNoFdLeaks();

/** Our kinds of fd (epoll, eventfd, timerfd, signalfd, pidfd, sockets) open now. */
function ourFds(): string[] {
  return [...openFds()].filter(([, target]) => /^(anon_inode:|socket:)/.test(target)).map(([fd, target]) => `${fd} → ${target}`).sort();
}

function sleeper(): ChildProcess {
  return spawn('sleep', ['30'], { stdio: 'ignore' });
}

/** A TCP listener whose accept queue is full: a connect to it stays in progress (the kernel drops the SYN). */
function fullListener(): { port: number; close: () => void } {
  const listener = Socket.create('tcp4');
  listener.bind({ family: 'ipv4', address: '127.0.0.1', port: 0 });
  listener.listen(0);
  const address = listener.localAddress();
  const port = 'port' in address ? address.port : 0;
  const fillers = [Socket.create('tcp4'), Socket.create('tcp4')];
  for (const s of fillers) s.connect({ family: 'ipv4', address: '127.0.0.1', port });
  return {
    port,
    close: () => {
      for (const s of fillers) s.close();
      listener.close();
    },
  };
}

const codeOf = (error: unknown): unknown => (error as { code?: unknown }).code;

describe(`Reactor.close() leaves nothing open or active (${bindingName()})`, () => {
  test('a ChildWatch: its pidfd is closed, it is no longer active, and refs are 0', async () => {
    const child = sleeper();
    await new Promise((r) => child.once('spawn', r));
    const before = ourFds();
    const loop = new Reactor({ logger: quietLogger });
    const watch = loop.watchChild(child, () => undefined);
    expect(watch.active).toBe(true);
    loop.close();
    expect(watch.active).toBe(false);
    expect(loop.stats().refs).toBe(0);
    expect(ourFds()).toEqual(before);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  });

  test('an IoWatch is no longer active', () => {
    const loop = new Reactor({ logger: quietLogger });
    const efd = new EventFd(0);
    const watch = loop.watch(efd, EPOLLIN, () => undefined);
    loop.close();
    expect(watch.active).toBe(false);
    expect(loop.stats().refs).toBe(0);
    watch.remove(); // still idempotent after close
    efd.close();
  });

  test('connect() to a host name, loop closed while the name resolves: rejected with ERR_REACTOR_CLOSED, no socket left', async () => {
    const server = Socket.create('tcp4');
    server.bind({ family: 'ipv4', address: '127.0.0.1', port: 0 });
    server.listen(16);
    const address = server.localAddress();
    const port = 'port' in address ? address.port : 0;
    const before = ourFds();
    const loop = new Reactor({ logger: quietLogger });
    const pending = loop.connect({ host: 'localhost', port }).then(() => 'connected', (error: unknown) => error);
    loop.close();
    const outcome = await pending;
    expect(codeOf(outcome)).toBe('ERR_REACTOR_CLOSED');
    // Drain whatever the kernel queued on the server before comparing.
    for (let c = server.accept(); c !== null; c = server.accept()) c.close();
    const afterLoop = ourFds();
    expect(afterLoop.filter((fd) => !before.includes(fd))).toEqual([]);
    server.close();
  });

  test('listen() with a handler that is not a function throws ERR_INVALID_ARG_TYPE and binds nothing', () => {
    const loop = new Reactor({ logger: quietLogger });
    const before = ourFds();
    let thrown: unknown;
    try {
      loop.listen({ port: 0 }, 'not a function' as never);
    } catch (error) {
      thrown = error;
    }
    expect(codeOf(thrown)).toBe('ERR_INVALID_ARG_TYPE');
    expect(ourFds()).toEqual(before);
    expect(loop.stats().refs).toBe(0);
    loop.close();
  });

  test('a UDP receive error closes the socket: one error event, then close (no error on every turn)', async () => {
    const loop = new Reactor({ logger: quietLogger });
    // Nobody listens on the peer's port: a datagram to it brings back an ICMP
    // port-unreachable, which a connected UDP socket reports as ECONNREFUSED on receive.
    const peer = loop.udp();
    const peerAddress = peer.address();
    peer.close();
    const udp = loop.udp();
    udp.socket.connect(peerAddress);
    const errors: unknown[] = [];
    const closes: boolean[] = [];
    udp.on('error', (error) => errors.push(error));
    udp.on('close', (hadError) => closes.push(hadError));
    udp.send('ping', peerAddress);
    const running = loop.run();
    await new Promise((r) => setTimeout(r, 100));
    expect(errors.map(codeOf)).toEqual(['ECONNREFUSED']);
    expect(closes).toEqual([true]);
    expect(udp.closed).toBe(true);
    // Nothing is left to keep the loop alive.
    await running;
    loop.close();
  });

  test('every kind of source live at close(): no fd left, refs 0, nothing active', async () => {
    const before = ourFds();
    const child = sleeper();
    await new Promise((r) => child.once('spawn', r));
    const full = fullListener();
    const loop = new Reactor({ logger: quietLogger });
    const efd = new EventFd(0);
    const io = loop.watch(efd, EPOLLIN, () => undefined);
    const timers = [loop.after(60_000, () => undefined), loop.every(60_000, () => undefined, { clock: 'boottime' }), loop.at(Date.now() + 60_000, () => undefined)];
    const signal = loop.onSignal('SIGUSR2', () => undefined);
    const childWatch = loop.watchChild(child, () => undefined);
    const messages: unknown[] = [];
    loop.onMessage((m) => messages.push(m));
    const waker = loop.waker();
    const listener = loop.listen({ port: 0 });
    const listenAddress = listener.address();
    const accepted = new Promise<Connection>((resolve) => listener.once('connection', resolve));
    const running = loop.run();
    const client = await loop.connect({ port: 'port' in listenAddress ? listenAddress.port : 0 });
    const server = await accepted;
    const stuck = loop.connect({ port: full.port }).then(() => 'connected', (error: unknown) => error);
    const udp = loop.udp();
    expect(waker.post('hello')).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(messages).toEqual(['hello']);
    expect(loop.stats().refs).toBeGreaterThan(0);

    loop.close();
    await running;

    expect(loop.stats().refs).toBe(0);
    expect(io.active).toBe(false);
    expect(timers.map((t) => t.active)).toEqual([false, false, false]);
    expect(signal.active).toBe(false);
    expect(childWatch.active).toBe(false);
    expect(listener.closed).toBe(true);
    expect([client.destroyed, server.destroyed]).toEqual([true, true]);
    expect(udp.closed).toBe(true);
    expect(codeOf(await stuck)).toBe('ERR_REACTOR_CLOSED');
    expect(waker.closed).toBe(true);
    efd.close();
    full.close();
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(ourFds()).toEqual(before);
  });
});

describe('errors from the loop name their source', () => {
  test('an exit hook that throws goes through onError (kind exit)', async () => {
    const seen: Array<[unknown, SourceContext]> = [];
    const loop = new Reactor({ logger: quietLogger, onError: (error, context) => seen.push([error, context]) });
    const boom = new Error('boom');
    loop.onExit(() => {
      throw boom;
    });
    loop.defer(() => undefined);
    await loop.run();
    expect(seen).toEqual([[boom, { kind: 'exit' }]]);
    loop.close();
  });

  test("with onError 'stop', an exit hook's error rejects run()", async () => {
    const loop = new Reactor({ logger: quietLogger, onError: 'stop' });
    const boom = new Error('boom');
    loop.onExit(() => {
      throw boom;
    });
    loop.defer(() => undefined);
    await expect(loop.run()).rejects.toBe(boom);
    loop.close();
  });
});
