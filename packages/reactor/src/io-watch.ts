import { EPOLLET, EPOLLONESHOT, InvalidStateError, type FdLike } from '@reactor/fds';
import { validateFdNumber, validateFunction, validateInteger } from '@reactor/fds/internal';
import { Source, validatePriority, validateRateLimit, type LoopCore, type SourceOptions } from './source';

/** Called with the ready epoll bits (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP …) and the watch. */
export type IoHandler = (events: number, watch: IoWatch) => void;

/** Options of `Reactor.watch()`. */
export interface WatchOptions extends SourceOptions {
  /** Edge-triggered (EPOLLET): one event per change of state; drain until EAGAIN. */
  edge?: boolean;
  /** EPOLLONESHOT: disabled after one event until `rearm()`. */
  oneshot?: boolean;
  /** Whether this watch keeps the loop alive (default true). */
  ref?: boolean;
  /** A name for logs and errors. */
  description?: string;
  /**
   * Called once when `Reactor.close()` disposes the watch (not on
   * `remove()`): the owner of the fd releases it there, so a loop closed
   * with the watch live leaves no fd behind. Errors it throws are logged.
   */
  onLoopClose?: () => void;
}

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
export class IoWatch extends Source {
  /** The watched fd. */
  readonly fd: number;
  #handler: IoHandler;
  #events: number;
  readonly #mode: number;
  readonly #onLoopClose: (() => void) | undefined;

  /** @internal use `Reactor.watch()` */
  constructor(core: LoopCore, target: FdLike, events: number, handler: IoHandler, options: WatchOptions) {
    super(core, 'io', options.description, options.ref !== false);
    this.#handler = validateFunction<IoHandler>(handler, 'handler');
    this.fd = typeof target === 'object' && target !== null ? validateFdNumber(target.fd, 'fd.fd') : validateFdNumber(target, 'fd');
    validateInteger(events, 'events', 0, 0xffffffff);
    if (options.onLoopClose !== undefined) validateFunction(options.onLoopClose, 'options.onLoopClose');
    this.#mode = (options.edge ? EPOLLET : 0) | (options.oneshot ? EPOLLONESHOT : 0);
    this.#events = events;
    this.#onLoopClose = options.onLoopClose;
    const priority = options.priority === undefined ? 0 : validatePriority(options.priority, 'options.priority');
    const rateLimit = validateRateLimit(options.rateLimit, 'options.rateLimit');
    core.register(this, this.fd, (events | this.#mode) >>> 0);
    if (priority !== 0) this.setPriority(priority);
    if (rateLimit !== undefined) this.setRateLimit(rateLimit);
    this.setActive(true);
  }

  protected override get rateLimitable(): boolean {
    return true;
  }

  /** The interest bits (without the edge/oneshot mode bits). */
  get events(): number {
    return this.#events;
  }

  /** @internal called by the loop with the ready bits */
  override dispatch(events: number): void {
    try {
      this.#handler(events, this);
    } catch (error) {
      this.core.reportError(error, this.context());
    }
  }

  /** Change the interest; applies to the very next wait. */
  modify(events: number): void {
    validateInteger(events, 'events', 0, 0xffffffff);
    if (!this.active) throw new InvalidStateError(`modify: the watch of fd ${this.fd} was removed`);
    this.core.modify(this, (events | this.#mode) >>> 0);
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

  /** `remove()` (for `using`). */
  [Symbol.dispose](): void {
    this.remove();
  }

  /**
   * Remove the fd from the loop. Idempotent; an fd that was already closed
   * (the kernel dropped it from the set) is not an error.
   */
  remove(): void {
    if (!this.active) return;
    this.setActive(false);
    this.core.deregister(this);
  }

  /** Remove the watch, then let the fd's owner release it (`onLoopClose`); `Reactor.close()` calls it. Idempotent. */
  dispose(): void {
    if (!this.active) return;
    this.remove();
    this.#onLoopClose?.();
  }
}
