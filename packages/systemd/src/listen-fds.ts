import { Buffer } from 'node:buffer';
import { decodeSockaddr, setCloseOnExec, SOCKADDR_STORAGE_SIZE, SocketKindError, socketInfo, describeSocket, SystemError, type SocketAddress, type SocketInfo, InvalidArgTypeError } from '@reactor/fds';
import { describeValue, rawLibc } from '@reactor/fds/internal';
import { envFrom, ownPid, parseUnsigned, type EnvOptions } from './env';
import { SystemdError } from './errors';

/** The first fd passed by socket activation (SD_LISTEN_FDS_START). */
export const SD_LISTEN_FDS_START = 3;

/**
 * What an activation fd is: a listening TCP socket, a listening Unix stream
 * socket, a UDP socket — the kinds `Reactor.listen({ fd })` and
 * `Reactor.udp({ fd })` take — or something else (a connected socket from
 * Accept=yes, a FIFO, a Unix datagram socket, …).
 */
export type ListenFdKind = 'tcp' | 'unix' | 'udp' | 'other';

/** One fd from socket activation. */
export interface ListenFd {
  /** The fd number (3, 4, …). Whoever adopts it owns it. */
  fd: number;
  /** Its name from LISTEN_FDNAMES (FileDescriptorName= in the .socket unit), 'unknown' without names. */
  name: string;
  /** What it is. */
  kind: ListenFdKind;
  /** Family, type and listening state from the kernel; null for an fd that is no socket. */
  info: SocketInfo | null;
  /** The bound address of a socket (a Unix socket may have none). */
  address: SocketAddress | undefined;
}

/** Options of `listenFds()`. */
export interface ListenFdsOptions extends EnvOptions {
  /**
   * The kinds this program can serve on (default tcp, unix and udp): an fd
   * of any other kind is ERR_REACTOR_SOCKET_KIND. Add 'other' to receive
   * everything and decide per fd.
   */
  accept?: readonly ListenFdKind[];
}

const DEFAULT_KINDS: readonly ListenFdKind[] = ['tcp', 'unix', 'udp'];
const ALL_KINDS: readonly ListenFdKind[] = ['tcp', 'unix', 'udp', 'other'];

function validateKinds(value: unknown): readonly ListenFdKind[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((k) => ALL_KINDS.includes(k as ListenFdKind))) {
    throw new InvalidArgTypeError(`options.accept must be a non-empty array of ${ALL_KINDS.join(', ')}; got ${describeValue(value)}`);
  }
  return value as ListenFdKind[];
}

function kindOf(info: SocketInfo | null): ListenFdKind {
  if (info === null) return 'other';
  if ((info.kind === 'tcp4' || info.kind === 'tcp6') && info.listening) return 'tcp';
  if (info.kind === 'unix' && info.listening) return 'unix';
  if (info.kind === 'udp4' || info.kind === 'udp6') return 'udp';
  return 'other';
}

function boundAddress(fd: number): SocketAddress | undefined {
  const addr = Buffer.alloc(SOCKADDR_STORAGE_SIZE);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(SOCKADDR_STORAGE_SIZE, 0);
  const r = rawLibc().getsockname(fd, addr, len);
  if (r < 0) throw new SystemError('getsockname', -r, { fd });
  try {
    return decodeSockaddr(addr, len.readUInt32LE(0));
  } catch {
    return undefined; // a family this project does not decode (netlink, vsock)
  }
}

/**
 * sd_listen_fds_with_names(3): the fds the service manager (or
 * systemd-socket-activate) passed to this process, from fd 3 on, each made
 * close-on-exec, named, and classified. An empty list when LISTEN_PID or
 * LISTEN_FDS is unset. Unlike sd_listen_fds, a LISTEN_PID of another
 * process is an error (ERR_REACTOR_LISTEN_PID), not a silent "no fds": an
 * inherited LISTEN_* means a parent forgot `unsetEnvironment`, and serving
 * on nothing would hide it. ERR_REACTOR_LISTEN_FDS: a count that is no
 * number, LISTEN_FDNAMES with another count, or an fd in the range that is
 * not open. ERR_REACTOR_SOCKET_KIND: an fd of a kind not in `accept`.
 * On an error the fds are left open.
 */
export function listenFds(options?: ListenFdsOptions): ListenFd[] {
  const { opts, env } = envFrom<ListenFdsOptions>(options);
  const accept = opts.accept === undefined ? DEFAULT_KINDS : validateKinds(opts.accept);
  try {
    const pidText: unknown = env.LISTEN_PID;
    const countText: unknown = env.LISTEN_FDS;
    if (pidText === undefined || countText === undefined) return [];
    const pid = parseUnsigned(pidText);
    if (pid === undefined || pid === 0) throw new SystemdError('ERR_REACTOR_LISTEN_PID', `LISTEN_PID must be a process id; got ${describeValue(pidText)}`);
    if (pid !== ownPid()) {
      throw new SystemdError('ERR_REACTOR_LISTEN_PID', `LISTEN_PID is ${pid} but this process is ${ownPid()}: the fds were passed to another process (unset LISTEN_* before starting children)`);
    }
    const count = parseUnsigned(countText);
    if (count === undefined) throw new SystemdError('ERR_REACTOR_LISTEN_FDS', `LISTEN_FDS must be a count; got ${describeValue(countText)}`);
    const namesText: unknown = env.LISTEN_FDNAMES;
    if (namesText !== undefined && typeof namesText !== 'string') {
      throw new SystemdError('ERR_REACTOR_LISTEN_FDS', `LISTEN_FDNAMES must be a string; got ${describeValue(namesText)}`);
    }
    const names = namesText === undefined ? new Array<string>(count).fill('unknown') : namesText.split(':');
    if (names.length !== count) {
      throw new SystemdError('ERR_REACTOR_LISTEN_FDS', `LISTEN_FDNAMES has ${names.length} names for LISTEN_FDS=${count}`);
    }
    const fds: ListenFd[] = [];
    for (let i = 0; i < count; i++) {
      const fd = SD_LISTEN_FDS_START + i;
      try {
        setCloseOnExec(fd);
      } catch (error) {
        if ((error as SystemError).code === 'EBADF') {
          throw new SystemdError('ERR_REACTOR_LISTEN_FDS', `LISTEN_FDS=${count} but fd ${fd} is not open`);
        }
        throw error;
      }
      const info = socketInfo(fd);
      const kind = kindOf(info);
      if (!accept.includes(kind)) {
        throw new SocketKindError(fd, `one of ${accept.join(', ')}`, describeSocket(info), `the activation fd named ${names[i]}`);
      }
      fds.push({ fd, name: names[i]!, kind, info, address: info === null ? undefined : boundAddress(fd) });
    }
    return fds;
  } finally {
    if (opts.unsetEnvironment === true) {
      delete env.LISTEN_PID;
      delete env.LISTEN_FDS;
      delete env.LISTEN_FDNAMES;
    }
  }
}
