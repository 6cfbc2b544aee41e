import fc from 'fast-check';
import { Reactor } from '@reactor/reactor';
import { formatNotifyState, listenFds, notify, notifyAddress, startWatchdog, watchdogEnabled, type NotifyState } from '@reactor/systemd';
import { expectTyped, RUNS } from '@reactor/testing';
import { binding, expectNoFdLeaks, NotifyReceiver, quietLogger } from './helpers';

expectNoFdLeaks();

const CODES = new Set(['ERR_REACTOR_NOTIFY_SOCKET', 'ERR_REACTOR_NOTIFY_STATE', 'ERR_REACTOR_WATCHDOG_ENV', 'ERR_REACTOR_LISTEN_PID', 'ERR_REACTOR_LISTEN_FDS']);

/** What a variable may hold: numbers in every spelling, paths, junk, and values that are no string at all (a custom env object). */
const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(undefined, '', '0', '1', '3', '-1', '+5', ' 5', '5 ', '1e6', '0x10', '007', '99999999999999999999', 'NaN', '@', '@x', '/', 'vsock:2:1', 'a:b', ':', 'x\0y', 5, null, {}, Symbol('s')),
  fc.string({ maxLength: 12 }),
  fc.nat().map(String),
);

/** A value for an error: SystemdError with one of the codes, or a TypeError/RangeError naming the argument. */
function expectCodedOrTyped(fn: () => unknown, name: string): unknown {
  try {
    return fn();
  } catch (error) {
    if (CODES.has((error as { code?: string }).code ?? '')) return undefined;
    return expectTyped(() => {
      throw error;
    }, name);
  }
}

describe(`systemd environment and messages, properties (${binding})`, () => {
  test('any NOTIFY_SOCKET, WATCHDOG_* or LISTEN_* values (LISTEN_PID never this process): a result, or an error with a code', () => {
    fc.assert(
      fc.property(value, value, value, value, value, (a, b, c, d, e) => {
        expectCodedOrTyped(() => notifyAddress({ NOTIFY_SOCKET: a } as never), 'env');
        const usec = expectCodedOrTyped(() => watchdogEnabled({ env: { WATCHDOG_USEC: b, WATCHDOG_PID: c } as never }), 'options');
        if (usec !== undefined) expect(Number.isSafeInteger(usec) && (usec as number) > 0).toBe(true);
        // Never this pid: listenFds would then take over fds 3 and up of the test runner.
        const pid = c === String(process.pid) ? String(process.pid + 1) : c;
        const fds = expectCodedOrTyped(() => listenFds({ env: { LISTEN_PID: pid, LISTEN_FDS: d, LISTEN_FDNAMES: e } as never }), 'options');
        expect(fds === undefined || (Array.isArray(fds) && fds.length === 0)).toBe(true);
      }),
      { numRuns: RUNS.pure },
    );
  });

  test('any notify state: one datagram of KEY=value lines, or ERR_REACTOR_NOTIFY_STATE before anything is sent', () => {
    using receiver = new NotifyReceiver('abstract');
    const env = { NOTIFY_SOCKET: receiver.env };
    const field = fc.oneof(value, fc.boolean(), fc.integer(), fc.string());
    const state = fc.oneof(
      fc.record(
        { ready: field, reloading: field, stopping: field, status: field, mainPid: field, watchdog: field, errno: field, extra: fc.oneof(field, fc.dictionary(fc.string({ maxLength: 6 }), field, { maxKeys: 3 })) },
        { requiredKeys: [] },
      ),
      value,
    );
    fc.assert(
      fc.property(state, (s) => {
        let text: string | undefined;
        try {
          text = typeof s === 'string' ? s : formatNotifyState(s as NotifyState);
        } catch (error) {
          expect((error as { code?: string }).code).toBe('ERR_REACTOR_NOTIFY_STATE');
        }
        let sent = false;
        try {
          sent = notify(s as NotifyState, { env });
        } catch (error) {
          expect((error as { code?: string }).code).toBe('ERR_REACTOR_NOTIFY_STATE');
        }
        const got = receiver.drain();
        if (sent) {
          expect(got).toEqual([text]);
          if (typeof s !== 'string') for (const line of text!.split('\n')) expect(line).toMatch(/^[A-Z][A-Z0-9_]*=[^\n\0]*$/);
        } else expect(got).toEqual([]);
      }),
      { numRuns: RUNS.kernel },
    );
  });

  test('startWatchdog and notify: any options value gives a result or a typed error naming it', () => {
    const loop = new Reactor({ logger: quietLogger });
    fc.assert(
      fc.property(fc.oneof(value, fc.record({ env: value, usec: value, unsetEnvironment: value }, { requiredKeys: [] })), (o) => {
        const w = expectCodedOrTyped(() => startWatchdog(loop, o as never), 'options');
        (w as { stop?: () => void } | undefined)?.stop?.();
        expectCodedOrTyped(() => notify({ ready: true }, o as never), 'options');
      }),
      { numRuns: RUNS.kernel },
    );
    loop.close();
  });
});
