/**
 * Kernel numbers, spelled as the kernel spells them (x86-64 and arm64 Linux,
 * glibc). The one place where raw bits live; everything else imports names.
 */

// fcntl(2) / open(2)
/** open(2)/fcntl(2): non-blocking I/O; reads and writes that would wait fail with EAGAIN. */
export const O_NONBLOCK = 0o4000;
/** open(2): close the fd in the child of an execve(2). */
export const O_CLOEXEC = 0o2000000;
/** fcntl(2): read the fd flags (FD_CLOEXEC). */
export const F_GETFD = 1;
/** fcntl(2): read the file status flags (O_NONBLOCK …). */
export const F_GETFL = 3;
/** The close-on-exec bit among the fd flags (F_GETFD). */
export const FD_CLOEXEC = 1;

// epoll(7)
/** epoll_create1(2): the epoll fd is close-on-exec. */
export const EPOLL_CLOEXEC = O_CLOEXEC;
/** epoll_ctl(2): add an fd to the interest list. */
export const EPOLL_CTL_ADD = 1;
/** epoll_ctl(2): remove an fd from the interest list. */
export const EPOLL_CTL_DEL = 2;
/** epoll_ctl(2): change the events of a registered fd. */
export const EPOLL_CTL_MOD = 3;
/** Readable (or a listening socket has a connection, or EOF). */
export const EPOLLIN = 0x001;
/** Urgent/priority data (TCP out-of-band, some sysfs/procfs files). */
export const EPOLLPRI = 0x002;
/** Writable without blocking. */
export const EPOLLOUT = 0x004;
/** An error on the fd; always reported, never needs asking for. */
export const EPOLLERR = 0x008;
/** Hang-up (both directions closed); always reported. */
export const EPOLLHUP = 0x010;
/** The peer shut down its writing half (stream sockets). */
export const EPOLLRDHUP = 0x2000;
/** Wake only one of several epoll sets waiting on the same fd (ADD only). */
export const EPOLLEXCLUSIVE = 1 << 28;
/** Keep the system from suspending while the event is being handled. */
export const EPOLLWAKEUP = 1 << 29;
/** Disable the fd after one event until re-armed with EPOLL_CTL_MOD. */
export const EPOLLONESHOT = 1 << 30;
/** Edge-triggered: report a change of state, not a state. */
export const EPOLLET = 0x80000000;
/** sizeof(struct epoll_event) on x86-64 (packed: u32 events + u64 data). */
export const EPOLL_EVENT_SIZE = process.arch === 'x64' ? 12 : 16;

// eventfd(2)
/** eventfd(2): each read takes 1 from the counter instead of all of it. */
export const EFD_SEMAPHORE = 1;
/** eventfd(2): non-blocking. */
export const EFD_NONBLOCK = O_NONBLOCK;
/** eventfd(2): close-on-exec. */
export const EFD_CLOEXEC = O_CLOEXEC;
/** The largest value an eventfd counter may hold. */
export const EVENTFD_MAX = 0xfffffffffffffffen;

// timerfd_create(2) and clock_gettime(2)
/** The wall clock; it jumps when the time is set. */
export const CLOCK_REALTIME = 0;
/** A clock that never jumps; stops while the system is suspended. */
export const CLOCK_MONOTONIC = 1;
/** Like CLOCK_MONOTONIC, but counts the time suspended too. */
export const CLOCK_BOOTTIME = 7;
/** CLOCK_REALTIME that wakes a suspended system (needs CAP_WAKE_ALARM). */
export const CLOCK_REALTIME_ALARM = 8;
/** CLOCK_BOOTTIME that wakes a suspended system (needs CAP_WAKE_ALARM). */
export const CLOCK_BOOTTIME_ALARM = 9;
/** timerfd_create(2): non-blocking. */
export const TFD_NONBLOCK = O_NONBLOCK;
/** timerfd_create(2): close-on-exec. */
export const TFD_CLOEXEC = O_CLOEXEC;
/** timerfd_settime(2): the first expiration is an absolute time on the timer's clock. */
export const TFD_TIMER_ABSTIME = 1;
/** timerfd_settime(2): with ABSTIME on a realtime clock, a read fails with ECANCELED when the clock is set. */
export const TFD_TIMER_CANCEL_ON_SET = 2;

// signalfd(2) and sigprocmask(2)
/** signalfd(2): non-blocking. */
export const SFD_NONBLOCK = O_NONBLOCK;
/** signalfd(2): close-on-exec. */
export const SFD_CLOEXEC = O_CLOEXEC;
/** sigprocmask(2): add the set to the blocked signals. */
export const SIG_BLOCK = 0;
/** sigprocmask(2): remove the set from the blocked signals. */
export const SIG_UNBLOCK = 1;
/** sigprocmask(2): the set becomes the blocked signals. */
export const SIG_SETMASK = 2;
/** sizeof(struct signalfd_siginfo). */
export const SIGNALFD_SIGINFO_SIZE = 128;
/** glibc's sigset_t (1024 bits); the kernel reads the first 8 bytes. */
export const SIGSET_SIZE = 128;
// si_code values (siginfo.h)
/** si_code: sent by kill(2). */
export const SI_USER = 0;
/** si_code: sent by the kernel. */
export const SI_KERNEL = 0x80;
/** si_code: sent by sigqueue(3). */
export const SI_QUEUE = -1;
/** si_code: a POSIX timer expired. */
export const SI_TIMER = -2;
/** si_code: a POSIX message queue changed state. */
export const SI_MESGQ = -3;
/** si_code: an AIO request completed. */
export const SI_ASYNCIO = -4;
/** si_code: SIGIO queued. */
export const SI_SIGIO = -5;
/** si_code: sent by tkill(2)/tgkill(2) to one thread. */
export const SI_TKILL = -6;
// si_code values for SIGCHLD
/** SIGCHLD si_code: the child exited. */
export const CLD_EXITED = 1;
/** SIGCHLD si_code: the child was killed by a signal. */
export const CLD_KILLED = 2;
/** SIGCHLD si_code: the child was killed and dumped core. */
export const CLD_DUMPED = 3;
/** SIGCHLD si_code: a traced child trapped. */
export const CLD_TRAPPED = 4;
/** SIGCHLD si_code: the child stopped. */
export const CLD_STOPPED = 5;
/** SIGCHLD si_code: a stopped child continued. */
export const CLD_CONTINUED = 6;

// pidfd_open(2) and waitid(2)
/** pidfd_open(2): waitid(P_PIDFD) on it does not block. */
export const PIDFD_NONBLOCK = O_NONBLOCK;
/** waitid(2): wait for the process with this pid. */
export const P_PID = 1;
/** waitid(2): wait for the process this pidfd refers to. */
export const P_PIDFD = 3;
/** waitid(2): report children that exited. */
export const WEXITED = 4;
/** waitid(2): return at once when no child has changed state. */
export const WNOHANG = 1;
/** waitid(2): leave the child waitable (another waitid can reap it). */
export const WNOWAIT = 0x01000000;
/** sizeof(siginfo_t). */
export const SIGINFO_SIZE = 128;

// socket(2)
/** Unix domain sockets. */
export const AF_UNIX = 1;
/** IPv4. */
export const AF_INET = 2;
/** IPv6. */
export const AF_INET6 = 10;
/** A connected byte stream (TCP, Unix stream). */
export const SOCK_STREAM = 1;
/** Datagrams (UDP, Unix datagram). */
export const SOCK_DGRAM = 2;
/** socket(2)/accept4(2): non-blocking. */
export const SOCK_NONBLOCK = O_NONBLOCK;
/** socket(2)/accept4(2): close-on-exec. */
export const SOCK_CLOEXEC = O_CLOEXEC;
/** setsockopt(2) level of the socket options (SO_*). */
export const SOL_SOCKET = 1;
/** setsockopt(2) level of the TCP options (TCP_*). */
export const IPPROTO_TCP = 6;
/** setsockopt(2) level of the IPv6 options (IPV6_*). */
export const IPPROTO_IPV6 = 41;
/** Bind a port that has connections in TIME_WAIT. */
export const SO_REUSEADDR = 2;
/** The socket type (SOCK_STREAM, SOCK_DGRAM), read-only. */
export const SO_TYPE = 3;
/** The pending socket error (read and cleared), e.g. of a non-blocking connect. */
export const SO_ERROR = 4;
/** The kernel send buffer size. */
export const SO_SNDBUF = 7;
/** The kernel receive buffer size. */
export const SO_RCVBUF = 8;
/** Send TCP keep-alive probes on an idle connection. */
export const SO_KEEPALIVE = 9;
/** What close(2) does with unsent data (linger, or reset). */
export const SO_LINGER = 13;
/** Several sockets bind the same port; the kernel spreads connections among them. */
export const SO_REUSEPORT = 15;
/** The pid, uid and gid of a Unix socket's peer. */
export const SO_PEERCRED = 17;
/** Send small segments at once (no Nagle delay). */
export const TCP_NODELAY = 1;
/** Seconds of idleness before the first keep-alive probe. */
export const TCP_KEEPIDLE = 4;
/** An IPv6 socket accepts IPv6 only (no IPv4-mapped addresses). */
export const IPV6_V6ONLY = 26;
/** shutdown(2): no more reads. */
export const SHUT_RD = 0;
/** shutdown(2): no more writes (sends FIN). */
export const SHUT_WR = 1;
/** shutdown(2): neither. */
export const SHUT_RDWR = 2;
/** send/recv flag: do not block for this call. */
export const MSG_DONTWAIT = 0x40;
/** send flag: a write to a closed peer returns EPIPE instead of raising SIGPIPE. */
export const MSG_NOSIGNAL = 0x4000;
/** recv flag: return the datagram's real length even if it was cut. */
export const MSG_TRUNC = 0x20;
/** sizeof(struct sockaddr_storage). */
export const SOCKADDR_STORAGE_SIZE = 128;
/** The size of sun_path in struct sockaddr_un. */
export const UNIX_PATH_MAX = 108;

/** The limit of iovecs per readv/writev call (IOV_MAX). */
export const IOV_MAX = 1024;

// fcntl(2), setting flags (adopting an fd made elsewhere)
/** fcntl(2): set the fd flags (FD_CLOEXEC). */
export const F_SETFD = 2;
/** fcntl(2): a new fd for the same open file, the lowest free number >= arg, close-on-exec. */
export const F_DUPFD_CLOEXEC = 1030;
/** fcntl(2): set the file status flags (O_NONBLOCK); they belong to the open file, shared by every fd on it. */
export const F_SETFL = 4;

// Socket identity, for sockets made elsewhere (socket activation, fd passing)
/** getsockopt(2): whether the socket is listening (read-only). */
export const SO_ACCEPTCONN = 30;
/** getsockopt(2): the protocol (IPPROTO_TCP, IPPROTO_UDP …), read-only. */
export const SO_PROTOCOL = 38;
/** getsockopt(2): the address family (AF_INET …), read-only. */
export const SO_DOMAIN = 39;
/** Reliable datagrams in order on a connection (Unix). */
export const SOCK_SEQPACKET = 5;

// Ancillary data: fd passing over Unix sockets (unix(7), cmsg(3))
/** cmsg_type at SOL_SOCKET: the payload is an array of fds (int32 each). */
export const SCM_RIGHTS = 1;
/** recvmsg flag: the fds received are close-on-exec from the start (no window before a fork+exec). */
export const MSG_CMSG_CLOEXEC = 0x40000000;
/** recvmsg result flag: the control buffer was too small, ancillary data was dropped (fds lost or cut). */
export const MSG_CTRUNC = 0x8;
/** The most fds one SCM_RIGHTS message may carry (the kernel's SCM_MAX_FD). */
export const SCM_MAX_FD = 253;
/** sizeof(struct msghdr) on 64-bit Linux. */
export const MSGHDR_SIZE = 56;
/** sizeof(struct cmsghdr) on 64-bit Linux (size_t cmsg_len, int level, int type): CMSG_LEN(0). */
export const CMSGHDR_SIZE = 16;

// inotify(7)
/** inotify_init1(2): non-blocking. */
export const IN_NONBLOCK = O_NONBLOCK;
/** inotify_init1(2): close-on-exec. */
export const IN_CLOEXEC = O_CLOEXEC;
/** File was read. */
export const IN_ACCESS = 0x1;
/** File was written. */
export const IN_MODIFY = 0x2;
/** Metadata changed (permissions, timestamps, link count …). */
export const IN_ATTRIB = 0x4;
/** A file opened for writing was closed. */
export const IN_CLOSE_WRITE = 0x8;
/** A file not opened for writing was closed. */
export const IN_CLOSE_NOWRITE = 0x10;
/** File was opened. */
export const IN_OPEN = 0x20;
/** A name was moved out of the watched directory (pairs with IN_MOVED_TO by cookie). */
export const IN_MOVED_FROM = 0x40;
/** A name was moved into the watched directory. */
export const IN_MOVED_TO = 0x80;
/** A name was created in the watched directory. */
export const IN_CREATE = 0x100;
/** A name was deleted from the watched directory. */
export const IN_DELETE = 0x200;
/** The watched file or directory itself was deleted (IN_IGNORED follows). */
export const IN_DELETE_SELF = 0x400;
/** The watched file or directory itself was moved. */
export const IN_MOVE_SELF = 0x800;
/** The filesystem holding the watched object was unmounted (IN_IGNORED follows). */
export const IN_UNMOUNT = 0x2000;
/** The event queue overflowed; events were lost (wd is -1). */
export const IN_Q_OVERFLOW = 0x4000;
/** The watch was removed (inotify_rm_watch, or its object is gone). */
export const IN_IGNORED = 0x8000;
/** add_watch: only if the path is a directory. */
export const IN_ONLYDIR = 0x1000000;
/** add_watch: do not follow a symbolic link. */
export const IN_DONT_FOLLOW = 0x2000000;
/** add_watch: no events for children after they were unlinked. */
export const IN_EXCL_UNLINK = 0x4000000;
/** add_watch: fail with EEXIST if the path is already watched. */
export const IN_MASK_CREATE = 0x10000000;
/** add_watch: add to the mask of an existing watch instead of replacing it. */
export const IN_MASK_ADD = 0x20000000;
/** In an event: the name is a directory. */
export const IN_ISDIR = 0x40000000;
/** add_watch: remove the watch after its first event. */
export const IN_ONESHOT = 0x80000000;
/** Every event a watch can ask for. */
export const IN_ALL_EVENTS = 0xfff;
/** sizeof(struct inotify_event) without the name. */
export const INOTIFY_EVENT_SIZE = 16;
