/**
 * One epoll loop for Node.js on Linux: fd watches, timers on one timerfd per
 * clock, signals through signalfd, eventfd wake-ups from other threads, pidfd
 * child watches, and TCP/Unix/UDP networking on top — all dispatched in one
 * order. Start with {@link Reactor}.
 *
 * @module @reactor/reactor
 */

export { Reactor } from './reactor';
export { ReactorClosedError, ReactorError } from './errors';
export type { ReactorOptions, ReactorState, RunMode, ErrorHook } from './reactor';
export type { ReactorLogger, LogFn } from './logger';
export { IoWatch } from './io-watch';
export type { IoHandler, WatchOptions } from './io-watch';
export { Timer } from './timers';
export type { TimerCallback, TimerClock, TimerOptions } from './timers';
export { SignalSubscription } from './signals';
export type { SignalHandler } from './signals';
export { ChildWatch } from './children';
export type { ChildExit, ChildHandler } from './children';
export { Waker } from './wakeup';
export type { WakeupHandle, MessageHandler } from './wakeup';
export type { ReactorStats } from './stats';
export type { SourceContext, SourceKind } from './source';
export { nodePollAvailable } from './node-poll';
export { Connection } from './connection';
export type { ConnectionOptions, ConnectionEvents, PeerCredentials } from './connection';
export { Listener } from './listener';
export type { ListenOptions, ListenTcpOptions, ListenUnixOptions, ListenFdOptions, ListenerEvents } from './listener';
export { connect } from './connect';
export type { ConnectOptions, ConnectTcpOptions, ConnectUnixOptions } from './connect';
export { UdpSocket } from './udp';
export type { UdpBindOptions, UdpEvents } from './udp';
export { toDuplex } from './duplex';
export { Cluster } from './cluster';
export type { ClusterOptions } from './cluster';
