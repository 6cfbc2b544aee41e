import { readSync, readvSync, writeSync, writevSync } from 'node:fs';
import type { Libc } from './types';

/**
 * The data path of the ffi-rs binding: read, write, readv, writev and
 * send(MSG_NOSIGNAL) on any fd go through Node's own synchronous fs calls,
 * which are plain read(2)/write(2)/readv(2)/writev(2) on the calling thread
 * (libuv's synchronous uv_fs_*, which also retries EINTR).
 *
 * Why: one ffi-rs call costs 4-12 us, Node's fs call ~1-2 us (measured on a
 * socketpair, 64 B write + read: ffi-rs 27 us, fs 4.2 us on a loaded
 * machine; koffi 4.1 us, so koffi keeps its own calls). A failing call
 * throws in Node; the error's negative errno is returned instead, so callers
 * see the same contract as the FFI calls. Throwing costs ~10 us, but the
 * loop only reads after EPOLLIN and writes until a short write, so EAGAIN is
 * rare on the hot path.
 *
 * send(MSG_NOSIGNAL) becomes write(2): Node sets SIGPIPE to SIG_IGN at
 * start-up, so a reset peer gives EPIPE, never a signal (tested).
 */
export type DataPath = Pick<Libc, 'read' | 'write' | 'readv' | 'writev'> & {
  sendNoSignal(fd: number, buf: Buffer, length: number): number;
};

function errnoOf(error: unknown): number {
  const errno = (error as NodeJS.ErrnoException | null)?.errno;
  if (typeof errno === 'number' && errno < 0) return errno;
  throw error;
}

export const nodeDataPath: DataPath = {
  read(fd, buf, length) {
    try {
      return readSync(fd, buf, 0, length, null);
    } catch (error) {
      return errnoOf(error);
    }
  },
  write(fd, buf, length) {
    try {
      return writeSync(fd, buf, 0, length, null);
    } catch (error) {
      return errnoOf(error);
    }
  },
  readv(fd, bufs) {
    try {
      return readvSync(fd, bufs as Buffer[]);
    } catch (error) {
      return errnoOf(error);
    }
  },
  writev(fd, bufs) {
    try {
      return writevSync(fd, bufs as Buffer[]);
    } catch (error) {
      return errnoOf(error);
    }
  },
  sendNoSignal(fd, buf, length) {
    try {
      return writeSync(fd, buf, 0, length, null);
    } catch (error) {
      return errnoOf(error);
    }
  },
};
