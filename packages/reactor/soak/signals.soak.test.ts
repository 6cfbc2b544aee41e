/**
 * Signals under load: a storm of SIGHUPs sent from this (another) process to
 * a reactor echo server that holds connections and echoes meanwhile. The
 * process survives, the handler runs, and the last signal is never lost
 * (coalescing allowed): the handler runs after the last kill(2) returned.
 * Then SIGTERM during load drains every connection and exits 0.
 */
import { bindingName, fixture, JsonChild, record, resetRecord, scale, SHORT } from './helpers';

const SIGHUPS = scale(1000, 100);
const HELD = scale(2000, 400);
const CLIENT_PROCESSES = 2;

type Stats = { fds: number; live: number; hups: number; lastHupNs: string; errors: number };

describe(`signals under load (${bindingName()}, ${SHORT ? 'short' : 'full'} scale)`, () => {
  test(`${SIGHUPS} SIGHUPs from another process while ${HELD} connections echo; then SIGTERM drains and exits 0`, async () => {
    resetRecord('signals');
    const server = new JsonChild(fixture('soak-server.js'), ['{}']);
    const clients: JsonChild[] = [];
    try {
      const { port } = (await server.message((m) => 'port' in m, 10000, 'server port')) as { port: number };
      const stats = async (): Promise<Stats> => (await server.ask('stats', (m) => 'stats' in m, 10000)).stats as Stats;
      for (let i = 0; i < CLIENT_PROCESSES; i++) {
        clients.push(new JsonChild(fixture('load-clients.js'), [JSON.stringify({ port, hosts: ['127.0.0.1'], count: HELD / CLIENT_PROCESSES, mode: 'hold' })]));
      }
      await Promise.all(clients.map((c) => c.message((m) => 'held' in m, 60000, 'held')));

      // Load: echo rounds back to back in every client while the storm runs.
      let storming = true;
      let rounds = 0;
      let echoFailures = 0;
      const load = Promise.all(clients.map(async (c) => {
        while (storming) {
          const m = await c.ask('echo', (x) => 'echoed' in x, 60000);
          rounds++;
          if (m.echoed !== m.of) echoFailures++;
        }
      }));

      const t0 = performance.now();
      let lastSentNs = 0n;
      for (let i = 0; i < SIGHUPS; i++) {
        server.kill('SIGHUP');
        lastSentNs = process.hrtime.bigint(); // CLOCK_MONOTONIC: the same clock in every process
        // Pace the storm over the load (a pause of ~1 ms every 10 signals), so
        // it meets the loop at every stage of its turn, not once between two.
        if (i % 10 === 9) await new Promise((r) => setTimeout(r, 1));
      }
      const stormMs = Math.round(performance.now() - t0);
      // The last signal is never lost: some handler run comes after the last kill returned.
      const deadline = Date.now() + 10000;
      let s = await stats();
      while (BigInt(s.lastHupNs) <= lastSentNs) {
        if (Date.now() > deadline) throw new Error(`no SIGHUP handled after the last one was sent (handled ${s.hups})`);
        await new Promise((r) => setTimeout(r, 20));
        s = await stats();
      }
      const handled = s.hups;
      expect(handled).toBeGreaterThanOrEqual(1);
      expect(handled).toBeLessThanOrEqual(SIGHUPS);
      storming = false;
      await load;
      expect(echoFailures).toBe(0);
      // Counted after the load, whose echo rounds went through every connection:
      // right after the storm, a few of them could still wait in the accept
      // queue (seen once in CI: 384 of 400).
      expect((await stats()).live).toBe(HELD);

      // SIGTERM with every connection open and a round of echoes in flight.
      const inFlight = clients.map((c) => c.ask('echo', (x) => 'echoed' in x, 60000));
      server.kill('SIGTERM');
      const drained = (await server.message((m) => 'drained' in m, 30000, 'drained')).drained as Stats & { ms: number };
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(drained.live).toBe(0);
      const exitedFds = (server.messages.find((m) => 'exited' in m) as { fds: number }).fds;
      const lastEcho = await Promise.all(inFlight);
      record('signals', {
        sighup: { sent: SIGHUPS, handled, coalesced: SIGHUPS - handled, stormMs, lastHandledAfterLastSent: true, connectionsHeld: HELD, echoRoundsDuringStorm: rounds, echoFailures },
        sigterm: { connectionsOpen: HELD, drainMs: drained.ms, exitCode: 0, echoesAnsweredInLastRound: lastEcho.reduce((n, m) => n + (m.echoed as number), 0), fdsAtExit: exitedFds },
      });
    } finally {
      for (const c of clients) await c.reap();
      await server.reap();
    }
  });
});
