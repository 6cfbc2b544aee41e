export * from './constants';
export * from './errors';
export { bindingName, bindingFromEnv, useBinding } from './ffi/index';
export type { BindingName } from './ffi/index';
export { FileDescriptor, closeQuietly } from './fd';
export { Epoll } from './epoll';
export type { EpollOptions, FdLike } from './epoll';
export { EventFd } from './eventfd';
export type { EventFdOptions } from './eventfd';
