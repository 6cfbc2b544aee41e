import { describeValue, Socket, validateFdNumber } from '@reactor/fds';

/** `options.fd` of listen()/udp() as Socket.adopt takes it: a Socket, or an fd number (checked, naming the option). */
export function adoptable(fd: unknown): number | Socket {
  if (fd instanceof Socket) return fd;
  if (typeof fd === 'number') return validateFdNumber(fd, 'options.fd');
  throw new TypeError(`options.fd must be an fd number or a Socket; got ${describeValue(fd)}`);
}
