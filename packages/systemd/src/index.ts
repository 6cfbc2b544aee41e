/**
 * The systemd service protocol for daemons on @reactor/reactor, spoken
 * directly (no libsystemd): readiness and status messages to the service
 * manager (sd_notify), watchdog pings from a loop timer
 * (sd_event_set_watchdog), and sockets from socket activation
 * (sd_listen_fds), ready for `Reactor.listen({ fd })` / `Reactor.udp({ fd })`.
 *
 * @module @reactor/systemd
 */

export { SystemdError } from './errors';
export type { SystemdErrorCode } from './errors';
export type { EnvOptions } from './env';
export { notify, notifyAddress, formatNotifyState, Notifier } from './notify';
export type { NotifyState, NotifyOptions } from './notify';
export { watchdogEnabled, startWatchdog, Watchdog } from './watchdog';
export type { WatchdogOptions } from './watchdog';
export { listenFds, SD_LISTEN_FDS_START } from './listen-fds';
export type { ListenFd, ListenFdKind, ListenFdsOptions } from './listen-fds';
