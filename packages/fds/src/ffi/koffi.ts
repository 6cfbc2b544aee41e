import { createRequire } from 'node:module';
import type { Libc } from './types';

/** The part of koffi's API this binding uses (its types ship as ESM only). */
interface Koffi {
  load(path: string): {
    func(prototype: string): (...args: unknown[]) => unknown;
    func(name: string, result: string, params: unknown[]): (...args: unknown[]) => unknown;
  };
  struct(members: Record<string, string>): unknown;
  pointer(type: unknown): unknown;
  errno(): number;
}

/**
 * The koffi binding: prototypes are parsed once, Buffers are passed in place,
 * and errno is what koffi saved right after the call. readv/writev get real
 * iovec arrays (koffi pins each Buffer for the length of the call).
 */
export function createKoffiLibc(): Libc {
  const koffi: Koffi = createRequire(__filename)('koffi');
  const lib = koffi.load('libc.so.6');
  const f = (proto: string) => lib.func(proto) as (...args: unknown[]) => number;
  const errno = () => koffi.errno();

  // Anonymous: koffi's type names are process-wide, and this module may be
  // evaluated more than once in a process (module registries, workers).
  const iovecPtr = koffi.pointer(koffi.struct({ iov_base: 'void *', iov_len: 'size_t' }));

  const close = f('int close(int fd)');
  const read = f('long read(int fd, void *buf, size_t count)');
  const write = f('long write(int fd, const void *buf, size_t count)');
  const readv = lib.func('readv', 'long', ['int', iovecPtr, 'int']) as (...args: unknown[]) => number;
  const writev = lib.func('writev', 'long', ['int', iovecPtr, 'int']) as (...args: unknown[]) => number;
  const pipe2 = f('int pipe2(void *fds, int flags)');
  const fcntl = f('int fcntl(int fd, int cmd, int arg)');
  const epoll_create1 = f('int epoll_create1(int flags)');
  const epoll_ctl = f('int epoll_ctl(int epfd, int op, int fd, void *event)');
  const epoll_wait = f('int epoll_wait(int epfd, void *events, int maxevents, int timeout)');
  const eventfd = f('int eventfd(unsigned int initval, int flags)');
  const timerfd_create = f('int timerfd_create(int clockid, int flags)');
  const timerfd_settime = f('int timerfd_settime(int fd, int flags, const void *new_value, void *old_value)');
  const timerfd_gettime = f('int timerfd_gettime(int fd, void *curr_value)');
  const clock_gettime = f('int clock_gettime(int clockid, void *tp)');
  const signalfd = f('int signalfd(int fd, const void *mask, int flags)');
  const pthread_sigmask = f('int pthread_sigmask(int how, const void *set, void *oldset)');
  const sigpending = f('int sigpending(void *set)');
  const sigaction = f('int sigaction(int signum, const void *act, void *oldact)');
  const syscall = lib.func('long syscall(long number, ...)') as (...args: unknown[]) => number;
  const SYS_rt_tgsigqueueinfo = process.arch === 'arm64' ? 240 : 297;
  const getpid = f('int getpid()');
  const gettid = f('int gettid()');
  const kill = f('int kill(int pid, int sig)');
  const tgkill = f('int tgkill(int tgid, int tid, int sig)');
  const sigrtmin = f('int __libc_current_sigrtmin()');
  const sigrtmax = f('int __libc_current_sigrtmax()');
  const pidfd_open = f('int pidfd_open(int pid, unsigned int flags)');
  const waitid = f('int waitid(int idtype, int id, void *infop, int options)');
  const socket = f('int socket(int domain, int type, int protocol)');
  const socketpair = f('int socketpair(int domain, int type, int protocol, void *sv)');
  const bind = f('int bind(int fd, const void *addr, unsigned int addrlen)');
  const listen = f('int listen(int fd, int backlog)');
  const accept4 = f('int accept4(int fd, void *addr, void *addrlen, int flags)');
  const connect = f('int connect(int fd, const void *addr, unsigned int addrlen)');
  const shutdown = f('int shutdown(int fd, int how)');
  const getsockopt = f('int getsockopt(int fd, int level, int name, void *value, void *len)');
  const setsockopt = f('int setsockopt(int fd, int level, int name, const void *value, unsigned int len)');
  const getsockname = f('int getsockname(int fd, void *addr, void *addrlen)');
  const getpeername = f('int getpeername(int fd, void *addr, void *addrlen)');
  const send = f('long send(int fd, const void *buf, size_t len, int flags)');
  const recvfrom = f('long recvfrom(int fd, void *buf, size_t len, int flags, void *addr, void *addrlen)');
  const sendto = f('long sendto(int fd, const void *buf, size_t len, int flags, const void *addr, unsigned int addrlen)');
  const sendmsg = f('long sendmsg(int fd, const void *msg, int flags)');
  const recvmsg = f('long recvmsg(int fd, void *msg, int flags)');
  const memcpy = f('uintptr_t memcpy(void *dest, const void *src, size_t n)');
  const inotify_init1 = f('int inotify_init1(int flags)');
  const inotify_add_watch = f('int inotify_add_watch(int fd, const void *path, uint32_t mask)');
  const inotify_rm_watch = f('int inotify_rm_watch(int fd, int wd)');

  const result = (value: number): number => (value === -1 ? -errno() : value);
  const iovecs = (bufs: readonly Buffer[]) => bufs.map((b) => ({ iov_base: b, iov_len: b.length }));

  return {
    name: 'koffi',
    close: (fd) => result(close(fd)),
    read: (fd, buf, length) => result(read(fd, buf, length)),
    write: (fd, buf, length) => result(write(fd, buf, length)),
    readv: (fd, bufs) => result(readv(fd, iovecs(bufs), bufs.length)),
    writev: (fd, bufs) => result(bufs.length === 1 ? write(fd, bufs[0], bufs[0]!.length) : writev(fd, iovecs(bufs), bufs.length)),
    pipe2: (fds, flags) => result(pipe2(fds, flags)),
    fcntl: (fd, cmd, arg) => result(fcntl(fd, cmd, arg)),
    epoll_create1: (flags) => result(epoll_create1(flags)),
    epoll_ctl: (epfd, op, fd, event) => result(epoll_ctl(epfd, op, fd, event)),
    epoll_wait: (epfd, events, max, timeout) => result(epoll_wait(epfd, events, max, timeout)),
    eventfd: (initval, flags) => result(eventfd(initval, flags)),
    timerfd_create: (clockid, flags) => result(timerfd_create(clockid, flags)),
    timerfd_settime: (fd, flags, nv, ov) => result(timerfd_settime(fd, flags, nv, ov)),
    timerfd_gettime: (fd, cur) => result(timerfd_gettime(fd, cur)),
    clock_gettime: (clockid, ts) => result(clock_gettime(clockid, ts)),
    signalfd: (fd, mask, flags) => result(signalfd(fd, mask, flags)),
    // pthread_sigmask returns the error number itself and leaves errno alone.
    pthread_sigmask: (how, set, old) => -pthread_sigmask(how, set, old),
    sigpending: (set) => result(sigpending(set)),
    sigaction: (signo, act, oldAct) => result(sigaction(signo, act, oldAct)),
    rt_tgsigqueueinfo: (tgid, tid, sig, info) =>
      result(syscall(SYS_rt_tgsigqueueinfo, 'int', tgid, 'int', tid, 'int', sig, 'void *', info)),
    getpid: () => getpid(),
    gettid: () => gettid(),
    kill: (pid, sig) => result(kill(pid, sig)),
    tgkill: (tgid, tid, sig) => result(tgkill(tgid, tid, sig)),
    sigrtmin: () => sigrtmin(),
    sigrtmax: () => sigrtmax(),
    pidfd_open: (pid, flags) => result(pidfd_open(pid, flags)),
    waitid: (idtype, id, infop, options) => result(waitid(idtype, id, infop, options)),
    socket: (d, t, p) => result(socket(d, t, p)),
    socketpair: (d, t, p, sv) => result(socketpair(d, t, p, sv)),
    bind: (fd, addr, len) => result(bind(fd, addr, len)),
    listen: (fd, backlog) => result(listen(fd, backlog)),
    accept4: (fd, addr, len, flags) => result(accept4(fd, addr, len, flags)),
    connect: (fd, addr, len) => result(connect(fd, addr, len)),
    shutdown: (fd, how) => result(shutdown(fd, how)),
    getsockopt: (fd, level, name, value, len) => result(getsockopt(fd, level, name, value, len)),
    setsockopt: (fd, level, name, value, len) => result(setsockopt(fd, level, name, value, len)),
    getsockname: (fd, addr, len) => result(getsockname(fd, addr, len)),
    getpeername: (fd, addr, len) => result(getpeername(fd, addr, len)),
    send: (fd, buf, len, flags) => result(send(fd, buf, len, flags)),
    recvfrom: (fd, buf, len, flags, addr, alen) => result(recvfrom(fd, buf, len, flags, addr, alen)),
    sendto: (fd, buf, len, flags, addr, alen) => result(sendto(fd, buf, len, flags, addr, alen)),
    sendmsg: (fd, msg, flags) => result(sendmsg(fd, msg, flags)),
    recvmsg: (fd, msg, flags) => result(recvmsg(fd, msg, flags)),
    // memcpy(buf, buf, 0) returns its first argument: the Buffer's address, as koffi passed it in place.
    address: (buf) => memcpy(buf, buf, 0),
    inotify_init1: (flags) => result(inotify_init1(flags)),
    inotify_add_watch: (fd, path, mask) => result(inotify_add_watch(fd, path, mask)),
    inotify_rm_watch: (fd, wd) => result(inotify_rm_watch(fd, wd)),
  };
}
