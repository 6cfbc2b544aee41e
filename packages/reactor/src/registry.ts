import { SystemError, type Epoll } from '@reactor/fds';
import { EBADF, ENOENT } from '@reactor/fds/internal';
import { PAUSED_EVENTS, type Source } from './source';

/**
 * Every source of a loop by token, and the loop's epoll set behind one set
 * of verbs (register / modify / deregister, as mio's). The selector is
 * private to the loop: sources never touch it.
 *
 * Each registration gets a token of its own, so an fd that is removed (or
 * closed and its number reused) in the middle of a batch never receives an
 * event meant for the old registration: the token is gone from `sources`.
 */
export class Registry {
  /** token → source; what the loop dispatches epoll events to. */
  readonly sources = new Map<number, Source>();
  /** Sources the loop made for itself (timerfds, signalfd, eventfd): disposed last. */
  readonly #internal = new Set<Source>();
  /** fd → the token of its live registration in the epoll set. */
  readonly #tokenOfFd = new Map<number, number>();
  readonly #epoll: Epoll;
  #nextToken = 1;

  constructor(epoll: Epoll) {
    this.#epoll = epoll;
  }

  get size(): number {
    return this.sources.size;
  }

  register(source: Source, fd?: number, events = 0, internal = false): void {
    const token = this.#nextToken++;
    if (fd !== undefined) {
      this.#epoll.add(fd, events, token);
      // The kernel took the number: any earlier registration of it is gone
      // with its closed file, and this one is the fd's now.
      this.#tokenOfFd.set(fd, token);
    }
    source.registration = { token, fd: fd ?? -1, events: fd === undefined ? 0 : events };
    this.sources.set(token, source);
    if (internal) this.#internal.add(source);
  }

  modify(source: Source, events: number): void {
    const fd = source.registeredFd;
    if (!this.#isCurrent(source)) throw new SystemError('epoll_ctl', ENOENT, { fd });
    // A paused source keeps its new interest for the resume.
    if (!source.rateLimited) this.#epoll.modify(fd, events, source.token);
    source.registration!.events = events;
  }

  /** Disarm the source's fd (EPOLLONESHOT, no interest) until `resume`; a stale registration is left alone. */
  pause(source: Source): void {
    if (this.#isCurrent(source)) this.#epoll.modify(source.registeredFd, PAUSED_EVENTS, source.token);
  }

  /** Re-arm the source's fd with its interest; a level-triggered fd still ready reports at once. */
  resume(source: Source): void {
    if (!this.#isCurrent(source)) return;
    try {
      this.#epoll.modify(source.registeredFd, source.registration!.events, source.token);
    } catch (error) {
      // The fd was closed while paused: the kernel dropped it with its file.
      if (!(error instanceof SystemError && (error.errno === -ENOENT || error.errno === -EBADF))) throw error;
    }
  }

  deregister(source: Source): void {
    const token = source.token;
    if (token === 0) return;
    const fd = source.registeredFd;
    // Asked before forgetting it: was the number still ours in the set?
    const current = fd >= 0 && this.#isCurrent(source);
    source.cancelPause();
    this.sources.delete(token);
    this.#internal.delete(source);
    source.registration = undefined;
    if (!current) return;
    this.#tokenOfFd.delete(fd);
    try {
      this.#epoll.delete(fd);
    } catch (error) {
      if (!(error instanceof SystemError && (error.errno === -ENOENT || error.errno === -EBADF))) throw error;
    }
  }

  /**
   * Dispose every source, as `uv_walk` + `uv_close`: the user's first (their
   * owners may still cancel timers or write from a 'close' handler), then
   * the loop's own. Sources made while this runs are disposed too.
   */
  disposeAll(onError: (error: unknown, source: Source) => void): void {
    const dispose = (source: Source): void => {
      try {
        source.dispose();
      } catch (error) {
        onError(error, source);
      }
      // A dispose that failed half-way must not keep its place (and its fd) here.
      if (source.token !== 0) this.deregister(source);
    };
    for (const source of this.sources.values()) if (!this.#internal.has(source)) dispose(source);
    for (const source of this.sources.values()) dispose(source);
  }

  /**
   * Whether the source's token is still the registration of its fd. It is
   * not once the fd was closed without being removed and its number was
   * registered again (the kernel dropped the old one with the file): an
   * epoll_ctl on the number then would change the new registration.
   */
  #isCurrent(source: Source): boolean {
    return source.token !== 0 && this.#tokenOfFd.get(source.registeredFd) === source.token;
  }
}
