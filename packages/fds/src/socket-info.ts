import { Buffer } from 'node:buffer';
import {
  AF_INET, AF_INET6, AF_UNIX, SO_ACCEPTCONN, SO_DOMAIN, SO_TYPE, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM, SOL_SOCKET,
} from './constants';
import { SystemError } from './system-error';
import { libc } from './ffi/index';
import type { SocketKind } from './socket';
import { validateFdNumber } from './validate';

const ENOTSOCK = 88;

/** What a socket made elsewhere is, read from the kernel (getsockopt SO_DOMAIN, SO_TYPE, SO_ACCEPTCONN). */
export interface SocketInfo {
  /** The address family. */
  family: 'ipv4' | 'ipv6' | 'unix' | 'other';
  /** The socket type. */
  type: 'stream' | 'dgram' | 'seqpacket' | 'other';
  /** Whether listen(2) was called on it. */
  listening: boolean;
  /** The matching `Socket.create()` kind, if there is one (TCP, UDP, Unix stream or datagram). */
  kind: SocketKind | undefined;
}

const FAMILIES = new Map<number, SocketInfo['family']>([[AF_INET, 'ipv4'], [AF_INET6, 'ipv6'], [AF_UNIX, 'unix']]);
const TYPES = new Map<number, SocketInfo['type']>([[SOCK_STREAM, 'stream'], [SOCK_DGRAM, 'dgram'], [SOCK_SEQPACKET, 'seqpacket']]);
const KIND_OF: Record<string, SocketKind> = {
  'ipv4/stream': 'tcp4', 'ipv6/stream': 'tcp6', 'unix/stream': 'unix',
  'ipv4/dgram': 'udp4', 'ipv6/dgram': 'udp6', 'unix/dgram': 'unix-dgram',
};

/**
 * The family, type and listening state of the socket at `fd`, or null when
 * `fd` is open but no socket (ENOTSOCK: a pipe, a file). A closed fd is a
 * SystemError (EBADF). Reads only; the fd is not taken over.
 */
export function socketInfo(fd: number): SocketInfo | null {
  validateFdNumber(fd);
  const value = Buffer.alloc(4);
  const len = Buffer.alloc(4);
  const get = (name: number): number | null => {
    len.writeUInt32LE(4, 0);
    const r = libc().getsockopt(fd, SOL_SOCKET, name, value, len);
    if (r === -ENOTSOCK) return null;
    if (r < 0) throw new SystemError('getsockopt', -r, { fd });
    return value.readInt32LE(0);
  };
  const domain = get(SO_DOMAIN);
  if (domain === null) return null;
  const family = FAMILIES.get(domain) ?? 'other';
  const type = TYPES.get(get(SO_TYPE)!) ?? 'other';
  return { family, type, listening: get(SO_ACCEPTCONN) === 1, kind: KIND_OF[`${family}/${type}`] };
}

/** A short description for error messages: 'tcp4, listening', 'udp6', 'unix/seqpacket', 'not a socket'. */
export function describeSocket(info: SocketInfo | null): string {
  if (info === null) return 'not a socket';
  const what = info.kind ?? `${info.family}/${info.type}`;
  return info.listening ? `${what}, listening` : what;
}
