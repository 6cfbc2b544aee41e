import { EventEmitter } from 'node:events';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { EPOLLIN, Socket, SystemError, type FileDescriptor, type SocketAddress } from '@reactor/fds';
import { EADDRINUSE, ECONNABORTED, ECONNREFUSED, EINTR, EMFILE, ENFILE, ENOBUFS, ENOMEM, ENOSPC, EPROTO } from '@reactor/fds/internal';
import { validateFunction, validateInteger, validateOptions, validateIpAddress } from '@reactor/fds/internal';
import type { IoWatch } from '../io-watch';
import type { Reactor } from '../reactor';
import type { Timer } from '../timers';
import { rejectIfLoopNeverRuns, validateSignal } from '../errors';
import { adoptable } from './adopt-option';
import { Connection, connectionOptionsFrom, type ConnectionOptions } from './connection';
import { openSocket } from './socket-setup';

/** `Reactor.listen()` on a TCP port. */
export interface ListenTcpOptions extends ConnectionOptions {
  /** An IP address (default '127.0.0.1'; '::' or '0.0.0.0' for all). */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** listen(2) backlog: connections queued before accept (default 511). */
  backlog?: number;
  /** SO_REUSEPORT: several listeners (one per thread) share the port. */
  reusePort?: boolean;
  /** IPV6_V6ONLY for '::' (default false: dual stack). */
  ipv6Only?: boolean;
  /** Connections accepted per loop turn at most (fairness; default 64). */
  maxAcceptsPerTurn?: number;
  /** Aborting it closes the listener, as `net.Server#listen({ signal })` (open connections stay). */
  signal?: AbortSignal;
}

/** `Reactor.listen()` on a Unix socket. */
export interface ListenUnixOptions extends ConnectionOptions {
  /** A filesystem path, or a name starting with '\0' for the abstract namespace. */
  path: string;
  /** File mode of the socket file (e.g. 0o600); default: as the umask leaves it. */
  mode?: number;
  /** listen(2) backlog: connections queued before accept (default 511). */
  backlog?: number;
  /** Connections accepted per loop turn at most (fairness; default 64). */
  maxAcceptsPerTurn?: number;
  /** Aborting it closes the listener, as `net.Server#listen({ signal })` (open connections stay). */
  signal?: AbortSignal;
}

/**
 * `Reactor.listen()` on a listening socket made elsewhere (socket activation,
 * fd passing): TCP or Unix stream, already bound and listening. The listener
 * owns it from then on (made non-blocking and close-on-exec; closed with the
 * listener; a Unix socket's file is left in place).
 */
export interface ListenFdOptions extends ConnectionOptions {
  /** The fd number, or an owned fd (a Socket, a received FileDescriptor) whose ownership passes to the listener. */
  fd: number | FileDescriptor;
  /** Connections accepted per loop turn at most (fairness; default 64). */
  maxAcceptsPerTurn?: number;
  /** Aborting it closes the listener, as `net.Server#listen({ signal })` (open connections stay). */
  signal?: AbortSignal;
}

/** Where `Reactor.listen()` listens: TCP, Unix, or a listening socket it is given. */
export type ListenOptions = ListenTcpOptions | ListenUnixOptions | ListenFdOptions;

/** The events of a Listener. */
export interface ListenerEvents {
  /** A connection was accepted. */
  connection: [connection: Connection];
  /** accept(2) failed for lack of fds (EMFILE/ENFILE): accepting pauses and retries. */
  accepterror: [error: SystemError];
  /** The listener is closed. */
  close: [];
}

/** accept(2) failures that concern one connection only: take the next. */
const RETRYABLE_ACCEPT = new Set([ECONNABORTED, EPROTO, EINTR]);
/** accept(2) or registration failures for lack of resources: pause and retry later. */
const OUT_OF_RESOURCES = new Set([EMFILE, ENFILE, ENOBUFS, ENOMEM]);
/** Making the Connection can also hit epoll's max_user_watches limit (ENOSPC). */
const OUT_OF_RESOURCES_REGISTERING = new Set([EMFILE, ENFILE, ENOMEM, ENOSPC]);

/**
 * A listening socket on a reactor. Accepts at most `maxAcceptsPerTurn`
 * connections per turn, so a flood of connects cannot starve the other fds.
 * When accept fails for lack of fds (EMFILE, ENFILE) or memory, accepting
 * pauses — the listening fd leaves the interest set, so the loop does not
 * spin on it — and resumes after a back-off (10 ms, doubling up to 1 s),
 * so the server keeps serving its open connections and recovers by itself.
 *
 * @example
 * ```ts
 * import { rmSync } from 'node:fs';
 * import { connect } from 'node:net';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { Reactor } from '@reactor/reactor';
 *
 * const loop = new Reactor();
 * const path = join(tmpdir(), `listener-example-${process.pid}.sock`);
 * const server = loop.listen({ path }, (conn) => conn.end('hello over a Unix socket\n'));
 * const client = connect(path).setEncoding('utf8');
 * client.on('data', (text) => process.stdout.write(text));
 * client.on('close', () => server.close());
 * await loop.run();
 * loop.close();
 * rmSync(path, { force: true });
 * ```
 */
export class Listener extends EventEmitter<ListenerEvents> {
  /** The loop the listener is registered with. */
  readonly loop: Reactor;
  /** The listening fd. */
  readonly socket: Socket;
  readonly #watch: IoWatch;
  readonly #connectionOptions: ConnectionOptions;
  readonly #maxAccepts: number;
  readonly #unixPath: string | undefined;
  #backoffMs = 0;
  #retry: Timer | undefined;
  #closed = false;
  /** The connections accepted and not yet closed, for `close(callback)` and `closeAndWait()`. */
  readonly #open = new Set<Connection>();
  readonly #whenEmpty: Array<() => void> = [];
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.close();
  /** Connections accepted so far. */
  accepted = 0;

  constructor(loop: Reactor, options: ListenOptions, onConnection?: (connection: Connection) => void) {
    super();
    const opts = validateOptions<ListenTcpOptions & ListenUnixOptions & ListenFdOptions>(options);
    this.loop = loop;
    this.#maxAccepts = opts.maxAcceptsPerTurn === undefined ? 64 : validateInteger(opts.maxAcceptsPerTurn, 'options.maxAcceptsPerTurn', 1, 65536);
    const backlog = opts.backlog === undefined ? 511 : validateInteger(opts.backlog, 'options.backlog', 0, 65535);
    // Every argument is checked before the socket exists: a bad one must not leave a bound port behind.
    if (onConnection !== undefined) validateFunction(onConnection, 'onConnection');
    const signal = validateSignal(opts.signal, 'options.signal');
    this.#connectionOptions = connectionOptionsFrom(opts);
    let socket: Socket;
    if (opts.fd !== undefined) {
      // Checked before it is owned: ERR_REACTOR_SOCKET_KIND leaves the fd with the caller.
      socket = Socket.adopt(adoptable(opts.fd), { kinds: ['tcp4', 'tcp6', 'unix'], listening: true, name: 'options.fd' });
    } else if (typeof opts.path === 'string') {
      const path = opts.path;
      const abstract = path.startsWith('\0');
      if (opts.mode !== undefined) validateInteger(opts.mode, 'options.mode', 0, 0o7777);
      if (!abstract) removeStaleSocket(path);
      socket = openSocket('unix', (s) => {
        s.bind(abstract ? { family: 'unix', path: path.slice(1), abstract: true } : { family: 'unix', path });
        if (!abstract && opts.mode !== undefined) chmodSync(path, opts.mode);
        s.listen(backlog);
      });
      this.#unixPath = abstract ? undefined : path;
    } else {
      const port = validateInteger(opts.port, 'options.port', 0, 65535);
      const host = opts.host === undefined ? '127.0.0.1' : validateIpAddress(opts.host, 'options.host');
      const v6 = host.includes(':');
      socket = openSocket(v6 ? 'tcp6' : 'tcp4', (s) => {
        s.setReuseAddress(true);
        if (opts.reusePort) s.setReusePort(true);
        if (v6 && opts.ipv6Only !== undefined) s.setIpv6Only(opts.ipv6Only);
        s.bind({ family: v6 ? 'ipv6' : 'ipv4', address: host, port });
        s.listen(backlog);
      });
    }
    this.socket = socket;
    try {
      // A loop closed with the listener open closes it (its fd goes with the loop).
      this.#watch = loop.watch(socket, EPOLLIN, () => this.#accept(), { description: 'listener', onLoopClose: () => this.close() });
    } catch (error) {
      this.#removeSocket();
      throw error;
    }
    if (onConnection !== undefined) this.on('connection', onConnection);
    this.#signal = signal;
    // As net.Server: an aborted signal closes the listener on the next tick (the caller gets it listening first).
    if (signal?.aborted) process.nextTick(this.#onAbort);
    else signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** How many connections this listener accepted are still open. */
  get connections(): number {
    return this.#open.size;
  }

  /** The bound address (with the port the kernel picked for port 0). */
  address(): SocketAddress {
    return this.socket.localAddress();
  }

  /** Whether `close()` has run. */
  get closed(): boolean {
    return this.#closed;
  }

  #accept(): void {
    for (let i = 0; i < this.#maxAccepts && !this.#closed; i++) {
      let client: Socket | null;
      try {
        client = this.socket.accept();
      } catch (error) {
        if (error instanceof SystemError && RETRYABLE_ACCEPT.has(-error.errno)) continue;
        if (error instanceof SystemError && OUT_OF_RESOURCES.has(-error.errno)) {
          this.#pause(error);
          return;
        }
        throw error;
      }
      if (client === null) break;
      this.#backoffMs = 0;
      this.accepted++;
      let connection: Connection;
      try {
        connection = new Connection(this.loop, client, this.#connectionOptions);
      } catch (error) {
        client.close();
        if (error instanceof SystemError && OUT_OF_RESOURCES_REGISTERING.has(-error.errno)) {
          this.#pause(error);
          return;
        }
        throw error;
      }
      this.#open.add(connection);
      connection.once('close', () => this.#forget(connection));
      this.emit('connection', connection);
    }
  }

  #forget(connection: Connection): void {
    this.#open.delete(connection);
    if (this.#open.size > 0 || !this.#closed) return;
    for (const callback of this.#whenEmpty.splice(0)) callback();
  }

  #pause(error: SystemError): void {
    this.#backoffMs = Math.min(1000, this.#backoffMs === 0 ? 10 : this.#backoffMs * 2);
    this.#watch.modify(0);
    this.loop.logger.warn({ fd: this.socket.fd, code: error.code, retryMs: this.#backoffMs }, 'accept paused: out of resources');
    this.emit('accepterror', error);
    this.#retry = this.loop.after(this.#backoffMs, () => {
      this.#retry = undefined;
      if (!this.#closed) this.#watch.modify(EPOLLIN);
    });
  }

  /** `close()` (for `using`): stops accepting, does not wait for the connections. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** `closeAndWait()` (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.closeAndWait();
  }

  /**
   * Stop accepting and close the listening socket now; open connections
   * stay. `callback` runs once every connection this listener accepted has
   * closed (at once if none is open), as with `net.Server#close(callback)`.
   */
  close(callback?: () => void): void {
    if (callback !== undefined) {
      validateFunction(callback, 'callback');
      this.#whenEmpty.push(callback);
    }
    if (!this.#closed) this.#closeSocket();
    if (this.#open.size === 0) for (const waiting of this.#whenEmpty.splice(0)) waiting();
  }

  /**
   * `close()`, then a promise that resolves when every connection this
   * listener accepted has closed (end them yourself, or let their peers).
   * A loop closed meanwhile destroys them, so it resolves then too; awaited
   * while the loop is not running it rejects with ERR_REACTOR_NOT_RUNNING
   * once nothing else keeps the process alive.
   */
  closeAndWait(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#open.size === 0) {
        this.close();
        resolve();
        return;
      }
      const unwatch = rejectIfLoopNeverRuns(this.loop, 'closeAndWait', (error) => {
        const at = this.#whenEmpty.indexOf(done);
        if (at >= 0) this.#whenEmpty.splice(at, 1);
        reject(error);
      });
      const done = () => {
        unwatch();
        resolve();
      };
      this.close(done);
    });
  }

  #closeSocket(): void {
    this.#closed = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#retry?.cancel();
    this.#watch.remove();
    this.#removeSocket();
    this.emit('close');
  }

  #removeSocket(): void {
    this.socket.close();
    if (this.#unixPath !== undefined) {
      try {
        unlinkSync(this.#unixPath);
      } catch {
        // already gone
      }
    }
  }

  /** The same as `close()`: a listener has nothing to flush. */
  destroy(): void {
    this.close();
  }

  /** Keep the loop alive while listening (the default). */
  ref(): this {
    this.#watch.ref();
    return this;
  }

  /** Do not keep the loop alive for this listener. */
  unref(): this {
    this.#watch.unref();
    return this;
  }
}

/**
 * A socket file left by a process that died is removed; anything else at
 * the path (a regular file, a live server's socket) is refused: binding
 * would fail with EADDRINUSE, and deleting a file we do not own is worse.
 */
function removeStaleSocket(path: string): void {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return;
  }
  if (!stat.isSocket()) throw new SystemError('bind', EADDRINUSE, { path });
  const probe = Socket.create('unix');
  try {
    probe.connect({ family: 'unix', path });
    // Someone accepts there: a live server.
    throw new SystemError('bind', EADDRINUSE, { path });
  } catch (error) {
    if (error instanceof SystemError && error.errno === -ECONNREFUSED) unlinkSync(path);
    else throw error;
  } finally {
    probe.close();
  }
}
