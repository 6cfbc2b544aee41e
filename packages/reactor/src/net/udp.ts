import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import { InvalidArgValueError, ReactorError, Socket, type FileDescriptor, type SocketAddress } from '@reactor/fds';
import { validateBoolean, validateFunction, validateInteger, validateOptions, validateIpAddress } from '@reactor/fds/internal';
import type { IoWatch } from '../io-watch';
import type { Reactor } from '../reactor';
import { adoptable } from './adopt-option';
import { openSocket } from './socket-setup';
import { EPOLLIN, EPOLLOUT, validateBuffer } from './hot-imports';

/** Options of `Reactor.udp()`. */
export interface UdpBindOptions {
  /** Default '127.0.0.1'; '::' selects IPv6. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** SO_REUSEPORT: several sockets share the port. */
  reusePort?: boolean;
  /** Datagrams read per turn at most (default 64). */
  maxReadsPerTurn?: number;
  /**
   * Zero-copy receives for hot paths: each 'message' Buffer is then a view
   * into the loop's shared read buffer, valid only until the handler
   * returns. Default false: every datagram is a Buffer of its own, as in
   * node:dgram. (The same option as a connection's.)
   */
  loanChunks?: boolean;
  /**
   * A bound UDP socket made elsewhere (socket activation, fd passing),
   * instead of host/port/reusePort: the fd number, or an owned fd (a Socket,
   * a received FileDescriptor) whose ownership passes over. Checked to be
   * UDP (ERR_REACTOR_SOCKET_KIND).
   */
  fd?: number | FileDescriptor;
}

/** The events of a UdpSocket. */
export interface UdpEvents {
  /** A datagram: a Buffer of its own, unless the socket was made with `loanChunks: true` (then valid only during the handler). */
  message: [data: Buffer, from: SocketAddress];
  /**
   * Receiving failed (an ICMP error, a broken fd): the socket is closed and
   * 'close' follows. Also a queued datagram that failed to go out and was
   * sent without a callback (the socket stays open). Emitted only when
   * someone listens.
   */
  error: [error: Error];
  /** The socket is closed; `hadError` tells whether a receive error caused it. */
  close: [hadError: boolean];
}

/** Called when a datagram went to the kernel (`error` null, its size in bytes) or failed. */
export type UdpSendCallback = (error: Error | null, bytes: number) => void;

interface QueuedDatagram {
  readonly data: Buffer;
  readonly to: SocketAddress;
  readonly callback: UdpSendCallback | undefined;
}

/**
 * A UDP socket on a reactor. Each readiness event drains up to
 * `maxReadsPerTurn` datagrams (the batching the kernel allows without
 * recvmmsg, which the FFI layer does not expose).
 *
 * @example
 * ```ts
 * import { Reactor } from '@reactor/reactor';
 *
 * const loop = new Reactor();
 * const a = loop.udp({ host: '127.0.0.1' }); // port 0: any free port
 * const b = loop.udp({ host: '127.0.0.1' });
 * b.on('message', (data, from) => {
 *   console.log(`${data} from port ${'port' in from ? from.port : '?'}`);
 *   a.close();
 *   b.close();
 * });
 * a.send('a datagram', b.address());
 * await loop.run();
 * loop.close();
 * ```
 */
export class UdpSocket extends EventEmitter<UdpEvents> {
  /** The loop the socket is registered with. */
  readonly loop: Reactor;
  /** The underlying fd. */
  readonly socket: Socket;
  readonly #watch: IoWatch;
  readonly #buffer: Buffer;
  readonly #maxReads: number;
  readonly #loan: boolean;
  /** Datagrams the kernel refused for now (EAGAIN), in order, sent when the socket is writable. */
  #sendQueue: QueuedDatagram[] = [];
  #sendQueueBytes = 0;
  #closed = false;

  constructor(loop: Reactor, options?: UdpBindOptions) {
    super();
    const opts = validateOptions<UdpBindOptions>(options);
    const host = opts.host === undefined ? '127.0.0.1' : validateIpAddress(opts.host, 'options.host');
    const v6 = host.includes(':');
    const port = opts.port === undefined ? 0 : validateInteger(opts.port, 'options.port', 0, 65535);
    // A NaN or negative count would read no datagram at all, silently.
    this.#maxReads = opts.maxReadsPerTurn === undefined ? 64 : validateInteger(opts.maxReadsPerTurn, 'options.maxReadsPerTurn', 1, 65536);
    this.#loan = opts.loanChunks === undefined ? false : validateBoolean(opts.loanChunks, 'options.loanChunks');
    let socket: Socket;
    if (opts.fd !== undefined) {
      if (opts.host !== undefined || opts.port !== undefined || opts.reusePort !== undefined) {
        throw new InvalidArgValueError('options.fd is a bound socket: give no host, port or reusePort with it');
      }
      socket = Socket.adopt(adoptable(opts.fd), { kinds: ['udp4', 'udp6'], name: 'options.fd' });
    } else {
      socket = openSocket(v6 ? 'udp6' : 'udp4', (s) => {
        if (opts.reusePort) s.setReusePort(true);
        s.bind({ family: v6 ? 'ipv6' : 'ipv4', address: host, port });
      });
    }
    this.socket = socket;
    this.loop = loop;
    this.#buffer = loop.readBuffer();
    try {
      // A loop closed with the socket open closes it (its fd goes with the loop).
      this.#watch = loop.watch(socket, EPOLLIN, (events) => this.#onEvents(events), { description: 'udp', onLoopClose: () => this.close() });
    } catch (error) {
      socket.close();
      throw error;
    }
  }

  /** The bound address (with the port the kernel picked). */
  address(): SocketAddress {
    return this.socket.localAddress();
  }

  /**
   * Send one datagram. When the kernel's send buffer is full (EAGAIN) the
   * datagram is queued, as node:dgram does, and sent in order once the
   * socket is writable; the return value says which: true sent now, false
   * queued. `callback` (after this call returns) gets null and the size
   * once the kernel took it, or the error. Without a callback, a failure
   * now is thrown, and a queued datagram's failure is emitted as 'error'
   * (if listened). Buffers are queued by reference: do not change one after
   * sending it.
   */
  send(data: Uint8Array | string, to: SocketAddress, callback?: UdpSendCallback): boolean {
    let buf = typeof data === 'string' ? Buffer.from(data) : validateBuffer(data, 'data');
    if (callback !== undefined) validateFunction(callback, 'callback');
    if (this.#closed) {
      const error = new ReactorError('ERR_SOCKET_DGRAM_NOT_RUNNING', 'send on a closed UDP socket');
      if (callback === undefined) throw error;
      queueMicrotask(() => callback(error, 0));
      return false;
    }
    if (this.#sendQueue.length === 0) {
      let sent: number | null;
      try {
        sent = this.socket.sendTo(buf, to);
      } catch (error) {
        if (callback === undefined) throw error;
        queueMicrotask(() => callback(error as Error, 0));
        return false;
      }
      if (sent !== null) {
        if (callback !== undefined) queueMicrotask(() => callback(null, sent));
        return true;
      }
      this.#watch.modify(EPOLLIN | EPOLLOUT);
    }
    // A view of the loop's read buffer (a datagram relayed from a loaned 'message') is overwritten by the next read.
    if (buf.buffer === this.#buffer.buffer) buf = Buffer.from(buf);
    this.#sendQueue.push({ data: buf, to, callback });
    this.#sendQueueBytes += buf.length;
    return false;
  }

  /** Bytes queued for sending (node:dgram's `getSendQueueSize()`). */
  getSendQueueSize(): number {
    return this.#sendQueueBytes;
  }

  /** Datagrams queued for sending (node:dgram's `getSendQueueCount()`). */
  getSendQueueCount(): number {
    return this.#sendQueue.length;
  }

  #flush(): void {
    const queue = this.#sendQueue;
    let i = 0;
    for (; i < queue.length && !this.#closed; i++) {
      const { data, to, callback } = queue[i]!;
      let sent: number | null;
      try {
        sent = this.socket.sendTo(data, to);
      } catch (error) {
        this.#sendQueueBytes -= data.length;
        if (callback !== undefined) callback(error as Error, 0);
        else if (this.listenerCount('error') > 0) this.emit('error', error as Error);
        continue;
      }
      if (sent === null) break; // still full: wait for the next EPOLLOUT
      this.#sendQueueBytes -= data.length;
      callback?.(null, sent);
    }
    if (this.#closed) return;
    queue.splice(0, i);
    if (queue.length === 0) this.#watch.modify(EPOLLIN);
  }

  #onEvents(events: number): void {
    if ((events & EPOLLOUT) !== 0) this.#flush();
    if ((events & ~EPOLLOUT) !== 0) this.#read();
  }

  #read(): void {
    for (let i = 0; i < this.#maxReads && !this.#closed; i++) {
      let got: { bytes: number; address: SocketAddress } | null;
      try {
        got = this.socket.recvFrom(this.#buffer);
      } catch (error) {
        // The fd stays readable (level-triggered) while the error lasts:
        // reading on would report it on every turn, so the socket closes.
        this.#close(error as Error);
        return;
      }
      if (got === null) return;
      const view = this.#buffer.subarray(0, got.bytes);
      this.emit('message', this.#loan ? view : Buffer.from(view), got.address);
    }
  }

  /** `close()` (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Close the socket ('close' follows). */
  close(): void {
    this.#close(undefined);
  }

  #close(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watch.remove();
    this.socket.close();
    // Queued datagrams will not go out: their senders hear of it, as node:dgram's do.
    const dropped = this.#sendQueue;
    this.#sendQueue = [];
    this.#sendQueueBytes = 0;
    for (const { callback } of dropped) callback?.(new ReactorError('ERR_SOCKET_DGRAM_NOT_RUNNING', 'the UDP socket closed before the datagram was sent'), 0);
    try {
      if (error !== undefined && this.listenerCount('error') > 0) this.emit('error', error);
    } finally {
      this.emit('close', error !== undefined);
    }
  }

  /** Whether the socket is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The same as `close()`. */
  destroy(): void {
    this.close();
  }

  /** Keep the loop alive while the socket is open (the default). */
  ref(): this {
    this.#watch.ref();
    return this;
  }

  /** Do not keep the loop alive for this socket. */
  unref(): this {
    this.#watch.unref();
    return this;
  }
}
