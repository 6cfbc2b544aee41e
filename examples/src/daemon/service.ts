/**
 * The daemon's side of the systemd service protocol: readiness, reload and
 * stop notifications with a STATUS line, the watchdog, and the sockets from
 * socket activation. Outside systemd (no NOTIFY_SOCKET, no LISTEN_FDS) every
 * call here does nothing, so `pnpm start` behaves the same in a terminal.
 */
import { listenFds, Notifier, notifyAddress, startWatchdog, watchdogEnabled, type ListenFd, type NotifyState, type Watchdog } from '@reactor/systemd';
import type { Reactor } from '@reactor/reactor';
import type { Logger } from 'pino';

/**
 * The listening sockets passed by the service manager (LISTEN_FDS), TCP or
 * Unix stream only. The variables are removed from the environment at once,
 * so the daemon's children (the prober, a restarted instance) never take them
 * for their own.
 */
export function activatedSockets(): ListenFd[] {
  return listenFds({ unsetEnvironment: true, accept: ['tcp', 'unix'] });
}

export class ServiceManager {
  readonly #notifier: Notifier | undefined;
  readonly #logger: Logger;
  #watchdog: Watchdog | undefined;

  constructor(logger: Logger) {
    this.#logger = logger;
    const address = notifyAddress();
    this.#notifier = address === undefined ? undefined : new Notifier(address);
  }

  /** True when a service manager listens (NOTIFY_SOCKET is set). */
  get active(): boolean {
    return this.#notifier !== undefined;
  }

  /**
   * Send `state`; a manager that is gone or whose queue is full costs a
   * warning, never the service.
   */
  send(state: NotifyState): void {
    if (this.#notifier === undefined) return;
    try {
      this.#notifier.send(state);
    } catch (error) {
      this.#logger.warn({ err: error, state }, 'notify failed');
    }
  }

  /** WATCHDOG=1 pings from a loop timer when WATCHDOG_USEC names this process. */
  startWatchdog(loop: Reactor): number | undefined {
    const usec = watchdogEnabled();
    if (usec === undefined) return undefined;
    this.#watchdog = startWatchdog(loop, { usec });
    this.#logger.info({ watchdogUsec: usec }, 'watchdog pings every half interval');
    return usec;
  }

  close(): void {
    this.#watchdog?.stop();
    this.#notifier?.close();
  }
}
