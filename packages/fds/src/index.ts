/**
 * Typed, owned Linux fds through FFI: epoll, eventfd, timerfd, signalfd,
 * pidfd, pipes and sockets, each non-blocking and close-on-exec, each closed
 * once; failed syscalls throw a SystemError shaped like Node's.
 *
 * @module @reactor/fds
 */

export * from './constants';
export * from './errors';
export * from './errno';
export * from './system-error';
export { bindingName, bindingFromEnv, useBinding } from './ffi/index';
export type { BindingName } from './ffi/index';
export { FileDescriptor, closeQuietly } from './fd';
export { Epoll } from './epoll';
export type { EpollOptions, FdLike } from './epoll';
export { EventFd } from './eventfd';
export type { EventFdOptions } from './eventfd';
/**
 * The FFI layer itself (`rawLibc().read(fd, buf, len)` → bytes or -errno).
 * For benchmarks and the reactor's own hot paths; not a stable API.
 */
export { libc as rawLibc } from './ffi/index';
export type { Libc } from './ffi/index';
export * from './validate';
export { TimerFd, clockNow, clockId } from './timerfd';
export type { TimerFdOptions, TimerSpec, TimerSetting, TimerClockName, ClockName, Clock } from './timerfd';
export {
  SignalSet, signalNumber, signalName, sigrtmin, sigrtmax, SIGNAL_MAX,
  blockSignals, unblockSignals, setSignalMask, getSignalMask, pendingSignals,
  getpid, gettid, kill, tgkill,
} from './signals';
export type { Signal, Signals } from './signals';
export { SignalFd, decodeSignalfdSiginfo } from './signalfd';
export type { SignalFdOptions, SignalInfo } from './signalfd';
export { PidFd } from './pidfd';
export type { ProcessExit, PidFdWaitOptions } from './pidfd';
export { encodeSockaddr, decodeSockaddr } from './address';
export type { SocketAddress } from './address';
export { Socket } from './socket';
export type { SocketKind } from './socket';
export { createPipe, PipeEnd } from './pipe';
