import { Buffer } from 'node:buffer';
import {
  F_DUPFD_CLOEXEC, CMSGHDR_SIZE, MSG_CMSG_CLOEXEC, MSG_CTRUNC, MSG_NOSIGNAL, MSGHDR_SIZE, SCM_MAX_FD, SCM_RIGHTS, SOL_SOCKET,
} from './constants';
import { FdsTruncatedError, InvalidArgTypeError, OutOfRangeError } from './errors';
import { SystemError } from './system-error';
import { closeQuietly, FileDescriptor } from './fd';
import { libc } from './ffi/index';
import { encodeSockaddr, type SocketAddress } from './address';
import { describeValue, validateBuffer, validateFdNumber, validateInteger } from './validate';

/**
 * SCM_RIGHTS (unix(7)): fds sent with data over a Unix socket, as cmsg(3)
 * lays them out on 64-bit Linux. The FFI contract takes a msghdr encoded in
 * a Buffer whose pointers are the addresses of other Buffers; every Buffer
 * referenced is held in `pinned` until the call returns, and a Buffer's
 * memory does not move once its address was taken (V8 moves an on-heap typed
 * array off the heap when native code first asks for its data, and never again).
 */

const EAGAIN = 11;
const IOVEC_SIZE = 16;

/** CMSG_SPACE for `n` fds: the header plus the int32s, rounded up to 8 bytes (the buffer to allocate). */
const cmsgSpace = (n: number) => CMSGHDR_SIZE + ((n * 4 + 7) & ~7);
/** CMSG_LEN for `n` fds: the header plus the int32s, unpadded. */
const cmsgLen = (n: number) => CMSGHDR_SIZE + n * 4;

/** Every Buffer a msghdr points into; held in `pinned` for the length of the call, so none can be collected mid-call. */
interface EncodedMsghdr {
  msghdr: Buffer;
  iovec: Buffer;
  data: Buffer;
  control: Buffer;
  name: Buffer | undefined;
}
let pinned: EncodedMsghdr | undefined;

/**
 * A msghdr with one iovec over `data`, `control` as its control buffer and,
 * for an unconnected datagram socket, the destination (`name`, an encoded
 * sockaddr of `nameLength` bytes).
 */
function encodeMsghdr(data: Buffer, length: number, control: Buffer, controlLength: number, name?: Buffer, nameLength = 0): EncodedMsghdr {
  const c = libc();
  const iovec = Buffer.alloc(IOVEC_SIZE);
  iovec.writeBigUInt64LE(BigInt(c.address(data)), 0);
  iovec.writeBigUInt64LE(BigInt(length), 8);
  const msghdr = Buffer.alloc(MSGHDR_SIZE);
  if (name !== undefined) {
    msghdr.writeBigUInt64LE(BigInt(c.address(name)), 0); // msg_name
    msghdr.writeUInt32LE(nameLength, 8); // msg_namelen
  }
  msghdr.writeBigUInt64LE(BigInt(c.address(iovec)), 16); // msg_iov
  msghdr.writeBigUInt64LE(1n, 24); // msg_iovlen
  msghdr.writeBigUInt64LE(BigInt(controlLength > 0 ? c.address(control) : 0), 32); // msg_control
  msghdr.writeBigUInt64LE(BigInt(controlLength), 40); // msg_controllen
  return { msghdr, iovec, data, control, name };
}

/** An fd number, or the fd of an open FileDescriptor (still owned by the caller). */
export type FdToSend = number | FileDescriptor;

function fdNumber(value: unknown, name: string): number {
  if (value instanceof FileDescriptor) return value.fd;
  if (typeof value === 'number') return validateFdNumber(value, name);
  throw new InvalidArgTypeError(`${name} must be an fd number or a FileDescriptor; got ${describeValue(value)}`);
}

/**
 * sendmsg(2) of `data` with `fds` attached (SCM_RIGHTS): the bytes the kernel
 * took, or null on EAGAIN. On a stream socket the fds travel with the first
 * byte; when fewer bytes than given were taken, send the rest without fds.
 * On a Unix datagram socket, `to` names the receiver (as sendto) and the fds
 * travel with the datagram. The sender keeps its own fds open (the receiver
 * gets new numbers for the same open files).
 */
export function sendWithFds(fd: number, data: Uint8Array, fds: readonly FdToSend[], to?: SocketAddress): number | null {
  validateFdNumber(fd);
  const buf = validateBuffer(data, 'data');
  // A stream socket needs at least one byte to carry the ancillary data.
  if (buf.length === 0) throw new OutOfRangeError('data must hold at least one byte to carry the fds');
  if (!Array.isArray(fds)) throw new InvalidArgTypeError(`fds must be an array; got ${describeValue(fds)}`);
  validateInteger(fds.length, 'fds.length', 1, SCM_MAX_FD);
  const numbers = fds.map((f, i) => fdNumber(f, `fds[${i}]`));
  const address = to === undefined ? undefined : encodeSockaddr(to);
  const control = Buffer.alloc(cmsgSpace(numbers.length));
  control.writeBigUInt64LE(BigInt(cmsgLen(numbers.length)), 0);
  control.writeInt32LE(SOL_SOCKET, 8);
  control.writeInt32LE(SCM_RIGHTS, 12);
  numbers.forEach((n, i) => control.writeInt32LE(n, CMSGHDR_SIZE + 4 * i));
  pinned = encodeMsghdr(buf, buf.length, control, control.length, address?.buffer, address?.length);
  const r = libc().sendmsg(fd, pinned.msghdr, MSG_NOSIGNAL);
  pinned = undefined;
  if (r === -EAGAIN) return null;
  if (r < 0) throw new SystemError('sendmsg', -r, to?.family === 'unix' ? { path: to.path } : { fd });
  return r;
}

/** What `receiveWithFds` got: bytes of data and the fds that came with them (owned by the caller now). */
export interface ReceivedWithFds {
  /** Bytes written into the buffer; 0 with no fds is end of stream. */
  bytes: number;
  /** The fds that arrived, each close-on-exec, each to be closed by the caller. */
  fds: FileDescriptor[];
}

/**
 * recvmsg(2) with room for `maxFds` fds: the data and the fds, or null on
 * EAGAIN. Fds arrive close-on-exec (MSG_CMSG_CLOEXEC). A message with more
 * fds than `maxFds` loses the rest in the kernel (MSG_CTRUNC): the ones that
 * came are closed and FdsTruncatedError is thrown, so no fd leaks and no
 * partial set is mistaken for the whole.
 */
export function receiveWithFds(fd: number, buffer: Uint8Array, maxFds = 16): ReceivedWithFds | null {
  validateFdNumber(fd);
  const buf = validateBuffer(buffer, 'buffer');
  if (buf.length === 0) throw new OutOfRangeError('buffer must hold at least one byte');
  const max = validateInteger(maxFds, 'maxFds', 1, SCM_MAX_FD);
  const control = Buffer.alloc(cmsgSpace(max));
  // msg_controllen is CMSG_LEN, not CMSG_SPACE: the kernel fills as many fds
  // as fit, and the padding of an odd count would take one more than asked.
  const msg = (pinned = encodeMsghdr(buf, buf.length, control, cmsgLen(max)));
  const r = libc().recvmsg(fd, msg.msghdr, MSG_CMSG_CLOEXEC);
  pinned = undefined;
  if (r === -EAGAIN) return null;
  if (r < 0) throw new SystemError('recvmsg', -r, { fd });
  const received = decodeRights(control, Number(msg.msghdr.readBigUInt64LE(40)));
  if ((msg.msghdr.readInt32LE(48) & MSG_CTRUNC) !== 0) {
    for (const n of received) closeQuietly(n);
    throw new FdsTruncatedError(fd, received.length, max);
  }
  return { bytes: r, fds: received.map((n) => new FileDescriptor(n, 'received fd')) };
}

/** The fd numbers in every SCM_RIGHTS message among the first `length` bytes of control data. */
function decodeRights(control: Buffer, length: number): number[] {
  const fds: number[] = [];
  for (let offset = 0; offset + CMSGHDR_SIZE <= length; ) {
    const len = Number(control.readBigUInt64LE(offset));
    if (len < CMSGHDR_SIZE || offset + len > length) break;
    if (control.readInt32LE(offset + 8) === SOL_SOCKET && control.readInt32LE(offset + 12) === SCM_RIGHTS) {
      for (let p = offset + CMSGHDR_SIZE; p + 4 <= offset + len; p += 4) fds.push(control.readInt32LE(p));
    }
    offset += (len + 7) & ~7; // CMSG_NXTHDR
  }
  return fds;
}

/**
 * A new fd for the same open file as `fd` (fcntl F_DUPFD_CLOEXEC), owned by
 * the caller: what a queued send holds so that the caller may close its own
 * fd at once.
 */
export function duplicateFd(fd: FdToSend): FileDescriptor {
  const n = fdNumber(fd, 'fd');
  const r = libc().fcntl(n, F_DUPFD_CLOEXEC, 0);
  if (r < 0) throw new SystemError('fcntl', -r, { fd: n });
  return new FileDescriptor(r, 'duplicated fd');
}
