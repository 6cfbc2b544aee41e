import { basename, dirname } from 'node:path';
import {
  EPOLLIN, IN_CREATE, IN_DELETE_SELF, IN_IGNORED, IN_MOVE_SELF, IN_MOVED_TO, IN_Q_OVERFLOW, Inotify, SystemError, type InotifyEvent,
} from '@reactor/fds';
import { ENOENT, UINT32_MAX, validateBoolean, validateFunction, validateInteger, validateString } from '@reactor/fds/internal';
import { Source, validatePriority, validateRateLimit, type LoopCore, type SourceOptions } from './source';

/** One change seen at a watched path. */
export interface PathEvent {
  /**
   * IN_* bits (inotify(7)). IN_CREATE or IN_MOVED_TO with no `name`: a new
   * file appeared at the path (saved by rename, or written again after a
   * delete) and is watched from now on.
   */
  mask: number;
  /** For a watched directory: the name inside it the event is about. */
  name: string | undefined;
  /** Pairs an IN_MOVED_FROM with its IN_MOVED_TO inside a watched directory (0 otherwise). */
  cookie: number;
  /** The watched path. */
  path: string;
}

/** Called with each event and the watch. */
export type PathHandler = (event: PathEvent, watch: PathWatch) => void;

/** Options of `Reactor.watchPath()`. */
export interface PathWatchOptions extends SourceOptions {
  /** Whether the watch keeps the loop alive (default true). */
  ref?: boolean;
  /** A name for logs and errors. */
  description?: string;
}

/** What the path itself must report so that a replaced or deleted file is noticed. */
const SELF_EVENTS = IN_DELETE_SELF | IN_MOVE_SELF;
/** What the parent directory reports when a file appears under the watched name. */
const APPEAR_EVENTS = IN_CREATE | IN_MOVED_TO;

/**
 * A file or directory watched with inotify as a loop source
 * (sd_event_add_inotify(3)), with one inotify instance of its own.
 *
 * Editors save by writing a new file and renaming it over the old one, or
 * by deleting and writing again: the inode inotify watched is then gone
 * (IN_DELETE_SELF, IN_MOVE_SELF, IN_IGNORED). The watch also watches the
 * parent directory for the name, and when a file appears there again it
 * watches the new one and reports IN_CREATE or IN_MOVED_TO without a name.
 * The self events of the old file are reported too; IN_Q_OVERFLOW (events
 * lost in the kernel's queue) is reported with the path and no name.
 *
 * @example
 * ```ts
 * import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { IN_CLOSE_WRITE, IN_MOVED_TO } from '@reactor/fds';
 * import { Reactor } from '@reactor/reactor';
 *
 * const dir = mkdtempSync(join(tmpdir(), 'conf-'));
 * const file = join(dir, 'app.conf');
 * writeFileSync(file, 'v=1');
 * const loop = new Reactor();
 * const watch = loop.watchPath(file, IN_CLOSE_WRITE, (event) => {
 *   if (event.mask & IN_MOVED_TO) {
 *     console.log('replaced by a save (rename over it)'); // the new file is watched from now on
 *     watch.close(); // nothing else keeps the loop running
 *   }
 * });
 * writeFileSync(join(dir, 'app.conf.tmp'), 'v=2'); // an editor's save: a new file, renamed over the old
 * renameSync(join(dir, 'app.conf.tmp'), file);
 * await loop.run();
 * loop.close();
 * ```
 */
export class PathWatch extends Source {
  /** The watched path. */
  readonly path: string;
  /** The IN_* bits asked for. */
  readonly events: number;
  readonly #inotify: Inotify;
  readonly #handler: PathHandler;
  readonly #name: string;
  /** The watch descriptor of the file now at the path, or -1 while there is none. */
  #wd = -1;
  /** The parent directory's watch descriptor, or -1 when it could not be watched. */
  #dirWd = -1;

  /** @internal use `Reactor.watchPath()` */
  constructor(core: LoopCore, path: string, events: number, handler: PathHandler, options: PathWatchOptions) {
    validateString(path, 'path');
    validateInteger(events, 'events', 1, UINT32_MAX);
    validateFunction(handler, 'handler');
    if (options.ref !== undefined) validateBoolean(options.ref, 'options.ref');
    const priority = options.priority === undefined ? 0 : validatePriority(options.priority, 'options.priority');
    const rateLimit = validateRateLimit(options.rateLimit, 'options.rateLimit');
    super(core, 'path', options.description ?? path, options.ref !== false);
    this.path = path;
    this.events = events >>> 0;
    this.#handler = handler;
    this.#name = basename(path);
    const inotify = Inotify.create();
    try {
      this.#wd = inotify.add(path, (this.events | SELF_EVENTS) >>> 0);
      try {
        this.#dirWd = inotify.add(dirname(path), APPEAR_EVENTS);
      } catch {
        // An unreadable parent: the file is watched, only its replacement goes unseen.
        this.#dirWd = -1;
      }
      core.register(this, inotify.fd, EPOLLIN);
    } catch (error) {
      inotify.close();
      throw error;
    }
    this.#inotify = inotify;
    if (priority !== 0) this.setPriority(priority);
    if (rateLimit !== undefined) this.setRateLimit(rateLimit);
    this.setActive(true);
  }

  /** Whether a file is watched at the path now (false between a delete and the file's return). */
  get watching(): boolean {
    return this.#wd >= 0;
  }

  protected override get rateLimitable(): boolean {
    return true;
  }

  /** @internal the inotify fd is readable: read and report every queued event */
  override dispatch(): void {
    for (;;) {
      const events = this.#inotify.read();
      if (events === null) return;
      for (const event of events) {
        this.#handle(event);
        if (!this.active) return;
      }
    }
  }

  #handle(event: InotifyEvent): void {
    if (event.wd === this.#dirWd && this.#dirWd >= 0) {
      if (event.name !== this.#name || (event.mask & APPEAR_EVENTS) === 0) return;
      // A file appeared under the name: watch it (one already watched again gives its own wd back: nothing new).
      const before = this.#wd;
      if (!this.#rewatch() || this.#wd === before) return;
      this.#emit({ mask: event.mask & APPEAR_EVENTS, name: undefined, cookie: 0, path: this.path });
      return;
    }
    if (event.mask & IN_Q_OVERFLOW) {
      this.#emit({ mask: event.mask, name: undefined, cookie: 0, path: this.path });
      return;
    }
    if (event.wd !== this.#wd) return; // the file that was replaced: its last events
    const wanted = event.mask & (this.events | SELF_EVENTS | IN_IGNORED);
    if (wanted !== 0) this.#emit({ mask: event.mask, name: event.name, cookie: event.cookie, path: this.path });
    if (!this.active) return;
    if (event.mask & IN_IGNORED) this.#wd = -1;
    else if (event.mask & IN_MOVE_SELF) {
      // The file now lives under another name: what is at the path is another file (or none).
      const old = this.#wd;
      this.#wd = -1;
      try {
        this.#inotify.remove(old);
      } catch {
        // Already gone from the kernel's side.
      }
    }
    if (this.#wd < 0 && this.#rewatch()) this.#emit({ mask: IN_CREATE, name: undefined, cookie: 0, path: this.path });
  }

  /** Watch whatever file is at the path now; false when there is none. */
  #rewatch(): boolean {
    try {
      this.#wd = this.#inotify.add(this.path, (this.events | SELF_EVENTS) >>> 0);
      return true;
    } catch (error) {
      if (error instanceof SystemError && error.errno === -ENOENT) return false;
      throw error;
    }
  }

  #emit(event: PathEvent): void {
    try {
      this.#handler(event, this);
    } catch (error) {
      this.core.reportError(error, this.context());
    }
  }

  /** Stop watching and close the inotify fd. Idempotent. */
  close(): void {
    if (!this.active) return;
    this.setActive(false);
    this.core.deregister(this);
    this.#inotify.close();
  }

  /** `close()`; also what `Reactor.close()` does. */
  dispose(): void {
    this.close();
  }

  /** `close()` (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }
}
