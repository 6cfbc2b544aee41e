import fc from 'fast-check';
import { EPOLLIN, EventFd, SystemError } from '@reactor/fds';
import { Reactor, type IoWatch } from '@reactor/reactor';
import { RUNS } from '@reactor/testing';
import { bindingName, expectNoFdLeaks, quietLogger } from './helpers';

expectNoFdLeaks();

describe(`watches of fds closed behind the loop's back, properties (${bindingName()})`, () => {
  test('any interleaving of watch, close (without remove), remove and modify: every live watch still fires; a stale one never touches the number\'s new registration', () => {
    const step = fc.oneof(
      fc.constant({ op: 'watch' as const }),
      fc.record({ op: fc.constant('close' as const), i: fc.nat() }),
      fc.record({ op: fc.constant('remove' as const), i: fc.nat() }),
      fc.record({ op: fc.constant('modify' as const), i: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const loop = new Reactor({ logger: quietLogger });
        // Each entry: a readable eventfd (closing it frees its number for the next one) and its watch.
        const entries: Array<{ ev: EventFd; watch: IoWatch; fired: number; removed: boolean }> = [];
        try {
          for (const s of steps) {
            if (s.op === 'watch') {
              const ev = new EventFd(1);
              const entry = { ev, watch: undefined as unknown as IoWatch, fired: 0, removed: false };
              entry.watch = loop.watch(ev, EPOLLIN, () => void entry.fired++);
              entries.push(entry);
              continue;
            }
            if (entries.length === 0) continue;
            const e = entries[s.i % entries.length]!;
            if (s.op === 'close') e.ev.close();
            else if (s.op === 'remove') {
              e.watch.remove();
              e.removed = true;
            } else if (!e.removed) {
              try {
                e.watch.modify(EPOLLIN);
                expect(e.ev.closed).toBe(false);
              } catch (error) {
                // Only a watch whose fd was closed may be refused, and only as the kernel would.
                expect(e.ev.closed).toBe(true);
                expect(error).toBeInstanceOf(SystemError);
                expect((error as SystemError).code).toMatch(/^(ENOENT|EBADF)$/);
              }
            }
          }
          loop.defer(() => loop.stop());
          loop.runBlocking();
          for (const e of entries) {
            const live = !e.removed && !e.ev.closed;
            if (live) expect(e.fired).toBe(1);
            else if (e.ev.closed) expect(e.fired).toBe(0);
          }
        } finally {
          loop.close();
          for (const e of entries) e.ev.close();
        }
      }),
      { numRuns: RUNS.kernel * 2 },
    );
  });
});
