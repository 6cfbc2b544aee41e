import { readlinkSync } from 'node:fs';
import fc from 'fast-check';
import {
  createPipe, decodeInotifyEvents, Inotify, parsePressure, PressureTrigger, INOTIFY_EVENT_SIZE, receiveWithFds, SCM_MAX_FD, sendWithFds, Socket, socketInfo,
  type InotifyEvent, type ReceivedWithFds,
} from '@reactor/fds';
import { binding, expectNoFdLeaks, openFds } from './helpers';
import { expectTyped, RUNS } from '@reactor/testing';

expectNoFdLeaks();

const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: fc.anything({ withBigInt: true, withBoxedValues: true, withNullPrototype: true, withTypedArray: true, withSparseArray: true }) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(
    NaN, Infinity, -0, -1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, '3', '', 'a\0b', Symbol('s'), () => 0, new ArrayBuffer(8), new SharedArrayBuffer(8),
    Object.create(null), [1, 2], [-1], ['3'], [], null, undefined, { fd: -1 }, { kinds: 'tcp4' }, { kinds: [] }, { kinds: ['nope'] }, { listening: 1 }, { name: 5 }, { listening: true }, { kinds: ['tcp4'] }, { kinds: ['udp4'], listening: false },
  ) },
);

/** The inotify_event records of `events`, each name padded with NULs to `pad` extra bytes. */
function encodeEvents(events: Array<InotifyEvent & { pad: number }>): Buffer {
  const parts = events.map((e) => {
    const name = e.name === undefined ? Buffer.alloc(0) : Buffer.from(e.name, 'utf8');
    const len = e.name === undefined ? 0 : name.length + 1 + e.pad;
    const rec = Buffer.alloc(INOTIFY_EVENT_SIZE + len);
    rec.writeInt32LE(e.wd, 0);
    rec.writeUInt32LE(e.mask, 4);
    rec.writeUInt32LE(e.cookie, 8);
    rec.writeUInt32LE(len, 12);
    name.copy(rec, INOTIFY_EVENT_SIZE);
    return rec;
  });
  return Buffer.concat(parts);
}

/** A receive that succeeded hands over fds: close them. */
function closeReceived(result: unknown): void {
  for (const fd of (result as ReceivedWithFds | null | undefined)?.fds ?? []) fd.close();
}

describe(`fd passing, inotify and PSI, properties (${binding})`, () => {
  test('inotify records: any events (names of any text without NUL, any padding) decode back exactly', () => {
    const event = fc.record({
      wd: fc.integer({ min: -1, max: 0x7fffffff }),
      mask: fc.integer({ min: 0, max: 0xffffffff }),
      cookie: fc.integer({ min: 0, max: 0xffffffff }),
      name: fc.option(fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((s) => !s.includes('\0')), { nil: undefined }),
      pad: fc.integer({ min: 0, max: 20 }),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 20 }), fc.integer({ min: 0, max: 64 }), (events, slack) => {
        const wire = encodeEvents(events);
        const buf = Buffer.concat([wire, Buffer.alloc(slack, 0xff)]);
        expect(decodeInotifyEvents(buf, wire.length)).toEqual(events.map(({ pad: _pad, ...e }) => e));
      }),
      { numRuns: RUNS.pure },
    );
  });

  test('inotify records: any bytes decode without throwing, and no record reaches past the length given', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, cut) => {
        const buf = Buffer.from(bytes);
        const length = cut % (buf.length + 1);
        const events = decodeInotifyEvents(buf, length);
        const used = events.reduce((sum, e) => sum + INOTIFY_EVENT_SIZE + Buffer.byteLength(e.name ?? '', 'utf8'), 0);
        expect(used).toBeLessThanOrEqual(length);
      }),
      { numRuns: RUNS.pure },
    );
  });

  test('any data (1-4096 bytes) with any number of fds (1-253) arrives whole: same bytes, same open files, every fd close-on-exec', () => {
    const [a, b] = Socket.pair();
    const [r, w] = createPipe();
    const target = readlinkSync(`/proc/self/fd/${r.fd}`);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 4096 }), fc.integer({ min: 1, max: SCM_MAX_FD }), (data, count) => {
        expect(a.sendWithFds(data, new Array(count).fill(r))).toBe(data.length);
        const buf = Buffer.alloc(data.length);
        const got = b.receiveWithFds(buf, count)!;
        try {
          expect(got.bytes).toBe(data.length);
          expect(buf.equals(Buffer.from(data))).toBe(true);
          expect(got.fds).toHaveLength(count);
          expect(got.fds.every((fd) => fd.closeOnExec && readlinkSync(`/proc/self/fd/${fd.fd}`) === target)).toBe(true);
        } finally {
          for (const fd of got.fds) fd.close();
        }
      }),
      { numRuns: RUNS.kernel },
    );
    for (const s of [a, b, r, w]) s.close();
  });

  test('more fds than room for: ERR_REACTOR_FDS_TRUNCATED, the fds that came are closed, the data was read', () => {
    const [a, b] = Socket.pair();
    const [r, w] = createPipe();
    fc.assert(
      fc.property(fc.integer({ min: 2, max: SCM_MAX_FD }), fc.nat(), (count, m) => {
        const room = 1 + (m % (count - 1)); // 1 .. count-1
        const before = [...openFds().keys()].sort();
        a.sendWithFds(Buffer.from('x'), new Array(count).fill(w));
        expect(() => b.receiveWithFds(Buffer.alloc(1), room)).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_FDS_TRUNCATED' }));
        expect([...openFds().keys()].sort()).toEqual(before);
        expect(b.receiveWithFds(Buffer.alloc(1), 1)).toBeNull(); // nothing left behind in the socket
      }),
      { numRuns: RUNS.kernel },
    );
    for (const s of [a, b, r, w]) s.close();
  });

  test('any argument to the fd-passing, inotify, PSI and adoption calls gives a result or a typed error naming it', () => {
    const [a, b] = Socket.pair();
    using ino = Inotify.create();
    using dgram = Socket.create('unix-dgram');
    // Values that are no usable fd: adopting fd 0, 1 or 2 of the test runner is no test.
    const notAnFd = hostile.filter((v) => !(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff));
    fc.assert(
      fc.property(hostile, notAnFd, (v, nf) => {
        expectTyped(() => a.sendWithFds(v as Uint8Array, [b]), 'data');
        expectTyped(() => a.sendWithFds(Buffer.from('x'), v as number[]), 'fds', 'sendmsg');
        // A hostile array of valid fd numbers is sent (up to 253 fds): take it off the socket here, or
        // the receives below, with room for 16, meet it and rightly report the truncation.
        closeReceived(b.receiveWithFds(Buffer.alloc(1), 253));
        closeReceived(expectTyped(() => b.receiveWithFds(v as Uint8Array), 'buffer'));
        closeReceived(expectTyped(() => b.receiveWithFds(Buffer.alloc(1), v as number), 'maxFds'));
        expectTyped(() => sendWithFds(nf as number, Buffer.from('x'), [a]), 'fd', 'sendmsg');
        expectTyped(() => dgram.sendToWithFds(Buffer.from('x'), v as never, [a]), 'address', 'sendmsg');
        expectTyped(() => receiveWithFds(nf as number, Buffer.alloc(1)), 'fd', 'recvmsg');
        expectTyped(() => ino.add(v as string, 2), 'path', 'inotify_add_watch');
        expectTyped(() => ino.add('/', v as number), 'mask', 'inotify_add_watch');
        expectTyped(() => ino.remove(v as number), 'wd', 'inotify_rm_watch');
        expectTyped(() => ino.read(v as Uint8Array), 'buffer', 'read');
        expectTyped(() => decodeInotifyEvents(v as Uint8Array, 0), 'buffer');
        expectTyped(() => decodeInotifyEvents(Buffer.alloc(16), v as number), 'length');
        expectTyped(() => socketInfo(nf as number), 'fd', 'getsockopt');
        expectTyped(() => Socket.adopt(nf as number), 'fd');
        expectTyped(() => PressureTrigger.open(v as never, { thresholdUs: 150_000, windowUs: 2_000_000 }).close(), 'resource');
        expectTyped(() => PressureTrigger.open('memory', v as never).close(), 'options', 'write');
        expectTyped(() => parsePressure(v as string), 'text');
        // Options that are valid but ask for another kind give the kind error; the fd stays with the caller.
        using spare = Socket.create('udp4');
        let adopted: Socket | undefined;
        try {
          adopted = Socket.adopt(spare, v as never);
        } catch (error) {
          if ((error as { code?: string }).code === 'ERR_REACTOR_SOCKET_KIND') expect(spare.closed).toBe(false);
          else expectTyped(() => { throw error; }, 'options');
        }
        adopted?.close();
      }),
      { numRuns: RUNS.kernel },
    );
    // Whatever was sent above: drain and close what arrived.
    for (let got; (got = b.receiveWithFds(Buffer.alloc(64), SCM_MAX_FD)) !== null && got.bytes > 0; ) for (const fd of got.fds) fd.close();
    for (const s of [a, b]) s.close();
  });
});
