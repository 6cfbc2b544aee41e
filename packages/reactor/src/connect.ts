import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { EPOLLOUT, Socket, SystemError } from '@reactor/fds';
import { validateInteger, validateNonNegative, validateOptions, validateString } from '@reactor/fds/internal';
import { Connection, connectionOptionsFrom, type ConnectionOptions } from './connection';
import { trackOwned, untrackOwned } from './owned';
import type { Reactor } from './reactor';

/** `Reactor.connect()` to a TCP server. */
export interface ConnectTcpOptions extends ConnectionOptions {
  /** An IP address or a host name (resolved with the system resolver). Default '127.0.0.1'. */
  host?: string;
  /** The server's port. */
  port: number;
  /** Fail with ETIMEDOUT if not connected within this time (default: the kernel's). */
  timeoutMs?: number;
  /** TCP_NODELAY on the new connection. */
  noDelay?: boolean;
}

/** `Reactor.connect()` to a Unix socket server. */
export interface ConnectUnixOptions extends ConnectionOptions {
  /** A filesystem path, or a name starting with '\0' for the abstract namespace. */
  path: string;
  /** Fail with ETIMEDOUT if not connected within this time. */
  timeoutMs?: number;
}

/** Where `Reactor.connect()` connects: TCP or Unix. */
export type ConnectOptions = ConnectTcpOptions | ConnectUnixOptions;

const ETIMEDOUT = 110;

/**
 * Open a stream connection without blocking: connect(2) returns EINPROGRESS,
 * the loop waits for EPOLLOUT, and SO_ERROR tells the outcome. Failures
 * (ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH …) reject the promise with a
 * SystemError that names the address.
 */
export async function connect(loop: Reactor, options: ConnectOptions): Promise<Connection> {
  const opts = validateOptions<ConnectTcpOptions & ConnectUnixOptions>(options);
  const timeoutMs = opts.timeoutMs === undefined ? undefined : validateNonNegative(opts.timeoutMs, 'options.timeoutMs');
  const connectionOptions: ConnectionOptions = connectionOptionsFrom(opts);
  let socket: Socket;
  let address: string;
  let port: number | undefined;
  if (typeof opts.path === 'string') {
    const abstract = opts.path.startsWith('\0');
    socket = Socket.create('unix');
    address = opts.path;
    try {
      if (socket.connect(abstract ? { family: 'unix', path: opts.path.slice(1), abstract: true } : { family: 'unix', path: opts.path })) {
        return new Connection(loop, socket, connectionOptions);
      }
    } catch (error) {
      socket.close();
      throw error;
    }
  } else {
    port = validateInteger(opts.port, 'options.port', 1, 65535);
    const host = opts.host === undefined ? '127.0.0.1' : validateString(opts.host, 'options.host');
    address = isIP(host) ? host : (await lookup(host)).address;
    const v6 = isIP(address) === 6;
    socket = Socket.create(v6 ? 'tcp6' : 'tcp4');
    try {
      if (opts.noDelay) socket.setNoDelay(true);
      if (socket.connect({ family: v6 ? 'ipv6' : 'ipv4', address, port })) return new Connection(loop, socket, connectionOptions);
    } catch (error) {
      socket.close();
      throw error;
    }
  }
  return new Promise<Connection>((resolve, reject) => {
    // A loop closed while we wait releases the socket and rejects.
    const pending = { destroy: () => fail(new Error('the reactor was closed while connecting')) };
    trackOwned(loop, pending);
    const fail = (error: unknown) => {
      untrackOwned(loop, pending);
      timer?.cancel();
      watch.remove();
      socket.close();
      reject(error);
    };
    const watch = loop.watch(socket, EPOLLOUT, () => {
      try {
        socket.finishConnect();
      } catch (error) {
        fail(error);
        return;
      }
      untrackOwned(loop, pending);
      timer?.cancel();
      watch.remove();
      try {
        resolve(new Connection(loop, socket, connectionOptions));
      } catch (error) {
        socket.close();
        reject(error);
      }
    }, { oneshot: true, description: 'connect' });
    const timer = timeoutMs === undefined ? undefined : loop.after(timeoutMs, () => fail(new SystemError('connect', ETIMEDOUT, { address, ...(port !== undefined ? { port } : {}) })));
  });
}
