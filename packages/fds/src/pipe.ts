import { Buffer } from 'node:buffer';
import { O_CLOEXEC, O_NONBLOCK } from './constants';
import { check, checkWouldBlock } from './system-error';
import { FileDescriptor } from './fd';
import { libc } from './ffi/index';
import { validateBuffer } from './validate';


/** One end of a pipe (non-blocking, close-on-exec). I/O returns null on EAGAIN. */
export class PipeEnd extends FileDescriptor {
  /** Bytes read; 0 at EOF; null on EAGAIN. */
  read(buffer: Uint8Array): number | null {
    const buf = validateBuffer(buffer, 'buffer');
    const r = libc().read(this.use('read'), buf, buf.length);
    return checkWouldBlock(r, 'read', { fd: this.fd });
  }

  /** Bytes written; null on EAGAIN (the pipe is full). */
  write(buffer: Uint8Array): number | null {
    const buf = validateBuffer(buffer, 'buffer');
    const r = libc().write(this.use('write'), buf, buf.length);
    return checkWouldBlock(r, 'write', { fd: this.fd });
  }
}

/** pipe2(O_NONBLOCK | O_CLOEXEC): `[readEnd, writeEnd]`. */
export function createPipe(): [PipeEnd, PipeEnd] {
  const fds = Buffer.alloc(8);
  check(libc().pipe2(fds, O_NONBLOCK | O_CLOEXEC), 'pipe2');
  return [new PipeEnd(fds.readInt32LE(0), 'pipe'), new PipeEnd(fds.readInt32LE(4), 'pipe')];
}
