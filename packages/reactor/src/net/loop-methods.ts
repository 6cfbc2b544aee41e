/**
 * `loop.listen()`, `loop.connect()` and `loop.udp()`: networking adds these
 * to the Reactor class from here, so that the core (reactor.ts and the
 * sources) never imports networking. Importing the package's index (what
 * every user does) installs them.
 */
import { ReactorClosedError } from '../errors';
import { Reactor } from '../reactor';
import { connect, type ConnectOptions } from './connect';
import type { Connection } from './connection';
import { Listener, type ListenOptions } from './listener';
import { UdpSocket, type UdpBindOptions } from './udp';

declare module '../reactor' {
  interface Reactor {
    /**
     * Listen for stream connections: `{ host, port, backlog, reusePort }` for
     * TCP (IPv4 or IPv6), `{ path, mode }` for a Unix socket.
     */
    listen(options: ListenOptions, onConnection?: (connection: Connection) => void): Listener;
    /** Connect to `{ host, port, timeoutMs }` or `{ path }` without blocking. */
    connect(options: ConnectOptions): Promise<Connection>;
    /** Bind a UDP socket (`{ host, port }`). */
    udp(options?: UdpBindOptions): UdpSocket;
  }
}

Reactor.prototype.listen = function listen(this: Reactor, options: ListenOptions, onConnection?: (connection: Connection) => void): Listener {
  if (this.state === 'closed') throw new ReactorClosedError('listen');
  return new Listener(this, options, onConnection);
};

Reactor.prototype.connect = function connectTo(this: Reactor, options: ConnectOptions): Promise<Connection> {
  return connect(this, options);
};

Reactor.prototype.udp = function udp(this: Reactor, options?: UdpBindOptions): UdpSocket {
  if (this.state === 'closed') throw new ReactorClosedError('udp');
  return new UdpSocket(this, options);
};
