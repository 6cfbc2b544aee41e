import { EPOLLET, EPOLLONESHOT, SystemError, type FdLike } from '@reactor/fds';
import { validateFdNumber, validateFunction, validateInteger } from '@reactor/fds/internal';
import type { Dispatchable, LoopCore } from './source';

/** Called with the ready epoll bits (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP …) and the watch. */
export type IoHandler = (events: number, watch: IoWatch) => void;

/** Options of `Reactor.watch()`. */
export interface WatchOptions {
  /** Edge-triggered (EPOLLET): one event per change of state; drain until EAGAIN. */
  edge?: boolean;
  /** EPOLLONESHOT: disabled after one event until `rearm()`. */
  oneshot?: boolean;
  /** Whether this watch keeps the loop alive (default true). */
  ref?: boolean;
  /** A name for logs and errors. */
  description?: string;
}

const ENOENT = 2;
const EBADF = 9;

/**
 * An fd in the loop's epoll set with a handler. Level-triggered unless asked.
 * Each registration gets a token of its own, so an fd that is removed (or
 * closed and its number reused) in the middle of a batch never receives an
 * event meant for the old registration.
 *
 * @example
 * ```ts
 * import { EPOLLIN, EventFd } from '@reactor/fds';
 * import { Reactor } from '@reactor/reactor';
 *
 * const loop = new Reactor();
 * const efd = new EventFd();
 * const watch = loop.watch(efd, EPOLLIN, () => {
 *   console.log(`counter ${efd.read()}`); // level-triggered: read what is ready
 *   watch.remove(); // nothing is left, so run() resolves
 * });
 * efd.write(7);
 * await loop.run();
 * efd.close();
 * loop.close();
 * ```
 */
export class IoWatch implements Dispatchable {
  /** The watched fd. */
  readonly fd: number;
  /** The name given in the options, for logs and errors. */
  readonly description: string | undefined;
  #core: LoopCore;
  #handler: IoHandler;
  #token: number;
  #events: number;
  #mode: number;
  #ref: boolean;

  /** @internal use `Reactor.watch()` */
  constructor(core: LoopCore, target: FdLike, events: number, handler: IoHandler, options: WatchOptions) {
    this.#core = core;
    this.#handler = validateFunction<IoHandler>(handler, 'handler');
    // The same check as Epoll's: a null target threw "Cannot read properties of null".
    this.fd = typeof target === 'object' && target !== null ? validateFdNumber(target.fd, 'fd.fd') : validateFdNumber(target, 'fd');
    validateInteger(events, 'events', 0, 0xffffffff);
    this.#mode = (options.edge ? EPOLLET : 0) | (options.oneshot ? EPOLLONESHOT : 0);
    this.#events = events;
    this.description = options.description;
    this.#ref = options.ref !== false;
    this.#token = core.register(this.fd, (events | this.#mode) >>> 0, this);
    if (this.#ref) core.addRefs(1);
  }

  /** Whether the fd is still in the loop's epoll set. */
  get active(): boolean {
    return this.#token !== 0;
  }

  /** The interest bits (without the edge/oneshot mode bits). */
  get events(): number {
    return this.#events;
  }

  /** @internal called by the loop with the ready bits */
  dispatch(events: number): void {
    try {
      this.#handler(events, this);
    } catch (error) {
      this.#core.reportError(error, { kind: 'io', fd: this.fd, ...(this.description ? { description: this.description } : {}) });
    }
  }

  /** Change the interest; applies to the very next wait. */
  modify(events: number): void {
    validateInteger(events, 'events', 0, 0xffffffff);
    this.#ensureActive('modify');
    // The fd was closed and its number registered again by someone else: the
    // kernel has no registration of ours to change (ENOENT), and changing the
    // number's would change theirs.
    if (!this.#core.isCurrent(this.fd, this.#token)) throw new SystemError('epoll_ctl', ENOENT, { fd: this.fd });
    this.#core.epoll.modify(this.fd, (events | this.#mode) >>> 0, this.#token);
    this.#events = events;
  }

  /** Re-enable a oneshot watch after its event. */
  rearm(events: number = this.#events): void {
    this.modify(events);
  }

  /** Replace the handler. */
  setHandler(handler: IoHandler): void {
    this.#handler = validateFunction<IoHandler>(handler, 'handler');
  }

  /**
   * Remove the fd from the loop. Idempotent; an fd that was already closed
   * (the kernel dropped it from the set) is not an error.
   */
  remove(): void {
    const token = this.#token;
    if (token === 0) return;
    this.#token = 0;
    // Asked before unregister forgets it: was the number still ours in the set?
    const current = this.#core.isCurrent(this.fd, token);
    this.#core.unregister(token);
    if (this.#ref) this.#core.addRefs(-1);
    // Closed and its number reused by a newer registration: deleting the
    // number would silently drop that one (its handler never ran again).
    if (this.#core.closed || !current) return;
    try {
      this.#core.epoll.delete(this.fd);
    } catch (error) {
      if (!(error instanceof SystemError && (error.errno === -ENOENT || error.errno === -EBADF))) throw error;
    }
  }

  /** Keep the loop alive while this watch is active (the default). */
  ref(): this {
    if (!this.#ref) {
      this.#ref = true;
      if (this.#token !== 0) this.#core.addRefs(1);
    }
    return this;
  }

  /** Do not keep the loop alive for this watch. */
  unref(): this {
    if (this.#ref) {
      this.#ref = false;
      if (this.#token !== 0) this.#core.addRefs(-1);
    }
    return this;
  }

  /** Whether this watch keeps the loop alive. */
  hasRef(): boolean {
    return this.#ref;
  }

  #ensureActive(operation: string): void {
    if (this.#token === 0) throw new Error(`${operation}: the watch of fd ${this.fd} was removed`);
  }
}
