/**
 * Reload the config when its file changes: an inotify watch on the file's
 * directory, read as a loop event (loop.watch on the inotify fd). The
 * directory, not the file: editors and config tools save by writing a new
 * file and renaming it over the old one, and a watch on the old inode would
 * end with it (IN_DELETE_SELF, IN_IGNORED). In the directory, a save in place
 * ends with IN_CLOSE_WRITE of the name and a rename-over with IN_MOVED_TO of
 * it; both are seen, and nothing has to be watched again. A burst of events
 * (a save is several) gives one reload, after `settleMs` of quiet.
 */
import { basename, dirname } from 'node:path';
import { EPOLLIN, IN_CLOSE_WRITE, IN_CREATE, IN_MOVED_TO, IN_Q_OVERFLOW, Inotify } from '@reactor/fds';
import type { IoWatch, Reactor, Timer } from '@reactor/reactor';
import type { Logger } from 'pino';

export class ConfigWatch {
  readonly #inotify: Inotify;
  readonly #watch: IoWatch;
  #pending: Timer | undefined;
  #closed = false;

  constructor(loop: Reactor, path: string, onChange: () => void, logger: Logger, settleMs = 50) {
    const name = basename(path);
    this.#inotify = Inotify.create();
    try {
      // IN_CREATE alone is an empty new file (a writer that has not written yet): wait for its IN_CLOSE_WRITE.
      this.#inotify.add(dirname(path), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE);
    } catch (error) {
      this.#inotify.close();
      throw error;
    }
    this.#watch = loop.watch(this.#inotify, EPOLLIN, () => {
      let changed = false;
      for (let events = this.#inotify.read(); events !== null; events = this.#inotify.read()) {
        for (const event of events) {
          if ((event.mask & IN_Q_OVERFLOW) !== 0) changed = true; // events were lost: it may have been ours
          else if (event.name === name && (event.mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) !== 0) changed = true;
        }
      }
      if (!changed) return;
      logger.debug({ path }, 'config file changed');
      this.#pending?.cancel();
      this.#pending = loop.after(settleMs, () => {
        this.#pending = undefined;
        onChange();
      });
    });
    this.#watch.unref(); // a file watch alone does not keep the daemon running
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending?.cancel();
    this.#watch.remove();
    this.#inotify.close();
  }
}
