/**
 * The daemon's HTTP/1.1 server on the reactor's Listener and Connection:
 * keep-alive, pipelining, an idle timeout, and a graceful drain. A request
 * is "in flight" from its first byte until its response is queued: a drain
 * lets those finish (answered with `Connection: close`), closes idle
 * keep-alive connections at once and closes whatever is left when its time
 * runs out.
 */
import type { FileDescriptor, Socket, SocketAddress } from '@reactor/fds';
import type { Connection, Listener, Reactor } from '@reactor/reactor';
import type { Logger } from 'pino';
import { HttpError, parseRequest, type RequestHead } from '../http-parser';

export interface HttpResponse {
  status: number;
  contentType: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

export type RequestHandler = (request: RequestHead) => HttpResponse;

export interface HttpServerOptions {
  host: string;
  port: number;
  /**
   * Serve on these listening sockets (from socket activation or from the
   * instance this one replaces) instead of binding host:port. Owned by the
   * server from here on.
   */
  fds?: readonly (number | FileDescriptor)[];
  idleTimeoutMs: number;
}

export interface HttpCounters {
  connectionsOpen: number;
  connectionsTotal: number;
  requests: number;
  errors: number;
}

export interface DrainResult {
  /** Connections that finished by themselves within the time (idle ones closed at once included). */
  closed: number;
  /** Connections destroyed when the time ran out. */
  forced: number;
}

const REASONS: Record<number, string> = {
  200: 'OK', 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 413: 'Payload Too Large',
  431: 'Request Header Fields Too Large', 501: 'Not Implemented', 503: 'Service Unavailable',
};

function encode(response: HttpResponse, keepAlive: boolean, withBody: boolean): Buffer {
  const body = typeof response.body === 'string' ? Buffer.from(response.body) : response.body;
  let head = `HTTP/1.1 ${response.status} ${REASONS[response.status] ?? 'Status'}\r\nContent-Type: ${response.contentType}\r\nContent-Length: ${body.length}\r\n`;
  for (const [name, value] of Object.entries(response.headers ?? {})) head += `${name}: ${value}\r\n`;
  if (!keepAlive) head += 'Connection: close\r\n';
  const headBytes = Buffer.from(`${head}\r\n`, 'latin1');
  return withBody ? Buffer.concat([headBytes, body]) : headBytes;
}

interface ConnectionState {
  /** Bytes of a request not complete yet (copied out of the loop's read buffer). */
  partial: Buffer | undefined;
}

export class HttpServer {
  readonly #loop: Reactor;
  readonly #listeners: Listener[];
  readonly #handler: RequestHandler;
  readonly #logger: Logger;
  readonly #connections = new Map<Connection, ConnectionState>();
  readonly #counters: HttpCounters = { connectionsOpen: 0, connectionsTotal: 0, requests: 0, errors: 0 };
  #idleTimeoutMs: number;
  #draining = false;
  #drained: (() => void) | undefined;

  constructor(loop: Reactor, options: HttpServerOptions, handler: RequestHandler, logger: Logger) {
    this.#loop = loop;
    this.#handler = handler;
    this.#logger = logger;
    this.#idleTimeoutMs = options.idleTimeoutMs;
    const accept = (conn: Connection) => this.#accept(conn);
    if (options.fds !== undefined && options.fds.length > 0) {
      const listeners: Listener[] = [];
      try {
        for (const fd of options.fds) listeners.push(loop.listen({ fd }, accept));
      } catch (error) {
        for (const listener of listeners) listener.close();
        throw error;
      }
      this.#listeners = listeners;
    } else {
      this.#listeners = [loop.listen({ host: options.host, port: options.port, backlog: 511 }, accept)];
    }
  }

  /** The first listener's TCP port (0 for a Unix socket). */
  get port(): number {
    const address = this.#listeners[0]!.address();
    return 'port' in address ? address.port : 0;
  }

  /** Where the server listens. */
  addresses(): SocketAddress[] {
    return this.#listeners.map((listener) => listener.address());
  }

  /** The listening sockets, to hand to the instance that takes over (each stays owned by its listener). */
  listeningSockets(): Socket[] {
    return this.#listeners.map((listener) => listener.socket);
  }

  counters(): HttpCounters {
    return { ...this.#counters, connectionsOpen: this.#connections.size };
  }

  /** Applies to open connections and to new ones. */
  setIdleTimeout(ms: number): void {
    this.#idleTimeoutMs = ms;
    for (const conn of this.#connections.keys()) conn.setIdleTimeout(ms);
  }

  /**
   * Stop accepting; close idle connections after `idleGraceMs` (0: now), let
   * requests in flight get their response (then close), destroy what is left
   * after `timeoutMs`. Every response sent while draining says
   * `Connection: close`. The grace is for a hand-over to another process: a
   * keep-alive client may have a request on the way that this process has not
   * read yet; closing under it is an error for that client, while answering
   * it with `Connection: close` makes the client reconnect, to the new process.
   */
  async drain(timeoutMs: number, idleGraceMs = 0): Promise<DrainResult> {
    this.#draining = true;
    for (const listener of this.#listeners) listener.close();
    const before = this.#connections.size;
    const closeIdle = () => {
      for (const [conn, state] of this.#connections) if (state.partial === undefined) conn.close();
    };
    const grace = idleGraceMs > 0 && this.#connections.size > 0 ? this.#loop.after(idleGraceMs, closeIdle) : undefined;
    if (grace === undefined) closeIdle();
    let forced = 0;
    if (this.#connections.size > 0) {
      await new Promise<void>((resolve) => {
        const deadline = this.#loop.after(timeoutMs, () => {
          forced = this.#connections.size;
          for (const conn of [...this.#connections.keys()]) conn.destroy();
        });
        this.#drained = () => {
          deadline.cancel();
          grace?.cancel();
          resolve();
        };
      });
    }
    return { closed: before - forced, forced };
  }

  /**
   * Close the keep-alive connections with no request under way (memory
   * pressure: each holds buffers and kernel socket memory); the number closed.
   * A client whose next request was on its way gets a reset, as with the idle
   * timeout.
   */
  closeIdle(): number {
    let closed = 0;
    for (const [conn, state] of this.#connections) {
      if (state.partial !== undefined) continue;
      conn.close();
      closed++;
    }
    return closed;
  }

  /** Destroy every connection now (a second SIGTERM). */
  destroyAll(): void {
    for (const listener of this.#listeners) listener.close();
    for (const conn of [...this.#connections.keys()]) conn.destroy();
  }

  #accept(conn: Connection): void {
    if (this.#draining) {
      conn.destroy();
      return;
    }
    const state: ConnectionState = { partial: undefined };
    this.#connections.set(conn, state);
    this.#counters.connectionsTotal++;
    conn.setNoDelay(true);
    if (this.#idleTimeoutMs > 0) conn.setIdleTimeout(this.#idleTimeoutMs);
    conn.on('error', (error) => this.#logger.debug({ err: error }, 'connection error'));
    conn.on('close', () => {
      this.#connections.delete(conn);
      if (this.#draining && this.#connections.size === 0) this.#drained?.();
    });
    conn.on('data', (chunk) => this.#onData(conn, state, chunk));
  }

  #onData(conn: Connection, state: ConnectionState, chunk: Buffer): void {
    // `chunk` is a view of the loop's read buffer, valid only now.
    let buf = state.partial === undefined ? chunk : Buffer.concat([state.partial, chunk]);
    state.partial = undefined;
    for (;;) {
      let request: RequestHead | null;
      try {
        request = parseRequest(buf);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        this.#counters.errors++;
        conn.write(encode({ status: error.status, contentType: 'text/plain', body: `${error.message}\n` }, false, true));
        conn.close();
        return;
      }
      if (request === null) break;
      this.#counters.requests++;
      const keepAlive = request.keepAlive && !this.#draining;
      let response: HttpResponse;
      try {
        response = this.#handler(request);
      } catch (error) {
        this.#counters.errors++;
        this.#logger.error({ err: error, target: request.target }, 'request handler threw');
        response = { status: 503, contentType: 'text/plain', body: 'internal error\n' };
      }
      conn.write(encode(response, keepAlive, request.method !== 'HEAD'));
      if (!keepAlive) {
        // The client asked to close, or we are draining: no more requests on this one.
        conn.close();
        return;
      }
      buf = buf.subarray(request.length);
      if (buf.length === 0) break;
    }
    if (buf.length > 0) state.partial = Buffer.from(buf);
  }
}
