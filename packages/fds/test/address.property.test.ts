import { isIPv4, isIPv6, SocketAddress as NodeSocketAddress } from 'node:net';
import fc from 'fast-check';
import { decodeSockaddr, encodeSockaddr, Socket, SOCKADDR_STORAGE_SIZE, UNIX_PATH_MAX, type SocketAddress } from '@reactor/fds';
import { binding, expectNoFdLeaks } from './helpers';
import { ARGUMENT_ERROR_CODES, expectArgumentError, RUNS } from '@reactor/testing';

expectNoFdLeaks();

const port = fc.integer({ min: 0, max: 65535 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
/** A Unix path: 1..107 UTF-8 bytes, no NUL. */
const unixPath = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 60 })
  .filter((s) => !s.includes('\0') && Buffer.byteLength(s) < UNIX_PATH_MAX);
/** An abstract name: any bytes (NUL included), at most 107. */
const abstractName = fc.string({ unit: 'binary', maxLength: 60 }).filter((s) => Buffer.byteLength(s) < UNIX_PATH_MAX);

/** Node's own text for 16 address bytes (its formatter is libuv's inet_ntop). */
function nodeIpv6Text(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return new NodeSocketAddress({ family: 'ipv6', address: groups.join(':') }).address;
}

describe(`sockaddr encode/decode, properties (${binding})`, () => {
  test('IPv4: decode(encode(a)) is a', () => {
    fc.assert(
      fc.property(fc.ipV4(), port, (address, p) => {
        const { buffer, length } = encodeSockaddr({ family: 'ipv4', address, port: p });
        expect(length).toBe(16);
        expect(decodeSockaddr(buffer, length)).toEqual({ family: 'ipv4', address, port: p });
      }),
      { numRuns: RUNS.pure },
    );
  });

  test('IPv6: decode(encode(a)) names the same 16 bytes, in the text Node prints, with port, flow info and scope', () => {
    fc.assert(
      fc.property(fc.ipV6(), port, u32, u32, (address, p, flowInfo, scopeId) => {
        const { buffer, length } = encodeSockaddr({ family: 'ipv6', address, port: p, flowInfo, scopeId });
        expect(length).toBe(28);
        const decoded = decodeSockaddr(buffer, length);
        expect(decoded).toEqual({ family: 'ipv6', address: new NodeSocketAddress({ family: 'ipv6', address }).address, port: p, flowInfo, scopeId });
        // Encoding the decoded text again gives the same bytes.
        expect(encodeSockaddr(decoded).buffer.equals(buffer)).toBe(true);
      }),
      { numRuns: RUNS.pure },
    );
  });

  test('IPv6: any 16 bytes decode to the text Node prints for them (mapped and compatible IPv4 forms included)', () => {
    // Mostly zero groups, so that runs of zeros and the ::ffff: and :: prefixes come up often.
    const group = fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0), fc.constant(0xffff), fc.constant(1), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
        const bytes = Buffer.alloc(16);
        groups.forEach((g, i) => bytes.writeUInt16BE(g, 2 * i));
        const sockaddr = encodeSockaddr({ family: 'ipv6', address: '::', port: 0 }).buffer;
        bytes.copy(sockaddr, 8);
        const decoded = decodeSockaddr(sockaddr, 28);
        expect(decoded.family === 'ipv6' && decoded.address).toBe(nodeIpv6Text(bytes));
      }),
      { numRuns: RUNS.pure },
    );
  });

  test('Unix paths and abstract names: decode(encode(a)) is a', () => {
    fc.assert(
      fc.property(unixPath, (path) => {
        const { buffer, length } = encodeSockaddr({ family: 'unix', path });
        expect(decodeSockaddr(buffer, length)).toEqual({ family: 'unix', path });
      }),
      { numRuns: RUNS.pure },
    );
    fc.assert(
      fc.property(abstractName, (name) => {
        const { buffer, length } = encodeSockaddr({ family: 'unix', path: name, abstract: true });
        const decoded = decodeSockaddr(buffer, length);
        // Abstract names are bytes; the text comes back exactly when it is valid UTF-8.
        expect(decoded).toEqual({ family: 'unix', path: Buffer.from(name, 'utf8').toString('utf8'), abstract: true });
      }),
      { numRuns: RUNS.pure },
    );
  });

  test('garbage bytes and any length within them: an address or a RangeError, never a half-decoded one', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: SOCKADDR_STORAGE_SIZE }).chain((bytes) =>
          fc.tuple(fc.constant(bytes), fc.integer({ min: 0, max: bytes.length })),
        ),
        fc.constantFrom(1, 2, 10, 0, 3),
        ([bytes, length], family) => {
          const buf = Buffer.from(bytes);
          // Bias the family field toward the ones that decode.
          if (buf.length >= 2 && family !== 3) buf.writeUInt16LE(family, 0);
          let decoded: SocketAddress;
          try {
            decoded = decodeSockaddr(buf, length);
          } catch (error) {
            expect(error).toBeInstanceOf(RangeError);
            expect((error as NodeJS.ErrnoException).code).toBe('ERR_OUT_OF_RANGE');
            return;
          }
          if (decoded.family === 'ipv4') expect(isIPv4(decoded.address)).toBe(true);
          else if (decoded.family === 'ipv6') expect(isIPv6(decoded.address)).toBe(true);
          else expect(typeof decoded.path).toBe('string');
        },
      ),
      { numRuns: RUNS.pure },
    );
  });

  test('decode: a length outside the buffer or a non-Buffer is an argument error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.oneof(fc.integer(), fc.double(), fc.anything()), (bytes, length) => {
        const buf = Buffer.from(bytes);
        if (Number.isInteger(length) && (length as number) >= 0 && (length as number) <= buf.length) return;
        expectArgumentError(() => decodeSockaddr(buf, length as number), 'length');
      }),
      { numRuns: RUNS.pure },
    );
    fc.assert(
      fc.property(fc.anything(), (value) => {
        fc.pre(!Buffer.isBuffer(value));
        expectArgumentError(() => decodeSockaddr(value as Buffer, 0), 'buf');
      }),
      { numRuns: RUNS.pure },
    );
  });

  test('encode: anything that is not a valid address is a TypeError or RangeError naming the field', () => {
    const family = fc.constantFrom('ipv4', 'ipv6', 'unix', 'IPV4', '', 'inet');
    const loose = fc.record(
      { family: fc.oneof(family, fc.anything()), address: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string(), fc.anything()), port: fc.oneof(port, fc.anything()), path: fc.oneof(fc.string(), fc.anything()), abstract: fc.anything(), flowInfo: fc.anything(), scopeId: fc.anything() },
      { requiredKeys: ['family'] },
    );
    fc.assert(
      fc.property(fc.oneof(loose, fc.anything()), (address) => {
        let encoded: { buffer: Buffer; length: number };
        try {
          encoded = encodeSockaddr(address as SocketAddress);
        } catch (error) {
          expect(ARGUMENT_ERROR_CODES).toContain((error as NodeJS.ErrnoException).code);
          return;
        }
        // Accepted: then it decodes to a valid address of the same family.
        const decoded = decodeSockaddr(encoded.buffer, encoded.length);
        expect(decoded.family).toBe((address as SocketAddress).family);
      }),
      { numRuns: RUNS.pure },
    );
  });

  test('encode: an IPv6 zone is refused, not dropped', () => {
    expectArgumentError(() => encodeSockaddr({ family: 'ipv6', address: 'fe80::1%eth0', port: 1 }), 'address.address');
  });

  test('the kernel agrees: bind to a random loopback address or abstract name, getsockname gives it back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0xfffffe }), (host) => {
        const address = `127.${host >> 16}.${(host >> 8) & 255}.${host & 255}`;
        using s = Socket.create('udp4');
        s.bind({ family: 'ipv4', address, port: 0 });
        const local = s.localAddress();
        expect(local.family === 'ipv4' && local.address).toBe(address);
        expect(local.family === 'ipv4' && local.port).toBeGreaterThan(0);
      }),
      { numRuns: RUNS.kernel },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 }), (suffix) => {
        const name = `reactor-props-${process.pid}-${suffix}`;
        using s = Socket.create('unix-dgram');
        s.bind({ family: 'unix', path: name, abstract: true });
        expect(s.localAddress()).toEqual({ family: 'unix', path: name, abstract: true });
      }),
      { numRuns: RUNS.kernel },
    );
  });
});
