import { EventEmitter } from 'node:events';
import { EPOLLIN, InvalidArgValueError, Socket, type FileDescriptor, type SocketAddress } from '@reactor/fds';
import { validateBuffer, validateInteger, validateOptions, validateIpAddress } from '@reactor/fds/internal';
import type { IoWatch } from '../io-watch';
import type { Reactor } from '../reactor';
import { adoptable } from './adopt-option';
import { openSocket } from './socket-setup';

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
  /** Receiving failed (an ICMP error on a connected socket, a broken fd); the socket is closed and 'close' follows. */
  error: [error: Error];
  /** The socket is closed; `hadError` tells whether a receive error caused it. */
  close: [hadError: boolean];
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
    // A NaN or negative count would read no datagram at all, silently.
    this.#maxReads = opts.maxReadsPerTurn === undefined ? 64 : validateInteger(opts.maxReadsPerTurn, 'options.maxReadsPerTurn', 1, 65536);
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
      this.#watch = loop.watch(socket, EPOLLIN, () => this.#read(), { description: 'udp', onLoopClose: () => this.close() });
    } catch (error) {
      socket.close();
      throw error;
    }
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
        // The fd stays readable (level-triggered) while the error lasts:
        // reading on would report it on every turn, so the socket closes.
        this.#close(error as Error);
        return;
      }
      if (got === null) return;
      this.emit('message', this.#buffer.subarray(0, got.bytes), got.address);
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
    if (error !== undefined) this.emit('error', error);
    this.emit('close', error !== undefined);
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
