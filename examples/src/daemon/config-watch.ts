/**
 * Reload the config when its file changes: `loop.watchPath()` on the file
 * (inotify as a loop source). Editors and config tools save by writing a new
 * file and renaming it over the old one; the path watch follows the name
 * (IN_MOVED_TO, or IN_CREATE when the file comes back after a delete), so a
 * save in place (IN_CLOSE_WRITE) and a rename-over are both seen. A burst of
 * events (a save is several) gives one reload, after `settleMs` of quiet.
 */
import { IN_CLOSE_WRITE, IN_CREATE, IN_MOVED_TO, IN_Q_OVERFLOW } from '@reactor/fds';
import type { PathWatch, Reactor, Timer } from '@reactor/reactor';
import type { Logger } from 'pino';

/** What says the file at the path has new contents: written and closed, replaced, created again, or events lost. */
const CHANGED = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_Q_OVERFLOW;

export class ConfigWatch {
  readonly #watch: PathWatch;
  #pending: Timer | undefined;
  #closed = false;

  constructor(loop: Reactor, path: string, onChange: () => void, logger: Logger, settleMs = 50) {
    this.#watch = loop.watchPath(path, IN_CLOSE_WRITE, (event) => {
      if ((event.mask & CHANGED) === 0) return;
      logger.debug({ path, mask: event.mask }, 'config file changed');
      this.#pending?.cancel();
      this.#pending = loop.after(settleMs, () => {
        this.#pending = undefined;
        onChange();
      });
    }, { description: 'config file' });
    this.#watch.unref(); // a file watch alone does not keep the daemon running
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending?.cancel();
    this.#watch.close();
  }
}
