import { Buffer } from 'node:buffer';
import { duplicateFd, FileDescriptor, InvalidArgTypeError, OutOfRangeError, ReactorError, receiveWithFds, sendWithFds, type FdToSend, type Socket, type SocketAddress } from '@reactor/fds';
import { describeValue, validateBuffer, validateInteger } from '@reactor/fds/internal';

/**
 * fd passing (SCM_RIGHTS) on a Unix stream connection: the mechanics the
 * Connection delegates to. A chunk queued with fds holds the connection's
 * own duplicates of them (the caller may close its fds at once); the chunk
 * goes out alone in one sendmsg, never merged into a writev with others,
 * since the kernel attaches the fds to the whole message; the duplicates
 * are closed once the kernel took the first bytes (the fds travel with
 * them) or when the connection is destroyed first.
 */

/** The largest fd count a message may carry (SCM_MAX_FD). */
const SCM_MAX_FD = 253;

/** Queued chunks that carry fds, and the duplicates they hold. */
const chunkFds = new WeakMap<Buffer, FileDescriptor[]>();
/** Chunks with fds queued on any connection: while 0, the write path looks no further. */
let queuedFdChunks = 0;

/** @internal the Unix check: fds cross Unix sockets only */
export function requireUnix(address: SocketAddress | undefined, operation: string): void {
  if (address?.family !== 'unix') throw new ReactorError('ERR_REACTOR_FDS_NEED_UNIX', `${operation}: fds can be passed on Unix sockets only; this connection is ${address?.family ?? 'of unknown family'}`);
}

/** @internal a fresh chunk of `data` holding duplicates of `fds`, for the write queue */
export function chunkWithFds(data: Uint8Array | string, fds: readonly FdToSend[]): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : validateBuffer(data, 'data');
  // The fds travel with the first byte: a message without one cannot carry them.
  if (bytes.length === 0) throw new OutOfRangeError('data must hold at least one byte to carry the fds');
  if (!Array.isArray(fds)) throw new InvalidArgTypeError(`fds must be an array; got ${describeValue(fds)}`);
  validateInteger(fds.length, 'fds.length', 1, SCM_MAX_FD);
  const duplicates: FileDescriptor[] = [];
  try {
    for (const fd of fds) duplicates.push(duplicateFd(fd));
  } catch (error) {
    for (const d of duplicates) d.close();
    throw error;
  }
  // A copy: the WeakMap keys on identity, and the caller's Buffer may be queued again.
  const chunk = Buffer.from(bytes);
  chunkFds.set(chunk, duplicates);
  queuedFdChunks++;
  return chunk;
}

/**
 * @internal How many chunks from the head of the queue may go in one write:
 * up to the first that carries fds; 0 when the head itself carries fds.
 */
export function plainRun(queue: readonly Buffer[], max: number): number {
  const limit = Math.min(queue.length, max);
  if (queuedFdChunks === 0) return limit;
  for (let i = 0; i < limit; i++) if (chunkFds.has(queue[i]!)) return i;
  return limit;
}

/** @internal sendmsg of the head chunk with its fds: the bytes taken (the rest goes without fds), or null on EAGAIN */
export function sendChunkWithFds(socket: Socket, chunk: Buffer): number | null {
  const fds = chunkFds.get(chunk)!;
  const n = sendWithFds(socket.fd, chunk, fds);
  if (n === null) return null;
  release(chunk, fds);
  return n;
}

/** @internal close the duplicates held by queued chunks that will never be sent (the connection is destroyed) */
export function releaseQueuedFds(queue: readonly Buffer[]): void {
  if (queuedFdChunks === 0) return;
  for (const chunk of queue) {
    const fds = chunkFds.get(chunk);
    if (fds !== undefined) release(chunk, fds);
  }
}

function release(chunk: Buffer, fds: FileDescriptor[]): void {
  chunkFds.delete(chunk);
  queuedFdChunks--;
  for (const fd of fds) fd.close();
}

/** @internal `maxFds` of `receiveFds()`, checked */
export function validateMaxFds(maxFds: unknown): number {
  return validateInteger(maxFds, 'maxFds', 1, SCM_MAX_FD);
}

/**
 * @internal recvmsg into `buffer` with room for `maxFds` fds: the bytes
 * (0 at EOF), or null on EAGAIN; the fds that came go to `onFds` (the
 * receiver owns them). More fds than `maxFds` in one message: the ones that
 * came are closed and FdsTruncatedError (ERR_REACTOR_FDS_TRUNCATED) is thrown.
 */
export function receiveChunk(socket: Socket, buffer: Buffer, maxFds: number, onFds: (fds: FileDescriptor[]) => void): number | null {
  const received = receiveWithFds(socket.fd, buffer, maxFds);
  if (received === null) return null;
  if (received.fds.length > 0) onFds(received.fds);
  return received.bytes;
}
