import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { EPOLLOUT, SystemError, type Socket } from '@reactor/fds';
import { ETIMEDOUT, validateInteger, validateNonNegative, validateOptions, validateString } from '@reactor/fds/internal';
import { ReactorClosedError } from '../errors';
import type { IoWatch } from '../io-watch';
import type { Reactor, ReactorState } from '../reactor';
import type { Timer } from '../timers';
import { Connection, connectionOptionsFrom, type ConnectionOptions } from './connection';
import { openSocket } from './socket-setup';
import { abortError, rejectIfLoopNeverRuns, validateSignal } from '../errors';

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
  /** Aborting it before the connection is made closes the socket and rejects with an AbortError (ABORT_ERR). */
  signal?: AbortSignal;
}

/** `Reactor.connect()` to a Unix socket server. */
export interface ConnectUnixOptions extends ConnectionOptions {
  /** A filesystem path, or a name starting with '\0' for the abstract namespace. */
  path: string;
  /** Fail with ETIMEDOUT if not connected within this time. */
  timeoutMs?: number;
  /** Aborting it before the connection is made closes the socket and rejects with an AbortError (ABORT_ERR). */
  signal?: AbortSignal;
}

/** Where `Reactor.connect()` connects: TCP or Unix. */
export type ConnectOptions = ConnectTcpOptions | ConnectUnixOptions;

/**
 * Open a stream connection without blocking: connect(2) returns EINPROGRESS,
 * the loop waits for EPOLLOUT, and SO_ERROR tells the outcome. Failures
 * (ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH …) reject the promise with a
 * SystemError that names the address; a loop closed before the connection
 * is made rejects it with ERR_REACTOR_CLOSED and leaves no socket behind.
 * The loop must turn for the connection to complete: awaited while the loop
 * is not running, it rejects with ERR_REACTOR_NOT_RUNNING once nothing else
 * keeps the process alive, instead of never settling.
 */
export async function connect(loop: Reactor, options: ConnectOptions): Promise<Connection> {
  if (loop.state === 'closed') throw new ReactorClosedError('connect');
  const opts = validateOptions<ConnectTcpOptions & ConnectUnixOptions>(options);
  const timeoutMs = opts.timeoutMs === undefined ? undefined : validateNonNegative(opts.timeoutMs, 'options.timeoutMs');
  const connectionOptions: ConnectionOptions = connectionOptionsFrom(opts);
  const signal = validateSignal(opts.signal, 'options.signal');
  if (signal?.aborted) throw abortError(signal);
  let socket: Socket;
  let connected = false;
  let address: string;
  let port: number | undefined;
  if (opts.path !== undefined) {
    // A path means Unix, whatever its type: a bad one is named as options.path, not as a missing port.
    const path = validateString(opts.path, 'options.path');
    const abstract = path.startsWith('\0');
    address = path;
    socket = openSocket('unix', (s) => {
      connected = s.connect(abstract ? { family: 'unix', path: path.slice(1), abstract: true } : { family: 'unix', path });
    });
  } else {
    const tcpPort = validateInteger(opts.port, 'options.port', 1, 65535);
    port = tcpPort;
    const host = opts.host === undefined ? '127.0.0.1' : validateString(opts.host, 'options.host');
    address = isIP(host) ? host : (await lookup(host)).address;
    // The loop may have closed while the name was being resolved (TypeScript narrowed `state` before the await).
    if ((loop.state as ReactorState) === 'closed') throw new ReactorClosedError('connect');
    if (signal?.aborted) throw abortError(signal);
    const v6 = isIP(address) === 6;
    const ip = address;
    socket = openSocket(v6 ? 'tcp6' : 'tcp4', (s) => {
      if (opts.noDelay) s.setNoDelay(true);
      connected = s.connect({ family: v6 ? 'ipv6' : 'ipv4', address: ip, port: tcpPort });
    });
  }
  if (connected) return adopt(loop, socket, connectionOptions);
  return new Promise<Connection>((resolve, reject) => {
    let timer: Timer | undefined;
    let watch: IoWatch | undefined;
    let settled = false;
    const settle = (error: unknown): void => {
      if (settled) return;
      settled = true;
      unwatch();
      timer?.cancel();
      watch?.remove();
      signal?.removeEventListener('abort', onAbort);
      if (error !== undefined) {
        socket.close();
        reject(error);
        return;
      }
      try {
        resolve(adopt(loop, socket, connectionOptions));
      } catch (adoptError) {
        reject(adoptError);
      }
    };
    const onAbort = () => settle(abortError(signal!));
    const unwatch = rejectIfLoopNeverRuns(loop, 'connect', settle);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      watch = loop.watch(socket, EPOLLOUT, () => {
        try {
          socket.finishConnect();
        } catch (error) {
          settle(error);
          return;
        }
        settle(undefined);
      }, { oneshot: true, description: 'connect', onLoopClose: () => settle(new ReactorClosedError('connect')) });
      if (timeoutMs !== undefined) {
        timer = loop.after(timeoutMs, () => settle(new SystemError('connect', ETIMEDOUT, { address, ...(port !== undefined ? { port } : {}) })));
      }
    } catch (error) {
      settle(error);
    }
  });
}

/** The connected socket becomes a Connection, or is closed if that fails. */
function adopt(loop: Reactor, socket: Socket, options: ConnectionOptions): Connection {
  try {
    return new Connection(loop, socket, options);
  } catch (error) {
    socket.close();
    throw error;
  }
}
