import fc from 'fast-check';
import { Reactor, type Connection } from '@reactor/reactor';
import { RUNS } from '@reactor/testing';
import { bindingName, expectNoFdLeaks, quietLogger } from './helpers';

expectNoFdLeaks();

/** A chunk in any of the forms write() takes: a string, a Buffer, a typed array or DataView (over a SharedArrayBuffer too). */
// Lengths from 0 to 70 KB (fast-check keeps arrays small unless asked: size 'max' reaches past the socket buffers).
const bytes = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 70_000, size: 'max' }));
const chunk = fc.tuple(bytes, fc.constantFrom('buffer', 'string', 'u16', 'dataview', 'shared')).map(([bytes, form]) => {
  const expected = Buffer.from(bytes);
  if (form === 'string') {
    const text = expected.toString('latin1').replace(/[^\x00-\x7f]/g, 'x'); // ASCII: one byte per char in UTF-8
    return { data: text as string | Uint8Array | DataView, bytes: Buffer.from(text, 'utf8') };
  }
  if (form === 'u16') {
    const even = expected.subarray(0, expected.length - (expected.length % 2));
    const copy = new Uint8Array(even.length);
    copy.set(even);
    return { data: new Uint16Array(copy.buffer), bytes: Buffer.from(copy) };
  }
  if (form === 'dataview') return { data: new DataView(new Uint8Array(expected).buffer), bytes: expected };
  if (form === 'shared') {
    const shared = new Uint8Array(new SharedArrayBuffer(Math.max(1, expected.length)), 0, expected.length);
    shared.set(expected);
    return { data: shared, bytes: expected };
  }
  return { data: Buffer.from(expected), bytes: expected };
});

describe(`connection byte streams, properties (${bindingName()})`, () => {
  test('any writes (any size, any form, empty ones too) while the reader pauses and resumes at random: the peer gets exactly the bytes, in order, then EOF', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const accepted: Connection[] = [];
    const server = loop.listen({ host: '127.0.0.1', port: 0, highWaterMark: 16 * 1024 }, (c) => void accepted.push(c));
    const running = loop.run();
    const address = server.address();
    const port = 'port' in address ? address.port : 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(chunk, { maxLength: 12 }), fc.array(fc.boolean(), { maxLength: 12 }), async (chunks, pauses) => {
          const client = await loop.connect({ port });
          while (accepted.length === 0) await new Promise((r) => setImmediate(r));
          const peer = accepted.shift()!;
          const got: Buffer[] = [];
          let reads = 0;
          const ended = new Promise<void>((resolve) => peer.on('end', () => resolve()));
          peer.on('data', (data) => {
            got.push(Buffer.from(data)); // data chunks are views of the loop's read buffer: copy
            // Pause now and then; resume on a later tick (the sender must hold its queue meanwhile).
            if (pauses[reads++ % Math.max(1, pauses.length)] === true) {
              peer.pause();
              setImmediate(() => peer.resume());
            }
          });
          for (const c of chunks) {
            if (!client.write(c.data)) await new Promise((r) => client.once('drain', r));
          }
          client.end();
          await ended;
          expect(Buffer.concat(got).equals(Buffer.concat(chunks.map((c) => c.bytes)))).toBe(true);
          client.destroy();
          peer.destroy();
        }),
        { numRuns: RUNS.kernel / 2 },
      );
    } finally {
      server.close();
      loop.stop();
      await running;
      loop.close();
    }
  });
});

describe(`UDP datagrams, properties (${bindingName()})`, () => {
  test.each(['127.0.0.1', '::1'])('any datagrams (0-8 KB) to a UdpSocket on %s arrive whole, each with its sender\'s address', (host) => {
    using loop = new Reactor({ logger: quietLogger });
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ maxLength: 8192, size: 'max' })), { minLength: 1, maxLength: 8 }), (datagrams) => {
        const receiver = loop.udp({ host, port: 0 });
        const sender = loop.udp({ host, port: 0 });
        try {
        const got: Array<{ bytes: Buffer; from: unknown }> = [];
        receiver.on('message', (data, from) => {
          got.push({ bytes: Buffer.from(data), from });
          if (got.length === datagrams.length) loop.stop();
        });
        const to = receiver.address();
        for (const d of datagrams) expect(sender.send(d, to)).toBe(true);
        loop.runBlocking();
        const from = sender.address();
        // Compared as base64: Jest's deep equality walks a Buffer byte by byte.
        expect(got.map((g) => g.bytes.toString('base64'))).toEqual(datagrams.map((d) => Buffer.from(d).toString('base64')));
        for (const g of got) expect(g.from).toEqual(from);
        } finally {
          receiver.close();
          sender.close();
        }
      }),
      { numRuns: RUNS.kernel / 2 },
    );
  });
});
