import { Buffer } from 'node:buffer';
import { IN_CLOEXEC, IN_NONBLOCK, INOTIFY_EVENT_SIZE } from './constants';
import { InvalidArgValueError } from './errors';
import { check, SystemError } from './system-error';
import { FileDescriptor } from './fd';
import { libc } from './ffi/index';
import { INT32_MAX, UINT32_MAX, validateBuffer, validateInteger, validateString } from './validate';

const EAGAIN = 11;

/** One inotify event (inotify(7)). */
export interface InotifyEvent {
  /** The watch it belongs to (-1 for IN_Q_OVERFLOW). */
  wd: number;
  /** IN_* bits: what happened, plus IN_ISDIR, IN_IGNORED … */
  mask: number;
  /** Pairs an IN_MOVED_FROM with its IN_MOVED_TO (0 otherwise). */
  cookie: number;
  /** The name inside a watched directory; undefined for events on the watched object itself. */
  name: string | undefined;
}

/**
 * Decode the inotify_event records the kernel wrote into the first `length`
 * bytes of `buffer`: {int wd; u32 mask; u32 cookie; u32 len; char name[len]},
 * the name NUL-padded. The kernel writes whole records only.
 */
export function decodeInotifyEvents(buffer: Uint8Array, length: number): InotifyEvent[] {
  const buf = validateBuffer(buffer, 'buffer');
  validateInteger(length, 'length', 0, buf.length);
  const events: InotifyEvent[] = [];
  for (let offset = 0; offset + INOTIFY_EVENT_SIZE <= length; ) {
    const nameLength = buf.readUInt32LE(offset + 12);
    const start = offset + INOTIFY_EVENT_SIZE;
    if (nameLength > length - start) break; // not a whole record: the kernel never writes one
    const nul = buf.indexOf(0, start);
    const nameEnd = nul < 0 || nul > start + nameLength ? start + nameLength : nul;
    events.push({
      wd: buf.readInt32LE(offset),
      mask: buf.readUInt32LE(offset + 4),
      cookie: buf.readUInt32LE(offset + 8),
      name: nameLength === 0 ? undefined : buf.toString('utf8', start, nameEnd),
    });
    offset = start + nameLength;
  }
  return events;
}

/**
 * An inotify instance (non-blocking, close-on-exec): watch files and
 * directories, then read their events when the fd is readable. The kernel
 * queues events per instance; `IN_Q_OVERFLOW` says some were lost.
 */
export class Inotify extends FileDescriptor {
  // Room for many events at once; one event needs at most 16 + NAME_MAX + 1 bytes.
  readonly #buffer = Buffer.alloc(64 * 1024);

  private constructor(fd: number) {
    super(fd, 'inotify');
  }

  /** inotify_init1(IN_NONBLOCK | IN_CLOEXEC). */
  static create(): Inotify {
    return new Inotify(check(libc().inotify_init1(IN_NONBLOCK | IN_CLOEXEC), 'inotify_init1'));
  }

  /**
   * Watch `path` for the events in `mask` (IN_* bits): the watch descriptor.
   * Watching a path again returns the same descriptor and replaces its mask
   * (add IN_MASK_ADD to merge instead).
   */
  add(path: string, mask: number): number {
    validateString(path, 'path');
    if (path.includes('\0')) throw new InvalidArgValueError('path must not contain NUL bytes');
    validateInteger(mask, 'mask', 1, UINT32_MAX);
    const r = libc().inotify_add_watch(this.use('inotify_add_watch'), Buffer.from(`${path}\0`, 'utf8'), mask >>> 0);
    if (r < 0) throw new SystemError('inotify_add_watch', -r, { path });
    return r;
  }

  /** Stop watching `wd` (an IN_IGNORED event for it follows). */
  remove(wd: number): void {
    validateInteger(wd, 'wd', 0, INT32_MAX);
    check(libc().inotify_rm_watch(this.use('inotify_rm_watch'), wd), 'inotify_rm_watch', { fd: this.fd });
  }

  /**
   * The events queued now, or null when there are none (EAGAIN). With a
   * `buffer`, at least 16 + 256 bytes long, the records are read into it.
   */
  read(buffer?: Uint8Array): InotifyEvent[] | null {
    const buf = buffer === undefined ? this.#buffer : validateBuffer(buffer, 'buffer');
    const r = libc().read(this.use('read'), buf, buf.length);
    if (r === -EAGAIN) return null;
    if (r < 0) throw new SystemError('read', -r, { fd: this.fd });
    return decodeInotifyEvents(buf, r);
  }
}
