import { EPOLLIN } from '@reactor/fds';
import { Reactor } from '@reactor/reactor';
import { startWatchdog, watchdogEnabled } from '@reactor/systemd';
import { binding, expectNoFdLeaks, NotifyReceiver, quietLogger } from './helpers';

expectNoFdLeaks();

const quiet = quietLogger;

describe(`watchdog (sd_watchdog_enabled, pings from a loop timer) [${binding}]`, () => {
  test('WATCHDOG_USEC and WATCHDOG_PID are read as sd_watchdog_enabled(3) reads them', () => {
    expect(watchdogEnabled({ env: {} })).toBeUndefined();
    expect(watchdogEnabled({ env: { WATCHDOG_USEC: '30000000' } })).toBe(30000000);
    expect(watchdogEnabled({ env: { WATCHDOG_USEC: '30000000', WATCHDOG_PID: String(process.pid) } })).toBe(30000000);
    // Inherited from a parent: meant for it, not for this process.
    expect(watchdogEnabled({ env: { WATCHDOG_USEC: '30000000', WATCHDOG_PID: String(process.pid + 1) } })).toBeUndefined();
    for (const env of [{ WATCHDOG_USEC: '0' }, { WATCHDOG_USEC: '-5' }, { WATCHDOG_USEC: '1e6' }, { WATCHDOG_USEC: '' }, { WATCHDOG_USEC: '5', WATCHDOG_PID: 'x' }]) {
      expect(() => watchdogEnabled({ env })).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_WATCHDOG_ENV' }));
    }
    const env: NodeJS.ProcessEnv = { WATCHDOG_USEC: '1000000', WATCHDOG_PID: String(process.pid), OTHER: 'x' };
    expect(watchdogEnabled({ env, unsetEnvironment: true })).toBe(1000000);
    expect(env).toEqual({ OTHER: 'x' });
  });

  test('nothing to do without WATCHDOG_USEC or without NOTIFY_SOCKET', () => {
    const loop = new Reactor({ logger: quiet });
    using receiver = new NotifyReceiver();
    expect(startWatchdog(loop, { env: { NOTIFY_SOCKET: receiver.env } })).toBeUndefined();
    expect(startWatchdog(loop, { env: { WATCHDOG_USEC: '100000' } })).toBeUndefined();
    expect(receiver.drain()).toEqual([]);
    loop.close();
  });

  test('pings at half the interval while the loop turns, none while a handler holds the loop, and it keeps no loop alive', async () => {
    using receiver = new NotifyReceiver();
    const loop = new Reactor({ logger: quiet });
    const arrivals: number[] = [];
    const start = performance.now();
    // The test's reader runs on the same loop: what it sees shows when the loop turned.
    const reading = loop.watch(receiver.socket, EPOLLIN, () => {
      for (const m of receiver.drain()) {
        expect(m).toBe('WATCHDOG=1');
        arrivals.push(performance.now() - start);
      }
    });
    const watchdog = startWatchdog(loop, { env: { NOTIFY_SOCKET: receiver.env, WATCHDOG_USEC: '100000' } })!;
    expect(watchdog.usec).toBe(100000);
    expect(watchdog.pings).toBe(1); // the first at once, as sd_event_set_watchdog
    let duringStall: string[] = [];
    loop.after(320, () => {
      // A stuck handler: 300 ms without returning to the loop.
      const until = performance.now() + 300;
      while (performance.now() < until);
      duringStall = receiver.drain();
    });
    loop.after(800, () => reading.remove());
    await loop.run(); // ends at 800 ms with the watchdog still on: its timer is unref'd
    expect(watchdog.stopped).toBe(false);
    watchdog.stop();
    const late = receiver.drain(); // sent in the last turn, after the reader was removed
    loop.close();
    // The kernel queue, read at the end of the stall: no ping was sent while the loop was held.
    expect(duringStall).toEqual([]);
    // Every ~50 ms before the stall: 0, 50, … 300 is 7; fewer when the machine
    // is loaded (a timer fires late, never early: at load 20 on 2 cores a run
    // saw fewer than 3), more than 8 would mean early pings.
    const beforeStall = arrivals.filter((t) => t < 320);
    expect(beforeStall.length).toBeGreaterThanOrEqual(2);
    expect(beforeStall.length).toBeLessThanOrEqual(8);
    // Pinging resumes once the loop turns again.
    expect(arrivals.filter((t) => t > 620).length).toBeGreaterThanOrEqual(1);
    expect(watchdog.pings).toBe(arrivals.length + duringStall.length + late.length);
    expect(watchdog.failures).toBe(0);
    expect(watchdog.stopped).toBe(true);
  });

  test('closing the loop ends the pings and leaves no fd open (each ping uses its own socket)', async () => {
    using receiver = new NotifyReceiver();
    const loop = new Reactor({ logger: quiet });
    const watchdog = startWatchdog(loop, { env: { NOTIFY_SOCKET: receiver.env, WATCHDOG_USEC: '20000' } })!;
    loop.after(50, () => loop.stop());
    await loop.run();
    loop.close(); // without watchdog.stop(): the file's fd-leak check covers it
    expect(watchdog.stopped).toBe(true);
    const sent = watchdog.pings;
    expect(sent).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(watchdog.pings).toBe(sent);
    expect(receiver.drain()).toHaveLength(sent);
  });

  test('a ping that cannot be sent is counted and logged, and the next one is tried', async () => {
    const receiver = new NotifyReceiver();
    const loop = new Reactor({ logger: quiet });
    const watchdog = startWatchdog(loop, { env: { NOTIFY_SOCKET: receiver.env, WATCHDOG_USEC: '20000' } })!;
    receiver.close(); // the manager is gone: ENOENT / ECONNREFUSED
    // Until three pings have failed (every 10 ms; later on a loaded machine), at most 10 s.
    const check = loop.every(5, () => {
      if (watchdog.failures < 3) return;
      watchdog.stop();
      check.cancel();
    });
    loop.after(10_000, () => (watchdog.stop(), check.cancel()), { ref: false });
    await loop.run();
    loop.close();
    expect(watchdog.pings).toBe(1);
    expect(watchdog.failures).toBeGreaterThanOrEqual(3);
  });
});
