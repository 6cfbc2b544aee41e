import { FileDescriptor, InvalidArgTypeError } from '@reactor/fds';
import { describeValue, validateFdNumber } from '@reactor/fds/internal';

/**
 * `options.fd` of listen()/udp() as Socket.adopt takes it: an owned fd (a
 * Socket, a FileDescriptor from `receiveWithFds`), or an fd number (checked,
 * naming the option).
 */
export function adoptable(fd: unknown): number | FileDescriptor {
  if (fd instanceof FileDescriptor) return fd;
  if (typeof fd === 'number') return validateFdNumber(fd, 'options.fd');
  throw new InvalidArgTypeError(`options.fd must be an fd number or a FileDescriptor; got ${describeValue(fd)}`);
}
