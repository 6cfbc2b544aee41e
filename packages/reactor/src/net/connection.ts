import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
// Node's global `performance` is an accessor that runs a getter on every use.
import { performance } from 'node:perf_hooks';
import { ReactorError, Socket, SystemError, type FdToSend, type FileDescriptor, type SocketAddress } from '@reactor/fds';
import { ETIMEDOUT, validateBoolean, validateFunction, validateInteger, validateNonNegative } from '@reactor/fds/internal';
import type { IoWatch } from '../io-watch';
import type { Reactor } from '../reactor';
import type { Timer } from '../timers';
import { iterateChunks } from './chunk-iterator';
import { chunkWithFds, plainRun, receiveChunk, releaseQueuedFds, requireUnix, sendChunkWithFds, validateMaxFds } from './fd-passing';
import { EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, validateBuffer } from './hot-imports';

/** Per-connection settings, given to `listen()` or `connect()`. */
export interface ConnectionOptions {
  /** Bytes queued for writing past which `write()` returns false (default 64 KiB). */
  highWaterMark?: number;
  /** Close the connection after this many ms without reads or writes (default: never). */
  idleTimeoutMs?: number;
  /**
   * Zero-copy reads for hot paths: each 'data' chunk is then a view into the
   * loop's shared read buffer, valid only until the handler returns (the
   * next read overwrites it). Default false: every chunk is a Buffer of its
   * own, as in Node.
   */
  loanChunks?: boolean;
}

/** Peer credentials of a Unix socket (SO_PEERCRED). */
export interface PeerCredentials {
  /** The peer's process id when it connected. */
  pid: number;
  /** Its user id. */
  uid: number;
  /** Its group id. */
  gid: number;
}

/** The events of a Connection, with their arguments. */
export interface ConnectionEvents {
  /**
   * Bytes arrived. The Buffer is the handler's to keep, unless the
   * connection was made with `loanChunks: true`: then it is a view into the
   * loop's read buffer, valid only until the handler returns.
   */
  data: [chunk: Buffer];
  /** The peer shut down its writing half (EOF). */
  end: [];
  /** After `end()`: every queued byte went to the kernel and our writing half is shut down (FIN sent). */
  finish: [];
  /** The write queue went below the high-water mark after `write()` returned false. */
  drain: [];
  /** The idle timeout passed; the connection is being destroyed with ETIMEDOUT. */
  timeout: [];
  /**
   * The connection failed (reset, timeout …); 'close' follows. Emitted only
   * when someone listens: without a listener the error is kept in
   * `connection.errored` and nothing throws.
   */
  error: [error: Error];
  /** The fd is closed (always, exactly once); `hadError` tells whether an error caused it (see `errored`). */
  close: [hadError: boolean];
  /**
   * fds arrived (after `receiveFds()`, on a Unix socket), just before the
   * 'data' of the bytes they came with. They are the handler's: close each
   * (without a listener they are closed at once).
   */
  fds: [fds: FileDescriptor[]];
}

/**
 * The connection options out of a listen() or connect() options object,
 * checked now, so a bad value fails the call that passed it and not the
 * first connection much later.
 */
export function connectionOptionsFrom(options: ConnectionOptions): ConnectionOptions {
  const picked: ConnectionOptions = {};
  if (options.highWaterMark !== undefined) picked.highWaterMark = validateInteger(options.highWaterMark, 'options.highWaterMark', 0, 2 ** 31);
  if (options.idleTimeoutMs !== undefined) picked.idleTimeoutMs = validateNonNegative(options.idleTimeoutMs, 'options.idleTimeoutMs');
  if (options.loanChunks !== undefined) picked.loanChunks = validateBoolean(options.loanChunks, 'options.loanChunks');
  return picked;
}

/** Bytes a writev may carry from the queue at once. */
const MAX_WRITEV_BUFFERS = 512;

/**
 * A stream connection (TCP or Unix) on a reactor. `write()` queues; the
 * writes of the connection's own handler go out together in one writev when
 * it returns, other writes of a loop turn after the batch; past the high-water mark `write()`
 * returns false and 'drain' follows. `end()` half-closes once the queue is
 * flushed; `close()` flushes then closes; `destroy(err)` closes at once.
 *
 * @example
 * ```ts
 * import { Reactor } from '@reactor/reactor';
 *
 * const loop = new Reactor();
 * const server = loop.listen({ host: '127.0.0.1', port: 0 }, (conn) => {
 *   conn.on('data', (chunk) => conn.write(chunk)); // echo; false past the high-water mark, then 'drain'
 *   conn.on('end', () => conn.end());
 * });
 * const running = loop.run(); // the loop must turn for the connect to complete
 * const address = server.address();
 * const client = await loop.connect({ host: '127.0.0.1', port: 'port' in address ? address.port : 0 });
 * client.on('data', (chunk) => console.log(chunk.toString())); // the chunk is yours to keep
 * client.on('close', () => server.close());
 * client.end('ping');
 * await running;
 * loop.close();
 * ```
 */
export class Connection extends EventEmitter<ConnectionEvents> {
  /** The loop the connection is registered with. */
  readonly loop: Reactor;
  /** The connected fd. */
  readonly socket: Socket;
  /** Queued bytes past which `write()` returns false. */
  readonly highWaterMark: number;
  /** Whether 'data' chunks are loans of the loop's read buffer (`loanChunks: true`) rather than owned Buffers. */
  readonly loansChunks: boolean;
  /** The peer's address as a string (IP; undefined for a Unix socket), read at accept/connect and kept after close, as in Node. */
  readonly remoteAddress: string | undefined;
  /** The peer's port (undefined for a Unix socket). */
  readonly remotePort: number | undefined;
  /** 'IPv4' or 'IPv6' (undefined for a Unix socket). */
  readonly remoteFamily: 'IPv4' | 'IPv6' | undefined;
  /** This end's IP address (undefined for a Unix socket), kept after close. */
  readonly localAddress: string | undefined;
  /** This end's port (undefined for a Unix socket). */
  readonly localPort: number | undefined;
  /** The peer's full address (IP, or a Unix path) as read at accept/connect. */
  readonly remoteSocketAddress: SocketAddress | undefined;
  /** This end's full address as read at accept/connect. */
  readonly localSocketAddress: SocketAddress | undefined;
  #errored: Error | null = null;
  readonly #watch: IoWatch;
  readonly #readBuffer: Buffer;
  #queue: Buffer[] = [];
  #queuedBytes = 0;
  #flushScheduled = false;
  /** Inside this connection's own event handler: its writes are flushed when the handler returns. */
  #dispatching = false;
  #needDrain = false;
  #reading = true;
  #wantWrite = false;
  #ending = false;
  #closing = false;
  #writeShut = false;
  #readEnded = false;
  #destroyed = false;
  #idleMs = 0;
  #idleTimer: Timer | undefined;
  /** fds a read may take (receiveFds); 0: plain reads, and fds sent to us are dropped by the kernel. */
  #maxFds = 0;
  /** When a read or write last happened, kept only while an idle timeout is set (setIdleTimeout stamps its start). */
  #lastActivity = 0;
  /** Bytes received so far. */
  bytesRead = 0;
  /** Bytes the kernel took so far. */
  bytesWritten = 0;

  /** Made by listeners and `connect()`, which register the socket with the loop. */
  constructor(loop: Reactor, socket: Socket, options: ConnectionOptions = {}) {
    super();
    this.loop = loop;
    this.socket = socket;
    this.highWaterMark = options.highWaterMark === undefined ? 64 * 1024 : validateInteger(options.highWaterMark, 'options.highWaterMark', 0, 2 ** 31);
    this.loansChunks = options.loanChunks === undefined ? false : validateBoolean(options.loanChunks, 'options.loanChunks');
    this.#readBuffer = loop.readBuffer();
    // Read once now, as Node does: after close the fd can no longer say.
    this.remoteSocketAddress = addressOf(() => socket.remoteAddress());
    this.localSocketAddress = addressOf(() => socket.localAddress());
    const remote = this.remoteSocketAddress;
    const local = this.localSocketAddress;
    const remoteIp = remote !== undefined && remote.family !== 'unix' ? remote : undefined;
    const localIp = local !== undefined && local.family !== 'unix' ? local : undefined;
    this.remoteAddress = remoteIp?.address;
    this.remotePort = remoteIp?.port;
    this.remoteFamily = remoteIp === undefined ? undefined : remoteIp.family === 'ipv4' ? 'IPv4' : 'IPv6';
    this.localAddress = localIp?.address;
    this.localPort = localIp?.port;
    // A loop closed with the connection open destroys it (its fd goes with the loop).
    this.#watch = loop.watch(socket, EPOLLIN | EPOLLRDHUP, (events) => this.#onEvents(events), {
      description: 'connection',
      onLoopClose: () => this.destroy(),
    });
    if (options.idleTimeoutMs !== undefined) this.setIdleTimeout(options.idleTimeoutMs);
  }

  /** Bytes queued and not yet accepted by the kernel. */
  get writableLength(): number {
    return this.#queuedBytes;
  }

  /**
   * Whether `write()` is still allowed: false once `end()`, `close()` or
   * `destroy()` was called (a write then throws ERR_STREAM_WRITE_AFTER_END).
   */
  get writable(): boolean {
    return !this.#destroyed && !this.#ending && !this.#closing;
  }

  /** Whether the connection is closed (or being torn down). */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** The error that destroyed the connection, or null (Node's `socket.errored`). */
  get errored(): Error | null {
    return this.#errored;
  }

  /** SO_PEERCRED of a Unix socket: the peer's pid, uid and gid when it connected. */
  peerCredentials(): PeerCredentials {
    return this.socket.peerCredentials();
  }

  /** TCP_NODELAY: send small writes at once. */
  setNoDelay(enable = true): this {
    this.socket.setNoDelay(enable);
    return this;
  }

  /** SO_KEEPALIVE probes, after `idleSeconds` of idleness when given. */
  setKeepAlive(enable = true, idleSeconds?: number): this {
    this.socket.setKeepAlive(enable, idleSeconds);
    return this;
  }

  /**
   * Destroy the connection with ETIMEDOUT (after a 'timeout' event) when it
   * sees no read or write for `ms`; 0 turns it off. One timer per connection,
   * moved only when it fires, not on every byte.
   */
  setIdleTimeout(ms: number): this {
    validateNonNegative(ms, 'ms');
    this.#idleMs = ms;
    this.#lastActivity = performance.now();
    this.#idleTimer?.cancel();
    this.#idleTimer = undefined;
    if (ms > 0 && !this.#destroyed) this.#idleTimer = this.loop.after(ms, () => this.#onIdleTimer(), { ref: false });
    return this;
  }

  #onIdleTimer(): void {
    const idleFor = performance.now() - this.#lastActivity;
    if (idleFor >= this.#idleMs) {
      this.#idleTimer = undefined;
      this.emit('timeout');
      this.destroy(new SystemError('read', ETIMEDOUT, { fd: this.socket.fd }));
    } else {
      this.#idleTimer = this.loop.after(this.#idleMs - idleFor, () => this.#onIdleTimer(), { ref: false });
    }
  }

  /** Stop reading (the kernel buffers, then the peer's sends block): back-pressure. */
  pause(): this {
    if (this.#reading) {
      this.#reading = false;
      this.#updateInterest();
    }
    return this;
  }

  /** Read again after `pause()`. */
  resume(): this {
    if (!this.#reading && !this.#readEnded) {
      this.#reading = true;
      this.#updateInterest();
    }
    return this;
  }

  /** Whether reading is paused. */
  get isPaused(): boolean {
    return !this.#reading;
  }

  /**
   * Queue `data` (strings as UTF-8) to be sent in one writev with the other
   * writes of the moment: when this connection's own event handler returns
   * (a reply leaves before the next connection is read), or, for a write
   * made elsewhere (a timer, another connection), after the current batch.
   * Buffers are queued by reference, as Node's streams do: do not change a
   * Buffer after writing it (a 'data' chunk may be written back as it is:
   * it is copied). Returns false once the queue passes the high-water mark.
   */
  write(data: Uint8Array | string): boolean {
    if (this.#destroyed || this.#ending || this.#closing) {
      throw new ReactorError('ERR_STREAM_WRITE_AFTER_END', this.#destroyed ? 'write after the connection was destroyed' : 'write after end');
    }
    // validateBuffer names `data` in the error (Buffer.from would speak of its "first argument").
    let chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : validateBuffer(data, 'data');
    if (chunk.length === 0) return this.#queuedBytes < this.highWaterMark;
    // A view of the loop's read buffer (echoing a 'data' chunk, relaying a
    // datagram) would be overwritten by the next read before the flush: copy that one.
    if (chunk.buffer === this.#readBuffer.buffer) chunk = Buffer.from(chunk);
    this.#queue.push(chunk);
    this.#queuedBytes += chunk.length;
    this.#scheduleFlush();
    const ok = this.#queuedBytes < this.highWaterMark;
    if (!ok) this.#needDrain = true;
    return ok;
  }

  /**
   * Queue `data` with `fds` attached (SCM_RIGHTS, Unix sockets only): the
   * peer receives the fds with these bytes (see `receiveFds()`). The
   * connection sends duplicates of the fds, so the caller may close its own
   * at once; the fds are open files, not numbers (a listening socket, a UDP
   * socket, a connection, a file). Returns what `write()` returns.
   */
  sendFds(data: Uint8Array | string, fds: readonly FdToSend[]): boolean {
    if (this.#destroyed || this.#ending || this.#closing) {
      throw new ReactorError('ERR_STREAM_WRITE_AFTER_END', this.#destroyed ? 'write after the connection was destroyed' : 'write after end');
    }
    requireUnix(this.localSocketAddress, 'sendFds');
    return this.write(chunkWithFds(data, fds));
  }

  /**
   * Take fds that arrive with the bytes (recvmsg with MSG_CMSG_CLOEXEC, room
   * for `maxFds` per message, default 16): each batch is emitted as 'fds'
   * before the 'data' it came with. A message with more fds than that has
   * the ones that came closed and destroys the connection with
   * ERR_REACTOR_FDS_TRUNCATED. Unix sockets only.
   */
  receiveFds(maxFds = 16): this {
    requireUnix(this.localSocketAddress, 'receiveFds');
    this.#maxFds = validateMaxFds(maxFds);
    return this;
  }

  /** Send what is queued, then shut down the writing half (FIN). Reading goes on. */
  end(data?: Uint8Array | string): this {
    if (data !== undefined) this.write(data);
    if (this.#ending || this.#destroyed) return this;
    this.#ending = true;
    this.#scheduleFlush();
    return this;
  }

  /** Send what is queued, then close the fd ('close' follows). */
  close(): void {
    if (this.#destroyed || this.#closing) return;
    this.#closing = true;
    this.#scheduleFlush();
  }

  /**
   * Close the fd now; 'error' (if given) and 'close' follow. As with
   * net.Socket, whose writes try the kernel at once, bytes still queued are
   * offered to the kernel once (one non-blocking write) before the close,
   * so a reply written just before `destroy()` goes out if the socket buffer
   * has room; the rest is dropped. After a failure (`error`) nothing is written.
   */
  destroy(error?: Error): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    // One last non-blocking write of what is queued (as net.Socket's immediate
    // writes would have sent it): node:http's 408 before destroy() depends on it.
    // Chunks carrying fds are not part of it; their duplicates are closed.
    const plain = error === undefined ? plainRun(this.#queue, MAX_WRITEV_BUFFERS) : 0;
    if (plain > 0) {
      try {
        const n = this.#writeHead(plain);
        if (n !== null) this.bytesWritten += n;
      } catch {
        // The peer is gone: nothing more to save.
      }
    }
    releaseQueuedFds(this.#queue);
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#idleTimer?.cancel();
    this.#watch.remove();
    this.socket.close();
    if (error !== undefined) this.#errored = error;
    try {
      // Without a listener, EventEmitter would throw the error out of the
      // loop's handler before 'close': keep it in `errored` instead.
      if (error !== undefined && this.listenerCount('error') > 0) this.emit('error', error);
    } finally {
      this.emit('close', error !== undefined);
    }
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // Written from this connection's own handler: flushed when it returns.
    if (this.#dispatching) return;
    // Otherwise after the current batch: every write of this turn goes out in one writev.
    this.loop.defer(this.#flushIfScheduled);
  }

  /**
   * The scheduled flush, when its handler returns or after the batch (a
   * deferred one finds nothing to do if the handler's already ran). Made
   * once per connection, not once per flush.
   */
  readonly #flushIfScheduled = (): void => {
    if (!this.#flushScheduled) return;
    this.#flushScheduled = false;
    this.#flush();
  };

  /** One write(2)/writev(2) of the first `count` queued chunks (none carrying fds): bytes sent, or null on EAGAIN. */
  #writeHead(count: number): number | null {
    const queue = this.#queue;
    return count === 1 ? this.socket.write(queue[0]!) : this.socket.writev(count === queue.length ? queue : queue.slice(0, count));
  }

  #flush(): void {
    if (this.#destroyed) return;
    const queue = this.#queue;
    const socket = this.socket;
    while (queue.length > 0) {
      // A chunk with fds goes alone (fd-passing.ts); the chunks before it go first.
      const run = plainRun(queue, MAX_WRITEV_BUFFERS);
      const offered = Math.max(run, 1);
      let n: number | null;
      try {
        n = run === 0 ? sendChunkWithFds(socket, queue[0]!) : this.#writeHead(run);
      } catch (error) {
        this.destroy(error as Error);
        return;
      }
      if (n === null) break; // EAGAIN: wait for EPOLLOUT
      this.bytesWritten += n;
      this.#queuedBytes -= n;
      if (this.#idleMs > 0) this.#lastActivity = performance.now();
      // Drop what was sent; keep the unsent tail of a partly sent buffer.
      let i = 0;
      while (i < queue.length && n >= queue[i]!.length) n -= queue[i++]!.length;
      if (i > 0) queue.splice(0, i);
      if (n > 0) queue[0] = queue[0]!.subarray(n);
      if (i < offered && queue.length > 0) break; // short write: the socket buffer is full
    }
    const pending = queue.length > 0;
    if (pending !== this.#wantWrite) {
      this.#wantWrite = pending;
      this.#updateInterest();
    }
    if (pending) return;
    if (this.#needDrain) {
      this.#needDrain = false;
      this.emit('drain');
      // The handler may have written, ended, closed or destroyed: writes
      // scheduled a flush of their own, which finishes the end or close
      // after the new bytes; shutting down now would drop them.
      if (this.#destroyed || this.#queue.length > 0) return;
    }
    if (this.#closing) {
      this.destroy();
      return;
    }
    if (this.#ending && !this.#writeShut) {
      this.#writeShut = true;
      try {
        socket.shutdown('write');
      } catch {
        // ENOTCONN: the peer is gone; reading will tell.
      }
      this.emit('finish');
      if (this.#readEnded) this.destroy();
    }
  }

  #updateInterest(): void {
    if (this.#destroyed) return;
    const events = (this.#reading && !this.#readEnded ? EPOLLIN | EPOLLRDHUP : 0) | (this.#wantWrite ? EPOLLOUT : 0);
    this.#watch.modify(events);
  }

  #onEvents(events: number): void {
    if (this.#destroyed) return;
    if ((events & EPOLLOUT) !== 0) this.#flush();
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) !== 0 && this.#reading && !this.#readEnded) {
      this.#dispatching = true;
      try {
        this.#read();
      } finally {
        this.#dispatching = false;
        // The reply goes out now, before the next connection's read, as
        // net.Socket's writes do: the peer (on another core) works on it
        // while this turn goes on, instead of waiting for the whole batch.
        // Also when the handler threw: its writes were queued with no
        // deferred flush behind them.
        this.#flushIfScheduled();
      }
    } else if ((events & (EPOLLERR | EPOLLHUP)) !== 0 && !this.#destroyed) {
      // Not reading, but the socket failed: surface it.
      const code = this.socket.getError();
      if (code !== 0) this.destroy(new SystemError('read', code, { fd: this.socket.fd }));
      else if ((events & EPOLLHUP) !== 0) this.destroy();
    }
  }

  #read(): void {
    const buf = this.#readBuffer;
    // One read per event, and another only if it filled the buffer: level
    // triggering reports the rest next turn, and each extra read that would
    // only say EAGAIN costs a whole FFI call.
    for (let rounds = 0; rounds < 4 && !this.#destroyed && this.#reading; rounds++) {
      let n: number | null;
      try {
        n = this.#maxFds === 0 ? this.socket.read(buf) : receiveChunk(this.socket, buf, this.#maxFds, (fds) => this.#emitFds(fds));
      } catch (error) {
        this.destroy(error as Error);
        return;
      }
      if (n === null) return;
      if (n === 0) {
        this.#readEnded = true;
        this.#updateInterest();
        this.emit('end');
        if (this.#writeShut || (this.#queue.length === 0 && this.#ending)) this.destroy();
        else if (!this.#ending && !this.#destroyed && this.listenerCount('end') === 0) this.end();
        return;
      }
      this.bytesRead += n;
      if (this.#idleMs > 0) this.#lastActivity = performance.now();
      this.emit('data', this.loansChunks ? buf.subarray(0, n) : Buffer.from(buf.subarray(0, n)));
      if (n < buf.length) return;
    }
  }

  #emitFds(fds: FileDescriptor[]): void {
    if (this.listenerCount('fds') === 0) {
      for (const fd of fds) fd.close();
      return;
    }
    this.emit('fds', fds);
  }

  /**
   * The received chunks, owned (copied even with `loanChunks`), until the
   * peer ends; the connection pauses while chunks wait unread, and a failure
   * is thrown. Breaking out of the loop destroys the connection, as Node does.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    return iterateChunks(this);
  }

  /** Destroy the connection (for `using`). */
  [Symbol.dispose](): void {
    this.destroy();
  }

  /** Run `handler` for every chunk (shorthand for `on('data')`). */
  onData(handler: (chunk: Buffer) => void): this {
    validateFunction(handler, 'handler');
    return this.on('data', handler);
  }
}


function addressOf(read: () => SocketAddress): SocketAddress | undefined {
  try {
    return read();
  } catch {
    return undefined; // ENOTCONN: the peer already left
  }
}
