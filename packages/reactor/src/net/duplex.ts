import { Duplex } from 'node:stream';
import { InvalidArgTypeError, ReactorError } from '@reactor/fds';
import { describeValue } from '@reactor/fds/internal';
import { Connection } from './connection';

/**
 * A Node `stream.Duplex` over a Connection, for `pipeline()` and stream
 * libraries. Reading follows the stream's demand (the connection pauses when
 * the readable buffer is full); each chunk is copied out of the loop's shared
 * read buffer, because streams keep chunks.
 */
export function toDuplex(connection: Connection): Duplex {
  if (!(connection instanceof Connection)) throw new InvalidArgTypeError(`connection must be a Connection; got ${describeValue(connection)}`);
  let pendingWriteCallback: ((error?: Error | null) => void) | undefined;
  const duplex = new Duplex({
    read() {
      connection.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (connection.destroyed) return callback(destroyedError());
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
      if (!connection.destroyed) connection.destroy();
      callback(error);
    },
  });
  connection.on('data', (chunk) => {
    if (!duplex.push(Buffer.from(chunk))) connection.pause();
  });
  connection.on('end', () => duplex.push(null));
  connection.on('drain', () => {
    const callback = pendingWriteCallback;
    pendingWriteCallback = undefined;
    callback?.();
  });
  connection.on('error', (error) => duplex.destroy(error));
  connection.on('close', () => {
    const callback = pendingWriteCallback;
    pendingWriteCallback = undefined;
    callback?.(new ReactorError('ERR_STREAM_PREMATURE_CLOSE', 'connection closed'));
    if (!duplex.destroyed && duplex.readableEnded) duplex.destroy();
  });
  return duplex;
}

/** Node's code for a write to a destroyed stream. */
function destroyedError(): Error {
  return new ReactorError('ERR_STREAM_DESTROYED', 'connection destroyed');
}
