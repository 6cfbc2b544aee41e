/**
 * Faults: slow readers and peers that reset mid-write (against the echo
 * server in a child), half-open peers, idle peers cut by idle timeouts
 * (slowloris), an EMFILE storm with recovery, handlers that throw on every
 * event, and sources closed from their own handler and from another handler
 * of the same batch.
 */
import { connect, type Socket as NetSocket } from 'node:net';
import { EPOLLIN, EventFd, getpid, gettid, signalNumber, tgkill } from '@reactor/fds';
import { Reactor, type Connection, type IoWatch } from '@reactor/reactor';
import pino from 'pino';
import { bindingName, fdCount, fixture, JsonChild, record, resetRecord, scale, SHORT, sleep, untilLive, waitFor } from './helpers';

const quiet = pino({ level: 'silent' });

beforeAll(() => resetRecord('faults'));

/** Open `n` node:net clients to `port` (in batches, so the backlog is not the test). */
async function openClients(port: number, n: number, onSocket: (s: NetSocket, i: number) => void = () => undefined): Promise<NetSocket[]> {
  const sockets: NetSocket[] = [];
  for (let i = 0; i < n; i += 250) {
    const batch = await Promise.all(Array.from({ length: Math.min(250, n - i) }, (_, j) => new Promise<NetSocket>((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.on('error', () => undefined);
      onSocket(s, i + j);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    })));
    sockets.push(...batch);
  }
  return sockets;
}

describe(`faults (${bindingName()}, ${SHORT ? 'short' : 'full'} scale)`, () => {
  test('slow readers: the server queues at most its high-water mark per connection; then they reset mid-write: ECONNRESET/EPIPE, every fd closed', async () => {
    const readers = scale(500, 100);
    const highWaterMark = 64 * 1024;
    const server = new JsonChild(fixture('soak-server.js'), [JSON.stringify({ highWaterMark })]);
    const flood = await server.message((m) => 'port' in m, 10000, 'port').then(({ port }) =>
      new JsonChild(fixture('load-clients.js'), [JSON.stringify({ port, hosts: ['127.0.0.1'], count: readers, mode: 'flood', bytesEach: 16 * 2 ** 20 })]),
    );
    try {
      type Stats = { fds: number; rss: number; hwm: number; live: number; maxQueued: number; errors: number; errorCodes: Record<string, number>; bytes: number };
      const stats = async (): Promise<Stats> => (await server.ask('stats', (m) => 'stats' in m, 10000)).stats as Stats;
      const before = server.messages[0] as unknown as Stats;
      const flooding = await flood.message((m) => 'flooding' in m, 120000, 'flooding');
      expect(flooding.flooding).toBe(readers);
      // A flooder can stall on kernel buffers before the server accepted it: wait for the accepts.
      const stalled = await untilLive(stats, readers, 30000);
      expect(stalled.live).toBe(readers);
      // The echo of a read lands in the queue whole, then reading pauses: one
      // read buffer (64 KiB) past the mark at most.
      expect(stalled.maxQueued).toBeLessThan(highWaterMark + 64 * 1024);
      // RSS: the queues plus per-connection bookkeeping, nothing that grows with the bytes sent.
      const queuedBoundMiB = (readers * (highWaterMark + 64 * 1024)) / 2 ** 20;
      expect(stalled.rss - before.rss).toBeLessThan(queuedBoundMiB + 64);

      const reset = await flood.ask('reset', (m) => 'reset' in m, 60000);
      const after = await untilLive(stats, 0, 30000);
      expect(after.live).toBe(0);
      expect(after.fds).toBe(before.fds);
      // Every reset surfaced as an error on the server connection, named by its errno.
      expect(Object.keys(after.errorCodes).every((c) => c === 'ECONNRESET' || c === 'EPIPE')).toBe(true);
      expect(after.errors).toBe(readers);
      record('faults', {
        slowReaders: {
          connections: readers, clientSentMiB: flooding.sentMiB, serverReadMiB: Math.round(stalled.bytes / 2 ** 20), highWaterMarkKiB: highWaterMark / 1024,
          maxQueuedKiB: Math.round(stalled.maxQueued / 1024), rssBeforeMiB: before.rss, rssStalledMiB: stalled.rss, rssAfterMiB: after.rss,
        },
        resetMidWrite: { connections: reset.reset, serverErrors: after.errorCodes, fdsBefore: before.fds, fdsAfter: after.fds },
      });
    } finally {
      await flood.reap();
      server.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
    }
  });

  test('half-open peers: clients that shut down their writing half still get the whole answer; the server then ends and closes', async () => {
    const peers = scale(2000, 200);
    const answerBytes = 64 * 1024;
    const fdsBefore = fdCount();
    using loop = new Reactor({ logger: quiet });
    let closed = 0;
    const server = loop.listen({ port: 0, backlog: 4096 }, (conn) => {
      let request = 0;
      conn.on('data', (chunk) => (request += chunk.length));
      // The peer's FIN: answer after it (the peer is half-open), then end ours.
      conn.on('end', () => conn.end(Buffer.alloc(answerBytes + request, 0x62)));
      conn.on('close', () => closed++);
    });
    const running = loop.run();
    const port = (server.address() as { port: number }).port;
    const received: number[] = new Array(peers).fill(0);
    const done: Array<Promise<void>> = [];
    await openClients(port, peers, (s, i) => {
      s.on('data', (d: Buffer) => (received[i]! += d.length));
      done.push(new Promise((resolve) => s.once('close', () => resolve())));
      s.once('connect', () => s.end('x'.repeat(10)));
    });
    await Promise.all(done);
    await waitFor(() => closed === peers, 30000, 'every server connection closed');
    expect(received.every((n) => n === answerBytes + 10)).toBe(true);
    server.close();
    loop.stop();
    await running;
    loop.close();
    expect(fdCount()).toBe(fdsBefore);
    record('faults', { halfOpen: { peers, bytesEachAnswered: answerBytes + 10, allAnswered: true } });
  });

  test('idle timeouts cut silent and trickling peers (slowloris); chatty ones stay', async () => {
    const idle = scale(2000, 200);
    const chatty = scale(200, 20);
    // Generous against scheduling stalls on a loaded 2-core machine: a chatty
    // peer speaks every timeout/10, so only a stall of 0.9 s could cut it.
    const idleTimeoutMs = 1000;
    const fdsBefore = fdCount();
    using loop = new Reactor({ logger: quiet });
    let timeouts = 0;
    let timedOutErrors = 0;
    const server = loop.listen({ port: 0, backlog: 4096, idleTimeoutMs }, (conn) => {
      conn.on('timeout', () => timeouts++);
      conn.on('error', (e: Error & { code?: string }) => e.code === 'ETIMEDOUT' && timedOutErrors++);
      conn.on('data', (chunk) => conn.write(chunk));
    });
    const running = loop.run();
    const port = (server.address() as { port: number }).port;
    const t0 = performance.now();
    // Half say nothing; half trickle a byte every 2 × the timeout (slowloris pacing, too slow for it).
    const closedAt: number[] = [];
    const silent = await openClients(port, idle, (s) => s.once('close', () => closedAt.push(performance.now() - t0)));
    const trickle: NodeJS.Timeout[] = silent.slice(0, idle / 2).map((s) => {
      s.write('.'); // it has spoken once; then each gap is longer than the timeout
      return setInterval(() => !s.destroyed && s.write('.'), idleTimeoutMs * 2);
    });
    const talkers = await openClients(port, chatty);
    const talk = setInterval(() => talkers.forEach((s) => s.write('ping')), idleTimeoutMs / 10);
    try {
      await waitFor(() => closedAt.length === idle, 20000, 'every idle peer cut');
      await sleep(idleTimeoutMs);
      expect(talkers.every((s) => !s.destroyed)).toBe(true);
    } finally {
      clearInterval(talk);
      trickle.forEach(clearInterval);
    }
    expect(timeouts).toBe(idle);
    expect(timedOutErrors).toBe(idle);
    // Never before the timeout, since the last byte (each connected after t0).
    expect(Math.min(...closedAt)).toBeGreaterThanOrEqual(idleTimeoutMs);
    for (const s of talkers) s.destroy();
    await waitFor(() => loop.stats().refs <= 1, 10000, 'talkers closed');
    server.close();
    loop.stop();
    await running;
    loop.close();
    expect(fdCount()).toBe(fdsBefore);
    record('faults', {
      idleTimeout: { idlePeers: idle, trickling: idle / 2, chattyPeers: chatty, idleTimeoutMs, cut: timeouts, lastCutAfterMs: Math.round(Math.max(...closedAt)), chattyCut: 0 },
    });
  });

  test('an EMFILE storm: under RLIMIT_NOFILE 256 the server pauses accepting, keeps serving, and recovers after every wave', async () => {
    const waves = scale(10, 3);
    const perWave = scale(1000, 400);
    const server = new JsonChild(require.resolve('../test/fixtures/emfile-server.js'), [], { command: ['prlimit', '--nofile=256'] });
    try {
      const port = Number(String((await server.message((m) => /^port \d+$/.test(String(m.text)), 10000, 'port')).text).split(' ')[1]);
      // One connection held through the storm must keep being served.
      const [keeper] = await openClients(port, 1);
      let echoes = 0;
      keeper!.on('data', () => echoes++);
      const ping = setInterval(() => keeper!.write('k'), 20);
      let refusedOrReset = 0;
      let served = 0;
      try {
        for (let wave = 0; wave < waves; wave++) {
          const storm: NetSocket[] = [];
          await Promise.all(Array.from({ length: perWave }, () => new Promise<void>((resolve) => {
            const s = connect({ port, host: '127.0.0.1' });
            storm.push(s);
            s.once('connect', () => resolve());
            s.once('error', () => (refusedOrReset++, resolve()));
          })));
          const echoesBefore = echoes;
          await waitFor(() => echoes > echoesBefore + 3, 5000, 'the held connection served during the storm');
          for (const s of storm) s.destroy();
          // Recovery: a fresh connection is accepted and echoes once fds are free.
          const [fresh] = await openClients(port, 1);
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`wave ${wave}: no echo on a fresh connection`)), 10000);
            fresh!.once('data', () => (clearTimeout(timer), resolve()));
            fresh!.write('after the storm');
          });
          served++;
          fresh!.destroy();
        }
      } finally {
        clearInterval(ping);
        keeper!.destroy();
      }
      await server.message((m) => /pauses [1-9]/.test(String(m.text)), 5000, 'a pause line');
      const last = String([...server.messages].reverse().find((m) => /^open \d+ pauses/.test(String(m.text)))!.text);
      const pauses = Number(/pauses (\d+)/.exec(last)![1]);
      expect(pauses).toBeGreaterThan(0);
      expect(served).toBe(waves);
      server.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
      expect(server.messages.some((m) => m.text === 'exited cleanly')).toBe(true);
      record('faults', { emfileStorm: { rlimitNofile: 256, waves, connectsPerWave: perWave, acceptPauses: pauses, clientsRefusedOrReset: refusedOrReset, recoveredAfterEveryWave: true } });
    } finally {
      await server.reap();
    }
  });

  test('handlers that throw on every event: every throw is reported, the loop goes on serving', async () => {
    const durationMs = scale(5000, 1000);
    const fdsBefore = fdCount();
    const errors = new Map<string, number>();
    using loop = new Reactor({ logger: quiet, onError: (_e, ctx) => errors.set(ctx.kind, (errors.get(ctx.kind) ?? 0) + 1) });
    const thrown = { timer: 0, io: 0, data: 0, connection: 0, defer: 0, signal: 0 };
    const boom = (what: keyof typeof thrown): never => {
      thrown[what]++;
      throw new Error(`throws on every ${what}`);
    };
    loop.every(1, () => boom('timer'));
    const efd = new EventFd();
    const watch = loop.watch(efd, EPOLLIN, () => {
      efd.read();
      boom('io');
    });
    const feeder = loop.every(2, () => efd.write(1));
    loop.onSignal('SIGUSR2', () => boom('signal'));
    const server = loop.listen({ port: 0 }, (conn) => {
      conn.on('data', (chunk) => {
        conn.write(chunk); // served first, then the handler fails
        loop.defer(() => boom('defer'));
        boom('data');
      });
      boom('connection');
    });
    const running = loop.run();
    const port = (server.address() as { port: number }).port;
    const clients = await openClients(port, 20);
    let echoed = 0;
    for (const s of clients) s.on('data', (d: Buffer) => (echoed += d.length));
    const t0 = performance.now();
    let sent = 0;
    while (performance.now() - t0 < durationMs) {
      for (const s of clients) s.write('0123456789');
      sent += 10 * clients.length;
      // Thread-directed: jest's sandboxed `process` installs no real signal
      // listener, so a process-directed signal would kill the test runner.
      // (Signals from outside are soaked in signals.soak.test.ts, in a child.)
      tgkill(getpid(), gettid(), signalNumber('SIGUSR2'));
      await sleep(5);
    }
    await waitFor(() => echoed === sent, 10000, 'every byte echoed');
    for (const s of clients) s.destroy();
    await sleep(50);
    server.close();
    watch.remove();
    feeder.cancel();
    loop.stop();
    await running;
    loop.close();
    efd.close();
    const totalThrown = Object.values(thrown).reduce((a, b) => a + b, 0);
    const totalReported = [...errors.values()].reduce((a, b) => a + b, 0);
    expect(totalReported).toBe(totalThrown);
    for (const n of Object.values(thrown)) expect(n).toBeGreaterThan(0);
    expect(fdCount()).toBe(fdsBefore);
    record('faults', { throwingHandlers: { durationMs, thrown, reportedByKind: Object.fromEntries(errors), bytesEchoedMeanwhile: echoed } });
  });

  test('sources closed from their own handler and from another handler of the same batch: no stale call, each fd closed once', async () => {
    const rounds = scale(200, 30);
    const perRound = 256;
    const fdsBefore = fdCount();
    // keepLoopAlive: between rounds nothing is registered, and run() must not settle.
    using loop = new Reactor({ logger: quiet, onError: 'stop', keepLoopAlive: true });
    let stale = 0;
    let calls = 0;
    let removedByOther = 0;
    let seed = 12345;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const running = loop.run();
    for (let round = 0; round < rounds; round++) {
      const fds = Array.from({ length: perRound }, () => new EventFd());
      const watches: IoWatch[] = [];
      const gone = new Set<number>();
      const drop = (i: number): void => {
        if (gone.has(i)) return;
        gone.add(i);
        watches[i]!.remove();
        fds[i]!.close();
      };
      fds.forEach((efd, i) => {
        watches.push(loop.watch(efd, EPOLLIN, () => {
          calls++;
          if (gone.has(i)) stale++;
          // Itself, and a random other one (maybe later in this very batch).
          const other = Math.floor(random() * perRound);
          if (!gone.has(other) && other !== i) removedByOther++;
          drop(i);
          drop(other);
        }));
        efd.write(1); // all ready: one batch (maxEvents 1024) holds them all
      });
      await waitFor(() => gone.size === perRound, 5000, 'every source dropped');
    }
    // The same with connections: a data handler destroys its own connection and another.
    const conns: Connection[] = [];
    const server = loop.listen({ port: 0, backlog: 1024 }, (conn) => {
      conns.push(conn);
      conn.on('data', () => {
        if (conn.destroyed) stale++;
        conn.destroy();
        conns[Math.floor(random() * conns.length)]!.destroy();
      });
    });
    const port = (server.address() as { port: number }).port;
    const clients = await openClients(port, perRound);
    await waitFor(() => conns.length === perRound, 5000, 'all accepted');
    for (const s of clients) s.write('go');
    await waitFor(() => conns.every((c) => c.destroyed), 5000, 'every connection destroyed');
    for (const s of clients) s.destroy();
    server.close();
    loop.stop();
    await running;
    loop.close();
    expect(stale).toBe(0);
    expect(removedByOther).toBeGreaterThan(0);
    expect(fdCount()).toBe(fdsBefore);
    record('faults', { closedInBatch: { rounds, sourcesPerRound: perRound, handlerCalls: calls, removedByAnotherHandler: removedByOther, staleCalls: stale, connectionsDestroyedInBatch: perRound } });
  });
});
