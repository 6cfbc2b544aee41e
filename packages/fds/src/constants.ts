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
