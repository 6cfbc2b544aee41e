import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { Duplex } from 'node:stream';
import { InvalidArgTypeError, ReactorError } from '@reactor/fds';
import { describeValue, validateNonNegative } from '@reactor/fds/internal';
import type { Timer } from '../timers';
import { Connection } from './connection';

/**
 * What the Duplex of `toDuplex()` carries beside the stream: the socket
 * methods and addresses `node:http` and `node:tls` look for.
 */
export interface DuplexSocketMembers {
  /** The connection underneath. */
  readonly connection: Connection;
  /** The peer's IP address (undefined for a Unix socket). */
  readonly remoteAddress: string | undefined;
  /** The peer's port. */
  readonly remotePort: number | undefined;
  /** 'IPv4' or 'IPv6'. */
  readonly remoteFamily: 'IPv4' | 'IPv6' | undefined;
  /** This end's IP address. */
  readonly localAddress: string | undefined;
  /** This end's port. */
  readonly localPort: number | undefined;
  /** Bytes the kernel took so far (`node:http` answers a timed-out request with 408 only on a socket that has sent nothing). */
  readonly bytesWritten: number;
  /** Bytes received so far. */
  readonly bytesRead: number;
  /**
   * As `net.Socket#setTimeout`: emit 'timeout' after `ms` without reads or
   * writes (the stream is not destroyed; `node:http` does that); 0 turns it off.
   */
  setTimeout(ms: number, callback?: () => void): ConnectionDuplex;
  /** TCP_NODELAY on the connection. */
  setNoDelay(enable?: boolean): ConnectionDuplex;
  /** SO_KEEPALIVE on the connection; `initialDelay` in ms, as in Node. */
  setKeepAlive(enable?: boolean, initialDelay?: number): ConnectionDuplex;
}

/** The Duplex of `toDuplex()`: a Node stream with the socket members. */
export type ConnectionDuplex = Duplex & DuplexSocketMembers;

/**
 * A Node `stream.Duplex` over a Connection, for `pipeline()`, stream
 * libraries, `node:http` (`server.emit('connection', duplex)`) and
 * `node:tls` (`new TLSSocket(duplex, …)`). Reading follows the stream's
 * demand (the connection pauses when the readable buffer is full). The
 * stream ends and closes with its connection: a close without error ends
 * the readable side ('end', then 'close'); a failure destroys it with the error.
 */
export function toDuplex(connection: Connection): ConnectionDuplex {
  if (!(connection instanceof Connection)) throw new InvalidArgTypeError(`connection must be a Connection; got ${describeValue(connection)}`);
  let pendingWriteCallback: ((error?: Error | null) => void) | undefined;
  let timeoutMs = 0;
  let timer: Timer | undefined;
  let lastActivity = performance.now();
  // Only while a timeout is set: setTimeout() stamps the start, and a clock read per chunk costs.
  const touch = () => {
    if (timeoutMs > 0) lastActivity = performance.now();
  };
  const armTimer = (ms: number) => {
    timer?.cancel();
    timer = ms > 0 && !connection.destroyed ? connection.loop.after(ms, onTimer, { ref: false }) : undefined;
  };
  const onTimer = () => {
    timer = undefined;
    const idle = performance.now() - lastActivity;
    if (idle < timeoutMs) return armTimer(timeoutMs - idle);
    // As net.Socket: 'timeout' does not destroy, and fires again only after new activity or a new setTimeout.
    duplex.emit('timeout');
  };
  const duplex = new Duplex({
    read() {
      connection.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (connection.destroyed) return callback(destroyedError());
      touch();
      if (connection.write(chunk)) callback();
      else pendingWriteCallback = callback;
    },
    final(callback) {
      // Finished only when the queue is in the kernel and the FIN is out:
      // calling back sooner lets pipeline() destroy the connection (and
      // drop the queue) before the last bytes are sent.
      if (connection.destroyed) return callback(destroyedError());
      const onFinish = () => {
        connection.off('close', onClose);
        callback();
      };
      const onClose = () => {
        connection.off('finish', onFinish);
        callback(new ReactorError('ERR_STREAM_PREMATURE_CLOSE', 'connection closed before its queue was sent'));
      };
      connection.once('finish', onFinish);
      connection.once('close', onClose);
      connection.end();
    },
    destroy(error, callback) {
      timer?.cancel();
      timer = undefined;
      if (!connection.destroyed) connection.destroy();
      callback(error);
    },
  }) as ConnectionDuplex;
  Object.defineProperties(duplex, {
    connection: { value: connection, enumerable: true },
    remoteAddress: { value: connection.remoteAddress, enumerable: true },
    remotePort: { value: connection.remotePort, enumerable: true },
    remoteFamily: { value: connection.remoteFamily, enumerable: true },
    localAddress: { value: connection.localAddress, enumerable: true },
    localPort: { value: connection.localPort, enumerable: true },
    bytesWritten: { get: () => connection.bytesWritten, enumerable: true },
    bytesRead: { get: () => connection.bytesRead, enumerable: true },
  });
  duplex.setTimeout = function setTimeout(ms: number, callback?: () => void) {
    validateNonNegative(ms, 'ms');
    timeoutMs = ms;
    touch();
    armTimer(ms);
    if (callback !== undefined) {
      if (ms === 0) duplex.off('timeout', callback);
      else duplex.once('timeout', callback);
    }
    return duplex;
  };
  duplex.setNoDelay = function setNoDelay(enable = true) {
    if (!connection.destroyed && isTcp(connection)) connection.setNoDelay(enable);
    return duplex;
  };
  duplex.setKeepAlive = function setKeepAlive(enable = false, initialDelay?: number) {
    if (!connection.destroyed && isTcp(connection)) {
      connection.setKeepAlive(enable, initialDelay !== undefined && initialDelay > 0 ? Math.max(1, Math.floor(initialDelay / 1000)) : undefined);
    }
    return duplex;
  };
  connection.on('data', (chunk) => {
    touch();
    // A loaned chunk is overwritten by the next read; streams keep chunks.
    if (!duplex.push(connection.loansChunks ? Buffer.from(chunk) : chunk)) connection.pause();
  });
  connection.on('end', () => {
    touch();
    duplex.push(null);
  });
  connection.on('drain', () => {
    touch();
    const callback = pendingWriteCallback;
    pendingWriteCallback = undefined;
    callback?.();
  });
  connection.on('error', (error) => duplex.destroy(error));
  connection.on('close', () => {
    timer?.cancel();
    timer = undefined;
    const callback = pendingWriteCallback;
    pendingWriteCallback = undefined;
    callback?.(new ReactorError('ERR_STREAM_PREMATURE_CLOSE', 'connection closed'));
    if (duplex.destroyed) return;
    if (connection.errored !== null) return duplex.destroy(connection.errored);
    // Closed cleanly (both FINs, destroy(), loop.close()): the readable side
    // ends, then the stream closes, so pipeline() and 'close' listeners hear of it.
    if (!duplex.readableEnded) {
      duplex.once('end', () => duplex.destroy());
      duplex.push(null);
      // Nobody reads: nothing will emit 'end'; close anyway once this turn's events ran.
      if (duplex.readableLength === 0 && !duplex.readableFlowing) setImmediate(() => duplex.destroyed || duplex.destroy());
    } else duplex.destroy();
  });
  return duplex;
}

function isTcp(connection: Connection): boolean {
  return connection.remoteFamily !== undefined;
}

/** Node's code for a write to a destroyed stream. */
function destroyedError(): Error {
  return new ReactorError('ERR_STREAM_DESTROYED', 'connection destroyed');
}
