import type { Reactor, Timer } from '@reactor/reactor';
import type { SocketAddress } from '@reactor/fds';
import { describeValue, validateInteger } from '@reactor/fds/internal';
import { envFrom, ownPid, parseUnsigned, type EnvOptions } from './env';
import { SystemdError } from './errors';
import { notifyAddress, Notifier } from './notify';

/**
 * sd_watchdog_enabled(3): the watchdog interval in microseconds when the
 * service manager expects WATCHDOG=1 pings from this process, else
 * undefined: WATCHDOG_USEC unset, or WATCHDOG_PID set to another process
 * (the variables were inherited by a child). A WATCHDOG_USEC or WATCHDOG_PID
 * that is not a positive decimal number is ERR_REACTOR_WATCHDOG_ENV.
 */
export function watchdogEnabled(options?: EnvOptions): number | undefined {
  const { opts, env } = envFrom<EnvOptions>(options);
  try {
    const text: unknown = env.WATCHDOG_USEC;
    if (text === undefined) return undefined;
    const usec = parseUnsigned(text);
    if (usec === undefined || usec === 0) {
      throw new SystemdError('ERR_REACTOR_WATCHDOG_ENV', `WATCHDOG_USEC must be a positive number of microseconds; got ${describeValue(text)}`);
    }
    const pidText: unknown = env.WATCHDOG_PID;
    if (pidText !== undefined) {
      const pid = parseUnsigned(pidText);
      if (pid === undefined || pid === 0) throw new SystemdError('ERR_REACTOR_WATCHDOG_ENV', `WATCHDOG_PID must be a process id; got ${describeValue(pidText)}`);
      if (pid !== ownPid()) return undefined;
    }
    return usec;
  } finally {
    if (opts.unsetEnvironment === true) {
      delete env.WATCHDOG_USEC;
      delete env.WATCHDOG_PID;
    }
  }
}

/** Options of `startWatchdog()`. */
export interface WatchdogOptions extends EnvOptions {
  /** The interval in microseconds instead of WATCHDOG_USEC (pings go at half of it). */
  usec?: number;
}

/**
 * WATCHDOG=1 pings sent from a timer of the loop, as sd_event_set_watchdog
 * does: the first at once, then every half interval. A timer fires only
 * while the loop turns, so a loop stuck in a handler stops the pings and
 * the service manager restarts the service: the point of the watchdog. The
 * timer is unref'd (it does not keep the loop alive). Each ping opens,
 * uses and closes its own socket, as sd_notify does, so a watchdog holds no
 * fd between pings and closing the loop (which cancels its timers) leaves
 * nothing open. A ping that cannot be sent is logged and counted; the next
 * one is tried all the same.
 */
export class Watchdog {
  /** The interval the manager enforces, in microseconds. */
  readonly usec: number;
  /** Pings sent. */
  pings = 0;
  /** Pings that failed (logged at warn). */
  failures = 0;
  /** Where the pings go (NOTIFY_SOCKET). */
  readonly address: SocketAddress;
  readonly #loop: Reactor;
  readonly #timer: Timer;

  /** @internal made by `startWatchdog()` */
  constructor(loop: Reactor, address: SocketAddress, usec: number) {
    this.#loop = loop;
    this.address = address;
    this.usec = usec;
    this.ping();
    this.#timer = loop.every(Math.max(1, usec / 2000), () => this.ping(), { ref: false });
  }

  /** Whether `stop()` has run. */
  get stopped(): boolean {
    return !this.#timer.pending;
  }

  /** Send WATCHDOG=1 now (as the timer does). */
  ping(): void {
    try {
      using notifier = new Notifier(this.address);
      notifier.send('WATCHDOG=1');
      this.pings++;
    } catch (error) {
      this.failures++;
      this.#loop.logger.warn({ err: error, address: this.address }, 'watchdog ping failed');
    }
  }

  /** Stop pinging; idempotent. */
  stop(): void {
    this.#timer.cancel();
  }
}

/**
 * Start the watchdog pings on `loop` when the manager asked for them
 * (WATCHDOG_USEC for this process, and a NOTIFY_SOCKET to send to);
 * undefined when it did not.
 */
export function startWatchdog(loop: Reactor, options?: WatchdogOptions): Watchdog | undefined {
  const { opts, env } = envFrom<WatchdogOptions>(options);
  if (opts.usec !== undefined) validateInteger(opts.usec, 'options.usec', 1, Number.MAX_SAFE_INTEGER);
  const address = notifyAddress(env);
  const usec = opts.usec ?? watchdogEnabled({ ...opts, env });
  if (usec === undefined || address === undefined) return undefined;
  return new Watchdog(loop, address, usec);
}
