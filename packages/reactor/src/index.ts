/**
 * One epoll loop for Node.js on Linux: fd watches, timers on one timerfd per
 * clock, signals through signalfd, eventfd wake-ups from other threads, pidfd
 * child watches, and TCP/Unix/UDP networking on top — all dispatched in one
 * order. Start with {@link Reactor}.
 *
 * @module @reactor/reactor
 */

export { Reactor } from './reactor';
export { ReactorClosedError } from './errors';
export type { ReactorOptions, ReactorState, RunMode, ErrorHook } from './reactor';
export type { ReactorLogger, LogFn } from './logger';
export { IoWatch } from './io-watch';
export type { IoHandler, WatchOptions } from './io-watch';
export { Timer } from './timers';
export type { SleepOptions, TimerCallback, TimerClock, TimerOptions } from './timers';
export { SignalSubscription } from './signals';
export type { SignalHandler } from './signals';
export { ChildWatch } from './children';
export type { ChildExit, ChildHandler } from './children';
export { Waker } from './wakeup';
export type { WakeupHandle, MessageHandler, Unsubscribe } from './wakeup';
export type { ReactorStats } from './stats';
export type { SourceContext, SourceKind, SourceOptions, RateLimit } from './source';
export type { SourceStats } from './stats';
export { PathWatch } from './path-watch';
export type { PathEvent, PathHandler, PathWatchOptions } from './path-watch';
export { MemoryPressure, resolvePressureTrigger } from './memory-pressure';
export type { MemoryPressureEvent, MemoryPressureHandler, MemoryPressureOptions, ResolvedPressureTrigger } from './memory-pressure';
export { nodePollAvailable } from './node-poll';
export type { Source } from './source';
// Networking is a layer over the core's public source API (net/); this import
// adds loop.listen(), loop.connect() and loop.udp() to the Reactor class.
import './net/loop-methods';
export { Connection } from './net/connection';
export type { ConnectionOptions, ConnectionEvents, PeerCredentials } from './net/connection';
export { Listener } from './net/listener';
export type { ListenOptions, ListenTcpOptions, ListenUnixOptions, ListenerEvents } from './net/listener';
export { connect } from './net/connect';
export type { ConnectOptions, ConnectTcpOptions, ConnectUnixOptions } from './net/connect';
export { UdpSocket } from './net/udp';
export type { UdpBindOptions, UdpEvents, UdpSendCallback } from './net/udp';
export { toDuplex } from './net/duplex';
export type { ConnectionDuplex, DuplexSocketMembers } from './net/duplex';
export { Cluster } from './net/cluster';
export type { ClusterOptions } from './net/cluster';
