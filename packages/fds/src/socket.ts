import { Buffer } from 'node:buffer';
import {
  AF_INET, AF_INET6, AF_UNIX, IPPROTO_IPV6, IPPROTO_TCP, IPV6_V6ONLY, MSG_NOSIGNAL, SHUT_RD, SHUT_RDWR, SHUT_WR,
  SO_ERROR, SO_KEEPALIVE, SO_LINGER, SO_PEERCRED, SO_RCVBUF, SO_REUSEADDR, SO_REUSEPORT, SO_SNDBUF, SOCK_CLOEXEC,
  SOCK_DGRAM, SOCK_NONBLOCK, SOCK_STREAM, SOCKADDR_STORAGE_SIZE, SOL_SOCKET, TCP_KEEPIDLE, TCP_NODELAY,
} from './constants';
import { decodeSockaddr, encodeSockaddr, type SocketAddress } from './address';
import { EAGAIN, EINPROGRESS } from './errno';
import { SocketKindError, InvalidArgTypeError } from './errors';
import { SystemError, check, checkWouldBlock } from './system-error';
import { FileDescriptor } from './fd';
import { receiveWithFds, sendWithFds, type FdToSend, type ReceivedWithFds } from './fd-passing';
import { adoptFlags } from './adopt';
import { describeSocket, socketInfo } from './socket-info';
import { libc } from './ffi/index';
import { describeValue, validateBoolean, validateBuffer, validateBufferList, validateFdNumber, validateInteger, validateOptions, validateString } from './validate';
import { OutOfRangeError } from './errors';

/** What `Socket.create()` makes: TCP over IPv4/IPv6, a Unix stream socket, UDP over IPv4/IPv6, a Unix datagram socket. */
export type SocketKind = 'tcp4' | 'tcp6' | 'unix' | 'udp4' | 'udp6' | 'unix-dgram';

const KINDS: Record<SocketKind, [domain: number, type: number]> = {
  tcp4: [AF_INET, SOCK_STREAM],
  tcp6: [AF_INET6, SOCK_STREAM],
  unix: [AF_UNIX, SOCK_STREAM],
  udp4: [AF_INET, SOCK_DGRAM],
  udp6: [AF_INET6, SOCK_DGRAM],
  'unix-dgram': [AF_UNIX, SOCK_DGRAM],
};


function validateKinds(value: unknown): SocketKind[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((k) => typeof k === 'string' && Object.prototype.hasOwnProperty.call(KINDS, k))) {
    throw new InvalidArgTypeError(`options.kinds must be a non-empty array of ${Object.keys(KINDS).join(', ')}; got ${describeValue(value)}`);
  }
  return value as SocketKind[];
}

function where(addr: SocketAddress): { address?: string; port?: number; path?: string } {
  return addr.family === 'unix' ? { path: addr.path } : { address: addr.address, port: addr.port };
}

/**
 * A socket that is always non-blocking and close-on-exec. I/O methods return
 * null for EAGAIN (no exception on the hot path); other failures throw a
 * SystemError. Writes use MSG_NOSIGNAL, so a reset peer gives EPIPE, never
 * SIGPIPE. Scratch buffers for addresses are reused per socket.
 *
 * @example
 * ```ts
 * import { Socket } from '@reactor/fds';
 *
 * const [a, b] = Socket.pair(); // AF_UNIX stream sockets: non-blocking, close-on-exec
 * a.write(Buffer.from('ping'));
 * const buffer = Buffer.alloc(64);
 * const n = b.read(buffer); // null when nothing is there (EAGAIN)
 * console.log(buffer.subarray(0, n ?? 0).toString());
 * a.close();
 * b.close();
 * ```
 */
export class Socket extends FileDescriptor {
  /** What was created, or 'accepted' for a socket from `accept()`. */
  readonly kind: SocketKind | 'accepted';
  readonly #addr = Buffer.alloc(SOCKADDR_STORAGE_SIZE);
  readonly #len = Buffer.alloc(4);
  readonly #int = Buffer.alloc(4);
  #target: SocketAddress | undefined;

  private constructor(fd: number, kind: SocketKind | 'accepted') {
    super(fd, 'socket');
    this.kind = kind;
  }

  /** A new non-blocking, close-on-exec socket of `kind`. */
  static create(kind: SocketKind): Socket {
    // Own keys only: 'toString' or '__proto__' must not reach socket(2) as garbage numbers.
    const spec = typeof kind === 'string' && Object.prototype.hasOwnProperty.call(KINDS, kind) ? KINDS[kind] : undefined;
    if (spec === undefined) throw new OutOfRangeError(`kind must be one of ${Object.keys(KINDS).join(', ')}; got ${describeValue(kind)}`);
    return new Socket(check(libc().socket(spec[0], spec[1] | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), 'socket'), kind);
  }

  /** A connected pair of Unix stream sockets. */
  static pair(): [Socket, Socket] {
    const fds = Buffer.alloc(8);
    check(libc().socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 'socketpair');
    return [new Socket(fds.readInt32LE(0), 'unix'), new Socket(fds.readInt32LE(4), 'unix')];
  }

  /**
   * Take over a socket made elsewhere (inherited from systemd, received over
   * SCM_RIGHTS): checked to be one of `kinds` and, when `listening` is given,
   * listening or not; then made close-on-exec and non-blocking like the
   * sockets this class makes. A wrong kind is a SocketKindError
   * (ERR_REACTOR_SOCKET_KIND) and leaves the fd with the caller; on success
   * the Socket owns it (a FileDescriptor given is released to it).
   */
  static adopt(fd: number | FileDescriptor, options?: { kinds?: readonly SocketKind[]; listening?: boolean; name?: string }): Socket {
    const opts = validateOptions<{ kinds: readonly SocketKind[]; listening: boolean; name: string }>(options);
    const name = opts.name === undefined ? 'fd' : validateString(opts.name, 'options.name');
    const kinds = opts.kinds === undefined ? (Object.keys(KINDS) as SocketKind[]) : validateKinds(opts.kinds);
    const listening = opts.listening === undefined ? undefined : validateBoolean(opts.listening, 'options.listening');
    const n = fd instanceof FileDescriptor ? fd.fd : validateFdNumber(fd, name);
    const info = socketInfo(n);
    if (info === null || info.kind === undefined || !kinds.includes(info.kind) || (listening !== undefined && info.listening !== listening)) {
      const state = listening === undefined ? '' : listening ? ', listening' : ', not listening';
      throw new SocketKindError(n, `a socket of kind ${kinds.join(' or ')}${state}`, describeSocket(info), name);
    }
    adoptFlags(n);
    if (fd instanceof FileDescriptor) fd.release();
    return new Socket(n, info.kind);
  }

  /** bind(2) to `address` (port 0: the kernel picks one). */
  bind(address: SocketAddress): void {
    const { buffer, length } = encodeSockaddr(address);
    const r = libc().bind(this.use('bind'), buffer, length);
    check(r, 'bind', where(address));
  }

  /** listen(2): accept connections, `backlog` of them queued. */
  listen(backlog = 511): void {
    const n = validateInteger(backlog, 'backlog', 0, 65535);
    check(libc().listen(this.use('listen'), n), 'listen', { fd: this.fd });
  }

  /** The next pending connection, or null (EAGAIN). */
  accept(): Socket | null {
    this.#len.writeUInt32LE(SOCKADDR_STORAGE_SIZE, 0);
    const r = libc().accept4(this.use('accept4'), this.#addr, this.#len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (checkWouldBlock(r, 'accept4', { fd: this.fd }) === null) return null;
    return new Socket(r, 'accepted');
  }

  /** Start connecting: true when connected now, false when in progress (wait for EPOLLOUT, then `finishConnect()`). */
  connect(address: SocketAddress): boolean {
    const { buffer, length } = encodeSockaddr(address);
    this.#target = address;
    const r = libc().connect(this.use('connect'), buffer, length);
    if (r === 0) return true;
    if (r === -EINPROGRESS || r === -EAGAIN) return false;
    return check(r, 'connect', where(address)) === 0;
  }

  /** After EPOLLOUT on a connecting socket: throws the connect error (ECONNREFUSED …) if any. */
  finishConnect(): void {
    const code = this.getError();
    if (code !== 0) throw new SystemError('connect', code, this.#target ? where(this.#target) : { fd: this.fd });
  }

  /** Bytes read into `buffer`; 0 at EOF; null on EAGAIN. */
  read(buffer: Uint8Array, length?: number): number | null {
    const buf = validateBuffer(buffer, 'buffer');
    const len = length === undefined ? buf.length : validateInteger(length, 'length', 0, buf.length);
    const r = libc().read(this.use('read'), buf, len);
    // Success returns before the error's details are built (an object and a getter call on every read).
    return r >= 0 ? r : checkWouldBlock(r, 'read', { fd: this.fd });
  }

  /** readv(2) into `buffers` in order: bytes read, 0 at EOF, null on EAGAIN. */
  readv(buffers: readonly Uint8Array[]): number | null {
    const bufs = validateBufferList(buffers, 'buffers');
    const fd = this.use('readv');
    // No iovec: the kernel reads nothing and returns 0; Node's readvSync (the
    // ffi-rs data path) refuses an empty list with EINVAL, so answer here.
    if (bufs.length === 0) return 0;
    const r = libc().readv(fd, bufs);
    return r >= 0 ? r : checkWouldBlock(r, 'readv', { fd: this.fd });
  }

  /** Bytes the kernel took (maybe fewer than given); null on EAGAIN. */
  write(buffer: Uint8Array, offset = 0, length?: number): number | null {
    let buf = validateBuffer(buffer, 'buffer');
    validateInteger(offset, 'offset', 0, buf.length);
    const len = length === undefined ? buf.length - offset : validateInteger(length, 'length', 0, buf.length - offset);
    if (offset > 0) buf = buf.subarray(offset);
    const r = libc().send(this.use('send'), buf, len, MSG_NOSIGNAL);
    return r >= 0 ? r : checkWouldBlock(r, 'send', { fd: this.fd });
  }

  /** writev(2) from `buffers` in order: bytes the kernel took, null on EAGAIN. */
  writev(buffers: readonly Uint8Array[]): number | null {
    const bufs = validateBufferList(buffers, 'buffers');
    const fd = this.use('writev');
    if (bufs.length === 0) return 0; // as readv: the same answer from both bindings
    const r = libc().writev(fd, bufs);
    return r >= 0 ? r : checkWouldBlock(r, 'writev', { fd: this.fd });
  }

  /** One datagram and its sender, or null (EAGAIN). */
  recvFrom(buffer: Uint8Array): {
    /** The datagram's length (it was cut if longer than `buffer`). */
    bytes: number;
    /** Who sent it. */
    address: SocketAddress;
  } | null {
    const buf = validateBuffer(buffer, 'buffer');
    this.#len.writeUInt32LE(SOCKADDR_STORAGE_SIZE, 0);
    const r = libc().recvfrom(this.use('recvfrom'), buf, buf.length, 0, this.#addr, this.#len);
    if (checkWouldBlock(r, 'recvfrom', { fd: this.fd }) === null) return null;
    return { bytes: r, address: decodeSockaddr(this.#addr, this.#len.readUInt32LE(0)) };
  }

  /** Send one datagram to `address`; null on EAGAIN. */
  sendTo(buffer: Uint8Array, address: SocketAddress): number | null {
    const buf = validateBuffer(buffer, 'buffer');
    const { buffer: addr, length } = encodeSockaddr(address);
    const r = libc().sendto(this.use('sendto'), buf, buf.length, MSG_NOSIGNAL, addr, length);
    return checkWouldBlock(r, 'sendto', where(address));
  }

  /**
   * Send `data` with `fds` attached (SCM_RIGHTS, Unix stream sockets): bytes
   * the kernel took, or null on EAGAIN. The fds go with the first byte; the
   * caller's fds stay open and its own.
   */
  sendWithFds(data: Uint8Array, fds: readonly FdToSend[]): number | null {
    return sendWithFds(this.use('sendmsg'), data, fds);
  }

  /**
   * Send one datagram to `address` with `fds` attached (SCM_RIGHTS, Unix
   * datagram sockets): bytes sent, or null on EAGAIN.
   */
  sendToWithFds(data: Uint8Array, address: SocketAddress, fds: readonly FdToSend[]): number | null {
    if (address === null || typeof address !== 'object') throw new InvalidArgTypeError(`address must be a socket address; got ${describeValue(address)}`);
    return sendWithFds(this.use('sendmsg'), data, fds, address);
  }

  /**
   * Receive data and the fds sent with it (close-on-exec, owned by the
   * caller), or null on EAGAIN. More than `maxFds` fds in one message throws
   * FdsTruncatedError (ERR_REACTOR_FDS_TRUNCATED) after closing those that came.
   */
  receiveWithFds(buffer: Uint8Array, maxFds = 16): ReceivedWithFds | null {
    return receiveWithFds(this.use('recvmsg'), buffer, maxFds);
  }

  /** shutdown(2): stop reading, writing (FIN) or both. */
  shutdown(how: 'read' | 'write' | 'both' = 'write'): void {
    const value = how === 'read' ? SHUT_RD : how === 'write' ? SHUT_WR : how === 'both' ? SHUT_RDWR : -1;
    if (value < 0) throw new OutOfRangeError(`how must be 'read', 'write' or 'both'; got ${describeValue(how)}`);
    check(libc().shutdown(this.use('shutdown'), value), 'shutdown', { fd: this.fd });
  }

  /** The bound address (getsockname(2)). */
  localAddress(): SocketAddress {
    this.#len.writeUInt32LE(SOCKADDR_STORAGE_SIZE, 0);
    check(libc().getsockname(this.use('getsockname'), this.#addr, this.#len), 'getsockname', { fd: this.fd });
    return decodeSockaddr(this.#addr, this.#len.readUInt32LE(0));
  }

  /** The peer's address (getpeername(2)). */
  remoteAddress(): SocketAddress {
    this.#len.writeUInt32LE(SOCKADDR_STORAGE_SIZE, 0);
    check(libc().getpeername(this.use('getpeername'), this.#addr, this.#len), 'getpeername', { fd: this.fd });
    return decodeSockaddr(this.#addr, this.#len.readUInt32LE(0));
  }

  #setInt(level: number, name: number, value: number, what: string): void {
    this.#int.writeInt32LE(value, 0);
    check(libc().setsockopt(this.use('setsockopt'), level, name, this.#int, 4), 'setsockopt', { fd: this.fd });
    void what;
  }

  #getInt(level: number, name: number): number {
    this.#len.writeUInt32LE(4, 0);
    check(libc().getsockopt(this.use('getsockopt'), level, name, this.#int, this.#len), 'getsockopt', { fd: this.fd });
    return this.#int.readInt32LE(0);
  }

  /** TCP_NODELAY: send small writes at once. */
  setNoDelay(enable = true): void {
    this.#setInt(IPPROTO_TCP, TCP_NODELAY, validateBoolean(enable, 'enable') ? 1 : 0, 'TCP_NODELAY');
  }

  /** SO_KEEPALIVE, and TCP_KEEPIDLE when `idleSeconds` is given. */
  setKeepAlive(enable = true, idleSeconds?: number): void {
    this.#setInt(SOL_SOCKET, SO_KEEPALIVE, validateBoolean(enable, 'enable') ? 1 : 0, 'SO_KEEPALIVE');
    if (enable && idleSeconds !== undefined) this.#setInt(IPPROTO_TCP, TCP_KEEPIDLE, validateInteger(idleSeconds, 'idleSeconds', 1, 32767), 'TCP_KEEPIDLE');
  }

  /** SO_REUSEADDR. */
  setReuseAddress(enable = true): void {
    this.#setInt(SOL_SOCKET, SO_REUSEADDR, validateBoolean(enable, 'enable') ? 1 : 0, 'SO_REUSEADDR');
  }

  /** SO_REUSEPORT: several sockets share the port. */
  setReusePort(enable = true): void {
    this.#setInt(SOL_SOCKET, SO_REUSEPORT, validateBoolean(enable, 'enable') ? 1 : 0, 'SO_REUSEPORT');
  }

  /** IPV6_V6ONLY: no IPv4-mapped addresses on an IPv6 socket. */
  setIpv6Only(enable = true): void {
    this.#setInt(IPPROTO_IPV6, IPV6_V6ONLY, validateBoolean(enable, 'enable') ? 1 : 0, 'IPV6_V6ONLY');
  }

  /** SO_LINGER {on, seconds}: with 0 seconds, close() sends a reset instead of a FIN. */
  setLinger(enable: boolean, seconds = 0): void {
    const v = Buffer.alloc(8);
    v.writeInt32LE(validateBoolean(enable, 'enable') ? 1 : 0, 0);
    v.writeInt32LE(validateInteger(seconds, 'seconds', 0, 0x7fffffff), 4);
    check(libc().setsockopt(this.use('setsockopt'), SOL_SOCKET, SO_LINGER, v, 8), 'setsockopt', { fd: this.fd });
  }

  /** SO_SNDBUF (the kernel reports double what was set). */
  get sendBufferSize(): number {
    return this.#getInt(SOL_SOCKET, SO_SNDBUF);
  }

  /** Set SO_SNDBUF. */
  set sendBufferSize(bytes: number) {
    this.#setInt(SOL_SOCKET, SO_SNDBUF, validateInteger(bytes, 'bytes', 1, 0x7fffffff), 'SO_SNDBUF');
  }

  /** SO_RCVBUF (the kernel reports double what was set). */
  get receiveBufferSize(): number {
    return this.#getInt(SOL_SOCKET, SO_RCVBUF);
  }

  /** Set SO_RCVBUF. */
  set receiveBufferSize(bytes: number) {
    this.#setInt(SOL_SOCKET, SO_RCVBUF, validateInteger(bytes, 'bytes', 1, 0x7fffffff), 'SO_RCVBUF');
  }

  /** SO_ERROR: the pending error (positive errno) or 0; reading it clears it. */
  getError(): number {
    return this.#getInt(SOL_SOCKET, SO_ERROR);
  }

  /** SO_PEERCRED of a Unix socket: the peer's pid, uid and gid at connect time. */
  peerCredentials(): {
    /** The peer's process id when it connected. */
    pid: number;
    /** Its user id. */
    uid: number;
    /** Its group id. */
    gid: number;
  } {
    const v = Buffer.alloc(12);
    this.#len.writeUInt32LE(12, 0);
    check(libc().getsockopt(this.use('getsockopt'), SOL_SOCKET, SO_PEERCRED, v, this.#len), 'getsockopt', { fd: this.fd });
    return { pid: v.readInt32LE(0), uid: v.readUInt32LE(4), gid: v.readUInt32LE(8) };
  }
}
