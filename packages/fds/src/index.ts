/**
 * Typed, owned Linux fds through FFI: epoll, eventfd, timerfd, signalfd,
 * pidfd, pipes and sockets, each non-blocking and close-on-exec, each closed
 * once; failed syscalls throw a SystemError shaped like Node's.
 *
 * The argument checks and raw FFI calls the reactor shares with this package
 * are in `@reactor/fds/internal` (not covered by semver).
 *
 * @module @reactor/fds
 */

export * from './constants';
export {
  InvalidArgTypeError, InvalidArgValueError, OutOfRangeError, InvalidStateError, ReactorError,
  ClosedFdError, FdsTruncatedError, SocketKindError,
} from './errors';
export { SystemError } from './system-error';
export type { SystemErrorDetails } from './system-error';
export { errnoName, errnoNumber } from './errno';
export { bindingName, bindingFromEnv, useBinding, UnsupportedPlatformError } from './ffi/index';
export type { BindingName } from './ffi/index';
export { FileDescriptor, closeQuietly } from './fd';
export { Epoll } from './epoll';
export type { EpollOptions, FdLike } from './epoll';
export { EventFd } from './eventfd';
export type { EventFdOptions } from './eventfd';
export { TimerFd, clockNow, clockId } from './timerfd';
export type { TimerFdOptions, TimerSpec, TimerSetting, TimerClockName, ClockName, Clock } from './timerfd';
export {
  SignalSet, signalNumber, signalName, sigrtmin, sigrtmax, SIGNAL_MAX,
  blockSignals, unblockSignals, setSignalMask, getSignalMask, pendingSignals,
  getpid, gettid, kill, tgkill, SignalAction, getSignalAction, setSignalAction, queueSignalToThread,
} from './signals';
export type { Signal, Signals, SignalDisposition } from './signals';
export { SignalFd, decodeSignalfdSiginfo } from './signalfd';
export type { SignalFdOptions, SignalInfo } from './signalfd';
export { PidFd } from './pidfd';
export type { ProcessExit, PidFdWaitOptions } from './pidfd';
export { encodeSockaddr, decodeSockaddr } from './address';
export type { SocketAddress } from './address';
export { Socket } from './socket';
export type { SocketKind } from './socket';
export { createPipe, PipeEnd } from './pipe';
export { socketInfo, describeSocket } from './socket-info';
export type { SocketInfo } from './socket-info';
export { sendWithFds, receiveWithFds, duplicateFd } from './fd-passing';
export type { FdToSend, ReceivedWithFds } from './fd-passing';
export { adoptFlags, setCloseOnExec } from './adopt';
export { Inotify, decodeInotifyEvents } from './inotify';
export type { InotifyEvent } from './inotify';
export { PressureTrigger, parsePressure, pressurePath } from './psi';
export type { PressureResource, PressureLine, PressureStats, PressureTriggerOptions } from './psi';
