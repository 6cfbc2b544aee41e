import { Socket, type SocketKind } from '@reactor/fds';

/**
 * A new socket of `kind` prepared by `setup` (options, bind, listen,
 * connect): if any step throws, the socket is closed before the error goes
 * on, so a failed listen() or udp() leaves no fd behind.
 */
export function openSocket(kind: SocketKind, setup: (socket: Socket) => void): Socket {
  const socket = Socket.create(kind);
  try {
    setup(socket);
  } catch (error) {
    socket.close();
    throw error;
  }
  return socket;
}
