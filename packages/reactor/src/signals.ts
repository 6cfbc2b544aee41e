import {
  blockSignals, EPOLLIN, gettid, SignalFd, signalName, signalNumber, unblockSignals, validateFunction,
  type SignalInfo,
} from '@reactor/fds';
import { canRouteProcessSignals, routeSignal, unrouteSignal } from './signal-router';
import { ReactorClosedError } from './errors';
import { Source, type LoopCore } from './source';

/** Called with the decoded siginfo of each signal delivered. */
export type SignalHandler = (info: SignalInfo) => void;

/** A handler registered with `Reactor.onSignal`; `remove()` undoes it. */
export class SignalSubscription extends Source {
  /** The signal number. */
  readonly signo: number;
  readonly #source: SignalSource;
  readonly #handler: SignalHandler;

  /** @internal */
  constructor(source: SignalSource, signo: number, handler: SignalHandler, ref: boolean) {
    super(source.core, 'signal', signalName(signo), ref);
    this.#source = source;
    this.signo = signo;
    this.#handler = handler;
    source.core.register(this);
    this.setActive(true);
  }

  /** The signal's name ('SIGTERM', 'SIGRTMIN+2'). */
  get name(): string {
    return signalName(this.signo);
  }

  /** @internal */
  call(info: SignalInfo): void {
    this.#handler(info);
  }

  /** Unregister the handler; the last one for a signal gives it back to Node. */
  remove(): void {
    if (!this.active) return;
    this.setActive(false);
    this.core.deregister(this);
    this.#source.unsubscribe(this);
  }

  /** @internal `Reactor.close()` */
  dispose(): void {
    this.remove();
  }
}

/**
 * The loop's one signalfd, in its epoll set, with a mask that grows and
 * shrinks with the handled signals. The loop's thread blocks each handled
 * signal (so it stays pending for the signalfd) and, on the main thread, the
 * router forwards process-directed ones to it (see signal-router.ts).
 */
export class SignalSource extends Source {
  readonly #bySignal = new Map<number, SignalSubscription[]>();
  readonly #tid = gettid();
  #signalfd: SignalFd | undefined;

  constructor(core: LoopCore) {
    super(core, 'signal', 'signalfd', false);
  }

  subscribe(signal: string | number, handler: SignalHandler, options: { ref?: boolean } = {}): SignalSubscription {
    const signo = signalNumber(signal);
    validateFunction(handler, 'handler');
    if (this.core.closed) throw new ReactorClosedError('onSignal');
    const ref = options.ref !== false;
    let list = this.#bySignal.get(signo);
    if (list === undefined) {
      list = [];
      this.#bySignal.set(signo, list);
      blockSignals([signo]);
      this.#updateMask();
      if (canRouteProcessSignals()) routeSignal(signo, this.#tid);
    }
    // Made once the signal is set up: a failure above leaves no live subscription.
    const sub = new SignalSubscription(this, signo, handler, ref);
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
    if (canRouteProcessSignals()) unrouteSignal(sub.signo, this.#tid);
    // Deliver what is already pending before the mask shrinks: once unblocked,
    // a pending signal would take its default action.
    this.dispatch();
    this.#bySignal.delete(sub.signo);
    this.#updateMask();
    unblockSignals([sub.signo]);
  }

  #updateMask(): void {
    const signals = [...this.#bySignal.keys()];
    if (this.#signalfd === undefined) {
      this.#signalfd = new SignalFd(signals);
      this.core.register(this, this.#signalfd.fd, EPOLLIN, true);
    } else {
      this.#signalfd.setMask(signals);
    }
  }

  override dispatch(): void {
    const fd = this.#signalfd;
    if (fd === undefined || fd.closed) return;
    for (;;) {
      const batch = fd.read();
      if (batch.length === 0) return;
      for (const info of batch) {
        this.core.counters.signals++;
        const list = this.#bySignal.get(info.signo);
        if (list === undefined) continue;
        for (const sub of list.slice()) {
          if (!sub.active) continue;
          try {
            sub.call(info);
          } catch (error) {
            this.core.reportError(error, { kind: 'signal', description: info.name });
          }
        }
      }
    }
  }

  dispose(): void {
    for (const list of [...this.#bySignal.values()]) for (const sub of [...list]) sub.remove();
    if (this.#signalfd !== undefined) {
      this.core.deregister(this);
      this.#signalfd.close();
      this.#signalfd = undefined;
    }
  }
}
