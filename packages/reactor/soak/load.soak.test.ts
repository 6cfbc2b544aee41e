/**
 * Load: many connections held open and echoing, then many opened and closed
 * in churn, against a reactor echo server in a child process (the clients
 * are node:net in other child processes, so no process passes the fd limit).
 * Afterwards the server's fd count is back to its baseline and its RSS is bounded.
 */
import { bindingName, fixture, JsonChild, record, resetRecord, scale, SHORT, untilLive } from './helpers';

const HELD = scale(10_000, 1_000);
const CHURN = scale(100_000, 5_000);
const ECHO_ROUNDS = scale(20, 3);
const CLIENT_PROCESSES = 4;
// Spread over 4 loopback addresses: 4 × 28k ephemeral ports for the churn's TIME_WAITs.
const HOSTS = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];

type Stats = { fds: number; rss: number; hwm: number; live: number; accepted: number; closed: number; errors: number; threads: number };

let server: JsonChild;
let baseline: Stats;
const stats = async (): Promise<Stats> => (await server.ask('stats', (m) => 'stats' in m, 10000)).stats as Stats;

beforeAll(async () => {
  resetRecord('load');
  server = new JsonChild(fixture('soak-server.js'), ['{}'], { command: [] });
  const hello = await server.message((m) => 'port' in m, 10000, 'server port');
  baseline = hello as unknown as Stats;
});

afterAll(async () => {
  server.kill('SIGTERM');
  const exit = await server.exited;
  expect(exit).toEqual({ code: 0, signal: null });
});

describe(`load (${bindingName()}, ${SHORT ? 'short' : 'full'} scale)`, () => {
  test(`${HELD} concurrent connections held open and echoing; fds back to baseline after`, async () => {
    const port = (server.messages[0] as { port: number }).port;
    const before = await stats();
    const t0 = performance.now();
    const clients = Array.from({ length: CLIENT_PROCESSES }, () =>
      new JsonChild(fixture('load-clients.js'), [JSON.stringify({ port, hosts: HOSTS, count: HELD / CLIENT_PROCESSES, mode: 'hold' })]),
    );
    const held = await Promise.all(clients.map((c) => c.message((m) => 'held' in m, 120000, 'held')));
    const heldTotal = held.reduce((n, m) => n + (m.held as number), 0);
    const connectMs = Math.round(performance.now() - t0);
    expect(heldTotal).toBe(HELD);
    const during = await untilLive(stats, HELD, 30000);
    // One fd per connection, nothing else grows with them.
    expect(during.fds - before.fds).toBe(HELD);

    const rounds: number[] = [];
    for (let round = 0; round < ECHO_ROUNDS; round++) {
      const t = performance.now();
      const echoed = await Promise.all(clients.map((c) => c.ask('echo', (m) => 'echoed' in m, 120000)));
      expect(echoed.reduce((n, m) => n + (m.echoed as number), 0)).toBe(HELD);
      rounds.push(Math.round(performance.now() - t));
    }
    const peak = await stats();

    const closed = await Promise.all(clients.map((c) => c.ask('close', (m) => 'closed' in m, 120000)));
    for (const c of clients) expect((await c.exited).code).toBe(0);
    const after = await untilLive(stats, 0, 30000);
    expect(after.fds).toBe(before.fds);
    expect(after.errors).toBe(before.errors);
    record('load', {
      held: { connections: heldTotal, clientProcesses: CLIENT_PROCESSES, connectMs, echoRoundsMs: rounds, clientErrors: closed.map((m) => m.errorCodes) },
      heldServer: { fdsBefore: before.fds, fdsHeld: during.fds, fdsAfter: after.fds, rssBeforeMiB: before.rss, rssHeldMiB: peak.rss, rssAfterMiB: after.rss, hwmMiB: after.hwm, threads: after.threads },
    });
  });

  test(`${CHURN} connections opened, echoed and closed in churn; fds back to baseline, RSS bounded`, async () => {
    const port = (server.messages[0] as { port: number }).port;
    const before = await stats();
    const t0 = performance.now();
    const clients = Array.from({ length: CLIENT_PROCESSES }, () =>
      new JsonChild(fixture('load-clients.js'), [JSON.stringify({ port, hosts: HOSTS, count: CHURN / CLIENT_PROCESSES, mode: 'churn', concurrency: 64 })]),
    );
    let peakRss = before.rss;
    const sampler = setInterval(() => {
      void stats().then((s) => (peakRss = Math.max(peakRss, s.rss)), () => undefined);
    }, 1000);
    let results;
    try {
      results = await Promise.all(clients.map((c) => c.message((m) => 'churned' in m, 540000, 'churned')));
    } finally {
      clearInterval(sampler);
    }
    const ms = Math.round(performance.now() - t0);
    const churned = results.reduce((n, m) => n + (m.churned as number), 0);
    const echoed = results.reduce((n, m) => n + (m.echoed as number), 0);
    expect(churned).toBe(CHURN);
    expect(echoed).toBe(CHURN);
    const after = await untilLive(stats, 0, 30000);
    expect(after.accepted - before.accepted).toBe(CHURN);
    expect(after.fds).toBe(baseline.fds);
    // Bounded: churning does not keep memory per connection. The bound is
    // loose on purpose (GC timing); a leak of even 1 KiB per connection of a
    // 100k churn would pass 100 MiB.
    expect(after.rss - before.rss).toBeLessThan(64);
    record('load', {
      churn: {
        connections: churned, clientProcesses: CLIENT_PROCESSES, concurrencyPerProcess: 64, ms, perSecond: Math.round((churned / ms) * 1000),
        closedBy: 'client: 3/4 FIN (TIME_WAIT on the client side, tcp_tw_reuse), 1/4 RST (SO_LINGER 0)', destinations: HOSTS,
        serverResetsSeen: after.errors - before.errors, clientErrors: results.map((m) => m.errorCodes),
      },
      churnServer: { fdsBaseline: baseline.fds, fdsAfter: after.fds, rssBeforeMiB: before.rss, rssPeakMiB: peakRss, rssAfterMiB: after.rss, hwmMiB: after.hwm },
    });
  });
});
