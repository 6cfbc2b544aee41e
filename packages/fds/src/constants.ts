/**
 * Kernel numbers, spelled as the kernel spells them (x86-64 and arm64 Linux,
 * glibc). The one place where raw bits live; everything else imports names.
 */

// fcntl(2) / open(2)
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const F_GETFD = 1;
export const F_GETFL = 3;
export const FD_CLOEXEC = 1;

// epoll(7)
export const EPOLL_CLOEXEC = O_CLOEXEC;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
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
export const EFD_SEMAPHORE = 1;
export const EFD_NONBLOCK = O_NONBLOCK;
export const EFD_CLOEXEC = O_CLOEXEC;
/** The largest value an eventfd counter may hold. */
export const EVENTFD_MAX = 0xfffffffffffffffen;

// timerfd_create(2) and clock_gettime(2)
export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const CLOCK_BOOTTIME = 7;
export const CLOCK_REALTIME_ALARM = 8;
export const CLOCK_BOOTTIME_ALARM = 9;
export const TFD_NONBLOCK = O_NONBLOCK;
export const TFD_CLOEXEC = O_CLOEXEC;
export const TFD_TIMER_ABSTIME = 1;
export const TFD_TIMER_CANCEL_ON_SET = 2;

// signalfd(2) and sigprocmask(2)
export const SFD_NONBLOCK = O_NONBLOCK;
export const SFD_CLOEXEC = O_CLOEXEC;
export const SIG_BLOCK = 0;
export const SIG_UNBLOCK = 1;
export const SIG_SETMASK = 2;
/** sizeof(struct signalfd_siginfo). */
export const SIGNALFD_SIGINFO_SIZE = 128;
/** glibc's sigset_t (1024 bits); the kernel reads the first 8 bytes. */
export const SIGSET_SIZE = 128;
/** si_code values (siginfo.h). */
export const SI_USER = 0;
export const SI_KERNEL = 0x80;
export const SI_QUEUE = -1;
export const SI_TIMER = -2;
export const SI_MESGQ = -3;
export const SI_ASYNCIO = -4;
export const SI_SIGIO = -5;
export const SI_TKILL = -6;
/** si_code values for SIGCHLD. */
export const CLD_EXITED = 1;
export const CLD_KILLED = 2;
export const CLD_DUMPED = 3;
export const CLD_TRAPPED = 4;
export const CLD_STOPPED = 5;
export const CLD_CONTINUED = 6;

// pidfd_open(2) and waitid(2)
export const PIDFD_NONBLOCK = O_NONBLOCK;
export const P_PID = 1;
export const P_PIDFD = 3;
export const WEXITED = 4;
export const WNOHANG = 1;
export const WNOWAIT = 0x01000000;
/** sizeof(siginfo_t). */
export const SIGINFO_SIZE = 128;

// socket(2)
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_NONBLOCK = O_NONBLOCK;
export const SOCK_CLOEXEC = O_CLOEXEC;
export const SOL_SOCKET = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_IPV6 = 41;
export const SO_REUSEADDR = 2;
export const SO_TYPE = 3;
export const SO_ERROR = 4;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_KEEPALIVE = 9;
export const SO_LINGER = 13;
export const SO_REUSEPORT = 15;
export const SO_PEERCRED = 17;
export const TCP_NODELAY = 1;
export const TCP_KEEPIDLE = 4;
export const IPV6_V6ONLY = 26;
export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;
export const MSG_DONTWAIT = 0x40;
export const MSG_NOSIGNAL = 0x4000;
export const MSG_TRUNC = 0x20;
/** sizeof(struct sockaddr_storage). */
export const SOCKADDR_STORAGE_SIZE = 128;
/** The size of sun_path in struct sockaddr_un. */
export const UNIX_PATH_MAX = 108;

/** The limit of iovecs per readv/writev call (IOV_MAX). */
export const IOV_MAX = 1024;
