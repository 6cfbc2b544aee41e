import {
  EPOLLIN, getpid, gettid, OutOfRangeError, SI_QUEUE, SignalFd, signalName, signalNumber,
  type SignalInfo,
} from '@reactor/fds';
import { validateFunction } from '@reactor/fds/internal';
import { carrierSignal, prepareThreadForCarrier } from './signal-carrier';
import { routeToThisThread, unrouteFromThisThread } from './signal-router';
import { ReactorClosedError } from './errors';
import { Source, type LoopCore } from './source';

/** Called with the signal's number and name, and what the carrier told (see SignalSource). */
export type SignalHandler = (info: SignalInfo) => void;

/**
 * A handler registered with `Reactor.onSignal`; `remove()` undoes it.
 *
 * @example
 * ```ts
 * import { Reactor } from '@reactor/reactor';
 *
 * const loop = new Reactor();
 * const subscription = loop.onSignal('SIGUSR1', (info) => {
 *   console.log(`${info.name} (${info.signo}) from pid ${info.pid}`);
 *   subscription.remove(); // nothing is left, so run() resolves
 * });
 * process.kill(process.pid, 'SIGUSR1');
 * await loop.run();
 * loop.close();
 * ```
 */
export class SignalSubscription extends Source {
  /** The signal number. */
  readonly signo: number;
  /**
   * Settles when signals sent to the process are routed to this loop: at
   * once on the main thread; on a worker thread when the main thread's
   * router has answered (it never settles if the main thread has not loaded
   * `@reactor/reactor`).
   */
  readonly ready: Promise<void>;
  readonly #source: SignalSource;
  readonly #handler: SignalHandler;

  /** @internal */
  constructor(source: SignalSource, signo: number, handler: SignalHandler, ref: boolean, ready: Promise<void>) {
    super(source.core, 'signal', signalName(signo), ref);
    this.#source = source;
    this.signo = signo;
    this.#handler = handler;
    this.ready = ready;
    source.core.register(this);
    this.setActive(true);
  }

  /** The signal's name ('SIGTERM', 'SIGRTMIN+2'). */
  get name(): string {
    return signalName(this.signo);
  }

  /** @internal */
  call(info: SignalInfo): void {
    this.dispatches++;
    this.#handler(info);
  }

  /** Unregister the handler; when the last one for a signal goes, the disposition before the first comes back. */
  remove(): void {
    if (!this.active) return;
    this.setActive(false);
    this.core.deregister(this);
    this.#source.unsubscribe(this);
  }

  /** Release what the subscription holds, as `remove()` does; `Reactor.close()` calls it. Idempotent. */
  dispose(): void {
    this.remove();
  }

  /** `remove()` (for `using`). */
  [Symbol.dispose](): void {
    this.remove();
  }
}

/** Signals that cannot be handled: SIGKILL and SIGSTOP by the kernel's rule. */
const UNCATCHABLE = new Set([9, 19]);

/** The loops of this thread that handle signals: a carrier read by one is news for all. */
const threadSources = new Set<SignalSource>();

/**
 * A loop's signals: a signalfd for the carrier alone (signal-router.ts), in
 * the loop's epoll set. Each carrier read names a handled signal in its
 * payload; it is queued for every loop of this thread that handles that
 * signal (any of them may have read it) and run in that loop's dispatch.
 */
export class SignalSource extends Source {
  readonly #bySignal = new Map<number, SignalSubscription[]>();
  readonly #tid = gettid();
  #signalfd: SignalFd | undefined;
  #queue: SignalInfo[] = [];
  #runScheduled = false;
  #closed = false;

  constructor(core: LoopCore) {
    super(core, 'signal', 'signalfd', false);
  }

  /** Whether any handler is registered (runBlocking() on the main thread refuses then). */
  get handling(): boolean {
    return this.#bySignal.size > 0;
  }

  subscribe(signal: string | number, handler: SignalHandler, options: { ref?: boolean } = {}): SignalSubscription {
    const signo = signalNumber(signal);
    validateFunction(handler, 'handler');
    if (this.core.closed || this.#closed) throw new ReactorClosedError('onSignal');
    if (UNCATCHABLE.has(signo)) {
      throw new OutOfRangeError(`signal ${signalName(signo)} cannot be caught (signal(7))`);
    }
    if (signo === carrierSignal()) {
      throw new OutOfRangeError(`signal ${signalName(signo)} is reserved: the reactor forwards handled signals to its loops with it (docs/signals.md)`);
    }
    this.#ensureFd();
    let list = this.#bySignal.get(signo);
    let ready: Promise<void>;
    if (list === undefined) {
      ready = routeToThisThread(signo, this.#tid);
      list = [];
      this.#bySignal.set(signo, list);
    } else {
      ready = list[0]!.ready;
    }
    const ref = options.ref !== false;
    const sub = new SignalSubscription(this, signo, handler, ref, ready);
    list.push(sub);
    return sub;
  }

  unsubscribe(sub: SignalSubscription): void {
    const list = this.#bySignal.get(sub.signo);
    if (list === undefined) return;
    const i = list.indexOf(sub);
    if (i < 0) return;
    list.splice(i, 1);
    if (list.length > 0) return;
    this.#bySignal.delete(sub.signo);
    unrouteFromThisThread(sub.signo, this.#tid);
  }

  #ensureFd(): void {
    if (this.#signalfd !== undefined) return;
    prepareThreadForCarrier();
    const fd = new SignalFd([carrierSignal()]);
    try {
      this.core.register(this, fd.fd, EPOLLIN, true);
    } catch (error) {
      fd.close();
      throw error;
    }
    this.#signalfd = fd;
    threadSources.add(this);
  }

  override dispatch(): void {
    const fd = this.#signalfd;
    if (fd === undefined || fd.closed) return;
    const pid = getpid();
    for (let batch = fd.read(); batch.length > 0; batch = fd.closed ? [] : fd.read()) {
      for (const carrier of batch) {
        // Only this process's forwards count; a stray `kill -RTMAX` read from the process queue does not.
        if (carrier.code !== SI_QUEUE || carrier.pid !== pid || carrier.int <= 0) continue;
        const info: SignalInfo = { ...carrier, signo: carrier.int, name: signalName(carrier.int), int: 0 };
        for (const source of threadSources) source.#enqueue(info, this);
      }
    }
    this.#runQueue();
  }

  #enqueue(info: SignalInfo, reader: SignalSource): void {
    if (this.#closed || !this.#bySignal.has(info.signo)) return;
    this.#queue.push(info);
    if (this !== reader && !this.#runScheduled && !this.core.closed) {
      this.#runScheduled = true;
      this.core.defer(() => {
        this.#runScheduled = false;
        this.#runQueue();
      });
    }
  }

  #runQueue(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      const info = this.#queue.shift()!;
      this.core.counters.signals++;
      const list = this.#bySignal.get(info.signo);
      if (list === undefined) continue;
      for (const sub of list.slice()) {
        if (!sub.active || this.#closed) continue;
        try {
          sub.call(info);
        } catch (error) {
          this.core.reportError(error, { kind: 'signal', description: info.name });
        }
        this.core.afterCallback();
      }
    }
  }

  dispose(): void {
    if (this.#closed) return;
    for (const list of [...this.#bySignal.values()]) for (const sub of [...list]) sub.remove();
    this.#closed = true;
    this.#queue = [];
    threadSources.delete(this);
    if (this.#signalfd !== undefined) {
      this.core.deregister(this);
      this.#signalfd.close();
      this.#signalfd = undefined;
    }
  }
}
