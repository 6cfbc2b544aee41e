import { Buffer } from 'node:buffer';
import type { Connection } from './connection';

/** Chunks waiting unread past which the connection pauses (back-pressure). */
const PAUSE_AT = 16;

/**
 * Async iteration of a connection's chunks. Each chunk is owned (a loan is
 * copied, since the consumer runs after the read buffer was reused); reading
 * pauses while chunks pile up; 'end' or 'close' finish the iteration, an
 * error is thrown from it; returning early destroys the connection.
 */
export function iterateChunks(connection: Connection): AsyncIterableIterator<Buffer> {
  const chunks: Buffer[] = [];
  let done = false;
  let failure: Error | null = null;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onData = (chunk: Buffer) => {
    chunks.push(connection.loansChunks ? Buffer.from(chunk) : chunk);
    if (chunks.length >= PAUSE_AT) connection.pause();
    notify();
  };
  const onEnd = () => {
    done = true;
    notify();
  };
  const onPeerEnd = () => {
    // The connection ends its side by itself when nobody else listens for
    // 'end' (Node's allowHalfOpen: false); this listener must not change that.
    if (connection.listenerCount('end') === 1 && connection.writable) connection.end();
    onEnd();
  };
  const onError = (error: Error) => {
    failure = error;
    done = true;
    notify();
  };
  const detach = () => {
    connection.off('data', onData);
    connection.off('end', onPeerEnd);
    connection.off('close', onEnd);
    connection.off('error', onError);
  };
  connection.on('data', onData);
  connection.on('end', onPeerEnd);
  connection.on('close', onEnd);
  connection.on('error', onError);
  if (connection.destroyed) done = true;
  const iterator: AsyncIterableIterator<Buffer> = {
    async next(): Promise<IteratorResult<Buffer>> {
      for (;;) {
        const chunk = chunks.shift();
        if (chunk !== undefined) {
          if (chunks.length < PAUSE_AT && connection.isPaused && !connection.destroyed) connection.resume();
          return { value: chunk, done: false };
        }
        if (failure !== null) {
          const error = failure;
          failure = null;
          detach();
          throw error;
        }
        if (done) {
          detach();
          return { value: undefined, done: true };
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    async return(): Promise<IteratorResult<Buffer>> {
      detach();
      chunks.length = 0;
      done = true;
      connection.destroy();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
