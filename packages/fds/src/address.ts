import { Buffer } from 'node:buffer';
import { isIPv4, isIPv6 } from 'node:net';
import { AF_INET, AF_INET6, AF_UNIX, SOCKADDR_STORAGE_SIZE, UNIX_PATH_MAX } from './constants';
import { describeValue, validateInteger } from './validate';
import { InvalidArgTypeError, InvalidArgValueError, OutOfRangeError } from './errors';

/** A socket address: IPv4, IPv6 or Unix (a path, or a name in the abstract namespace). */
export type SocketAddress =
  | {
      /** IPv4. */
      family: 'ipv4';
      /** Dotted quad ('127.0.0.1'). */
      address: string;
      /** 0–65535; 0 in bind() lets the kernel pick. */
      port: number;
    }
  | {
      /** IPv6. */
      family: 'ipv6';
      /** Any textual IPv6 form ('::1'); decoded addresses come back compressed. */
      address: string;
      /** 0–65535; 0 in bind() lets the kernel pick. */
      port: number;
      /** sin6_flowinfo. */
      flowInfo?: number;
      /** sin6_scope_id: the interface of a link-local address. */
      scopeId?: number;
    }
  | {
      /** A Unix domain socket. */
      family: 'unix';
      /** A filesystem path, or with `abstract` a name in the abstract namespace ('' for an unnamed socket). */
      path: string;
      /** The name lives in the abstract namespace (no file). */
      abstract?: boolean;
    };

/** IPv6 text → 16 bytes (handles '::' and an embedded IPv4 tail). */
function ipv6ToBytes(text: string, out: Buffer, offset: number): void {
  let head = text;
  let v4: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    v4 = text.slice(lastColon + 1).split('.').map(Number);
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const parse = (s: string | undefined) => (s ? s.split(':').filter((p) => p !== '').map((p) => parseInt(p, 16)) : []);
  const l = parse(left);
  const r = parse(right);
  const groups = right === undefined ? l : [...l, ...Array(8 - l.length - r.length).fill(0), ...r];
  groups.forEach((g, i) => out.writeUInt16BE(g, offset + 2 * i));
  if (v4.length === 4) v4.forEach((b, i) => (out[offset + 12 + i] = b));
}

/**
 * 16 bytes → IPv6 text exactly as Node prints it (libuv's inet_ntop6):
 * lower-case hex, the longest run of two or more
 * zero groups (the first on a tie) as '::', and a dotted IPv4 tail for the
 * IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) forms.
 */
function bytesToIpv6(buf: Buffer, offset: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(offset + 2 * i));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // libuv's test for an embedded IPv4 address (glibc's differs: it prints ::2 as ::0.0.0.2).
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && groups[5] === 0xffff))) {
    const v4 = `${buf[offset + 12]}.${buf[offset + 13]}.${buf[offset + 14]}.${buf[offset + 15]}`;
    return bestLen === 5 ? `::ffff:${v4}` : `::${v4}`;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Encode `address` as a sockaddr; returns the buffer and the length to pass the kernel. */
export function encodeSockaddr(address: SocketAddress): {
  /** The struct sockaddr_* bytes. */
  buffer: Buffer;
  /** The length to pass as socklen_t. */
  length: number;
} {
  if (address === null || typeof address !== 'object') throw new InvalidArgTypeError('address must be an object');
  const buf = Buffer.alloc(SOCKADDR_STORAGE_SIZE);
  switch (address.family) {
    case 'ipv4': {
      if (typeof address.address !== 'string' || !isIPv4(address.address)) throw new InvalidArgTypeError(`address.address must be an IPv4 address; got ${describeValue(address.address)}`);
      validateInteger(address.port, 'address.port', 0, 65535);
      buf.writeUInt16LE(AF_INET, 0);
      buf.writeUInt16BE(address.port, 2);
      address.address.split('.').forEach((b, i) => (buf[4 + i] = Number(b)));
      return { buffer: buf, length: 16 };
    }
    case 'ipv6': {
      if (typeof address.address !== 'string' || !isIPv6(address.address)) throw new InvalidArgTypeError(`address.address must be an IPv6 address; got ${describeValue(address.address)}`);
      // isIPv6 accepts a zone ('fe80::1%eth0'); dropping it silently would bind or connect elsewhere.
      if (address.address.includes('%')) throw new InvalidArgValueError(`address.address must not carry a zone ('%…'): give the interface index as address.scopeId; got ${address.address}`);
      validateInteger(address.port, 'address.port', 0, 65535);
      buf.writeUInt16LE(AF_INET6, 0);
      buf.writeUInt16BE(address.port, 2);
      buf.writeUInt32BE(address.flowInfo === undefined ? 0 : validateInteger(address.flowInfo, 'address.flowInfo', 0, 0xffffffff), 4);
      ipv6ToBytes(address.address, buf, 8);
      buf.writeUInt32LE(address.scopeId === undefined ? 0 : validateInteger(address.scopeId, 'address.scopeId', 0, 0xffffffff), 24);
      return { buffer: buf, length: 28 };
    }
    case 'unix': {
      if (typeof address.path !== 'string') throw new InvalidArgTypeError('address.path must be a string');
      const bytes = Buffer.from(address.path, 'utf8');
      buf.writeUInt16LE(AF_UNIX, 0);
      if (address.abstract) {
        if (bytes.length + 1 > UNIX_PATH_MAX) throw new OutOfRangeError(`address.path is too long for an abstract name (max ${UNIX_PATH_MAX - 1} bytes)`);
        bytes.copy(buf, 3);
        return { buffer: buf, length: 3 + bytes.length };
      }
      if (bytes.length === 0 || bytes.length >= UNIX_PATH_MAX) throw new OutOfRangeError(`address.path must be 1-${UNIX_PATH_MAX - 1} bytes; got ${bytes.length}`);
      if (bytes.includes(0)) throw new InvalidArgValueError('address.path must not contain NUL bytes (use abstract: true)');
      bytes.copy(buf, 2);
      return { buffer: buf, length: 2 + bytes.length + 1 };
    }
    default:
      throw new InvalidArgTypeError(`address.family must be 'ipv4', 'ipv6' or 'unix'; got ${describeValue((address as { family: unknown }).family)}`);
  }
}

/**
 * Decode a sockaddr the kernel filled (`length` bytes of it). A family this
 * module does not know, or a length too short for the family, is a
 * RangeError; `length` must lie within `buf`.
 */
export function decodeSockaddr(buf: Buffer, length: number): SocketAddress {
  if (!Buffer.isBuffer(buf)) throw new InvalidArgTypeError(`buf must be a Buffer; got ${describeValue(buf)}`);
  validateInteger(length, 'length', 0, buf.length);
  if (length < 2) return { family: 'unix', path: '' }; // an unnamed Unix socket
  const family = buf.readUInt16LE(0);
  if (family === AF_INET) {
    if (length < 16) throw new OutOfRangeError(`length must be >= 16 for an AF_INET address; got ${length}`);
    return { family: 'ipv4', address: `${buf[4]}.${buf[5]}.${buf[6]}.${buf[7]}`, port: buf.readUInt16BE(2) };
  }
  if (family === AF_INET6) {
    if (length < 28) throw new OutOfRangeError(`length must be >= 28 for an AF_INET6 address; got ${length}`);
    return { family: 'ipv6', address: bytesToIpv6(buf, 8), port: buf.readUInt16BE(2), flowInfo: buf.readUInt32BE(4), scopeId: buf.readUInt32LE(24) };
  }
  if (family === AF_UNIX) {
    if (length === 2) return { family: 'unix', path: '' };
    if (buf[2] === 0) return { family: 'unix', path: buf.toString('utf8', 3, length), abstract: true };
    const end = buf.indexOf(0, 2);
    return { family: 'unix', path: buf.toString('utf8', 2, end < 0 || end > length ? length : end) };
  }
  throw new OutOfRangeError(`unknown address family ${family}`);
}
