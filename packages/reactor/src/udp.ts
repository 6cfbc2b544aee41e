import { EventEmitter } from 'node:events';
import { EPOLLIN, Socket, type FileDescriptor, type SocketAddress } from '@reactor/fds';
import { validateBuffer, validateInteger, validateOptions, validateIpAddress } from '@reactor/fds/internal';
import type { IoWatch } from './io-watch';
import { adoptable } from './adopt-option';
import { trackOwned, untrackOwned } from './owned';
import { loopReadBuffer } from './read-buffer';
import type { Reactor } from './reactor';

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
   * A bound UDP socket made elsewhere (socket activation, fd passing),
   * instead of host/port/reusePort: the fd number, or an owned fd (a Socket,
   * a received FileDescriptor) whose ownership passes over. Checked to be
   * UDP (ERR_REACTOR_SOCKET_KIND).
   */
  fd?: number | FileDescriptor;
}

/** The events of a UdpSocket. */
export interface UdpEvents {
  /** A datagram; like stream data, the Buffer is valid only during the handler. */
  message: [data: Buffer, from: SocketAddress];
  /** Receiving failed; the socket closes. */
  error: [error: Error];
  /** The socket is closed. */
  close: [];
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
  #closed = false;

  constructor(loop: Reactor, options?: UdpBindOptions) {
    super();
    const opts = validateOptions<UdpBindOptions>(options);
    const host = opts.host === undefined ? '127.0.0.1' : validateIpAddress(opts.host, 'options.host');
    const v6 = host.includes(':');
    const port = opts.port === undefined ? 0 : validateInteger(opts.port, 'options.port', 0, 65535);
    // Checked: a NaN or negative count read no datagram at all, silently.
    this.#maxReads = opts.maxReadsPerTurn === undefined ? 64 : validateInteger(opts.maxReadsPerTurn, 'options.maxReadsPerTurn', 1, 65536);
    let socket: Socket;
    if (opts.fd !== undefined) {
      if (opts.host !== undefined || opts.port !== undefined || opts.reusePort !== undefined) {
        throw Object.assign(new TypeError('options.fd is a bound socket: give no host, port or reusePort with it'), { code: 'ERR_INVALID_ARG_VALUE' });
      }
      socket = Socket.adopt(adoptable(opts.fd), { kinds: ['udp4', 'udp6'], name: 'options.fd' });
    } else {
      socket = Socket.create(v6 ? 'udp6' : 'udp4');
      try {
        if (opts.reusePort) socket.setReusePort(true);
        socket.bind({ family: v6 ? 'ipv6' : 'ipv4', address: host, port });
      } catch (error) {
        socket.close();
        throw error;
      }
    }
    this.socket = socket;
    this.loop = loop;
    this.#buffer = loopReadBuffer(loop);
    this.#watch = loop.watch(socket, EPOLLIN, () => this.#read(), { description: 'udp' });
    trackOwned(loop, this);
  }

  /** The bound address (with the port the kernel picked). */
  address(): SocketAddress {
    return this.socket.localAddress();
  }

  /** Send one datagram; false if the kernel's buffer is full (EAGAIN: the datagram is dropped). */
  send(data: Uint8Array | string, to: SocketAddress): boolean {
    const buf = typeof data === 'string' ? Buffer.from(data) : validateBuffer(data, 'data');
    return this.socket.sendTo(buf, to) !== null;
  }

  #read(): void {
    for (let i = 0; i < this.#maxReads && !this.#closed; i++) {
      let got: { bytes: number; address: SocketAddress } | null;
      try {
        got = this.socket.recvFrom(this.#buffer);
      } catch (error) {
        this.emit('error', error as Error);
        return;
      }
      if (got === null) return;
      this.emit('message', this.#buffer.subarray(0, got.bytes), got.address);
    }
  }

  /** Close the socket ('close' follows). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    untrackOwned(this.loop, this);
    this.#watch.remove();
    this.socket.close();
    this.emit('close');
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
