import fc from 'fast-check';
import { ClosedFdError, SystemError } from '@reactor/fds';
import { Reactor, type Connection } from '@reactor/reactor';
import { RUNS } from '@reactor/testing';
import { bindingName, expectNoFdLeaks, quietLogger } from './helpers';

expectNoFdLeaks();

type Op = 'write' | 'end' | 'close' | 'destroy' | 'pause' | 'resume' | 'noDelay' | 'idle' | 'address';
const OPS: Op[] = ['write', 'end', 'close', 'destroy', 'pause', 'resume', 'noDelay', 'idle', 'address'];

function apply(conn: Connection, op: Op): void {
  if (op === 'write') conn.write('x');
  else if (op === 'end') conn.end();
  else if (op === 'close') conn.close();
  else if (op === 'destroy') conn.destroy();
  else if (op === 'pause') conn.pause();
  else if (op === 'resume') conn.resume();
  else if (op === 'noDelay') conn.setNoDelay(true);
  else if (op === 'idle') conn.setIdleTimeout(1000);
  else void conn.remoteAddress;
}

/** The errors a connection may answer a call with after end/close/destroy: each typed, with a code. */
function expectDocumentedError(error: unknown): void {
  if (error instanceof ClosedFdError || error instanceof SystemError) return;
  expect((error as { code?: unknown }).code).toBe('ERR_STREAM_WRITE_AFTER_END');
}

describe(`connection and handle lifecycles, properties (${bindingName()})`, () => {
  test('any sequence of calls on both ends of a connection, in any order and twice: typed errors only, one close event each, and the loop drains', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const accepted: Connection[] = [];
    const server = loop.listen({ host: '127.0.0.1', port: 0 }, (c) => void accepted.push(c));
    const running = loop.run();
    const address = server.address();
    const port = 'port' in address ? address.port : 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(fc.boolean(), fc.constantFrom(...OPS)), { maxLength: 20 }), async (ops) => {
          const client = await loop.connect({ port });
          while (accepted.length === 0) await new Promise((r) => setImmediate(r));
          const peer = accepted.shift()!;
          const closes = [0, 0];
          client.on('close', () => closes[0]!++);
          peer.on('close', () => closes[1]!++);
          client.on('error', () => undefined);
          peer.on('error', () => undefined);
          for (const [onClient, op] of ops) {
            try {
              apply(onClient ? client : peer, op);
            } catch (error) {
              expectDocumentedError(error);
            }
            if (op === 'write') await new Promise((r) => setImmediate(r));
          }
          client.destroy();
          peer.destroy();
          client.destroy();
          await new Promise((r) => setImmediate(r));
          expect(closes).toEqual([1, 1]);
        }),
        { numRuns: RUNS.kernel / 2 },
      );
    } finally {
      server.close();
      server.close();
      loop.stop();
      await running;
      loop.close();
    }
  });

  test('timers, watches, signal subscriptions, child watches, listeners and UDP sockets: cancel/remove/close twice in any order is harmless', () => {
    const kinds = ['timer', 'every', 'signal', 'child', 'listener', 'udp'] as const;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...kinds), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 16 }), (made, order) => {
        using loop = new Reactor({ logger: quietLogger });
        const handles = made.map((kind) => {
          if (kind === 'timer') { const t = loop.after(1000, () => undefined); return () => t.cancel(); }
          if (kind === 'every') { const t = loop.every(1000, () => undefined); return () => t.cancel(); }
          if (kind === 'signal') { const s = loop.onSignal('SIGUSR2', () => undefined); return () => s.remove(); }
          if (kind === 'child') { const w = loop.watchChild(process.pid, () => undefined); return () => w.remove(); }
          if (kind === 'listener') { const l = loop.listen({ port: 0 }); return () => l.close(); }
          const u = loop.udp();
          return () => u.close();
        });
        for (const i of order) handles[i % handles.length]!();
        for (const release of handles) {
          release();
          release();
        }
        // Nothing is left that keeps the loop alive: run() returns at once.
        loop.runBlocking();
      }),
      { numRuns: RUNS.kernel / 2 },
    );
  });
});

describe(`the wake-up message ring, properties (${bindingName()})`, () => {
  test('any values posted in any rhythm through a small ring (wrapping around): received in order, equal, none lost or duplicated; a full ring says false and keeps nothing', () => {
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.string({ maxLength: 40 }),
      fc.uint8Array({ maxLength: 40 }),
      fc.bigInt(),
      fc.constantFrom<unknown>(undefined, null, -0, NaN, new Date(0), new Map([[1, 'a']])),
    );
    const step = fc.oneof({ weight: 4, arbitrary: value.map((v) => ({ post: v })) }, { weight: 1, arbitrary: fc.constant({ turn: true as const }) });
    fc.assert(
      fc.property(fc.integer({ min: 64, max: 400 }), fc.array(step, { maxLength: 40 }), (ringBytes, steps) => {
        using loop = new Reactor({ logger: quietLogger, wakeupRingBytes: ringBytes });
        const waker = loop.waker();
        const received: unknown[] = [];
        const accepted: unknown[] = [];
        loop.onMessage((m) => void received.push(m));
        const turn = () => {
          loop.defer(() => loop.stop());
          loop.runBlocking();
        };
        for (const s of steps) {
          if ('turn' in s) {
            turn();
            continue;
          }
          let ok: boolean;
          try {
            ok = waker.post(s.post);
          } catch (error) {
            // Only a value too big for the whole ring is refused outright.
            expect(error).toBeInstanceOf(RangeError);
            continue;
          }
          if (ok) accepted.push(s.post);
        }
        turn();
        expect(received).toEqual(accepted);
      }),
      { numRuns: RUNS.kernel },
    );
  });
});
