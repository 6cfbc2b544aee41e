/**
 * The contract every FFI binding fulfils: the libc calls this project makes,
 * nothing more. Each call returns its result, or `-errno` when the C function
 * failed (so no object is allocated per call); `pthread_sigmask` returns its
 * error number negated as well. Buffers are passed in place, never copied.
 *
 * Pointers are Buffers sized by the caller (the typed wrappers turn other views into Buffers); struct layouts
 * are encoded by the typed wrappers, never here.
 */
export type BindingName = 'ffi-rs' | 'koffi';

/** The libc calls this project makes, as one FFI binding implements them: a result, or -errno. */
export interface Libc {
  /** Which binding this is. */
  readonly name: BindingName;

  /** close(2). */
  close(fd: number): number;
  /** read(2): bytes read (0 at EOF) or -errno. */
  read(fd: number, buf: Buffer, length: number): number;
  /** write(2): bytes written or -errno. */
  write(fd: number, buf: Buffer, length: number): number;
  /** readv(2) into the Buffers in order. */
  readv(fd: number, bufs: readonly Buffer[]): number;
  /** writev(2) from the Buffers in order. */
  writev(fd: number, bufs: readonly Buffer[]): number;
  /** pipe2(2): the two fds are written to `fdsOut` (2 × int32). */
  pipe2(fdsOut: Buffer, flags: number): number;
  /** fcntl(2) with an integer argument. */
  fcntl(fd: number, cmd: number, arg: number): number;

  /** epoll_create1(2): a new epoll fd. */
  epoll_create1(flags: number): number;
  /** epoll_ctl(2) with one encoded struct epoll_event. */
  epoll_ctl(epfd: number, op: number, fd: number, event: Buffer): number;
  /** epoll_wait(2): how many events were written to `events`. */
  epoll_wait(epfd: number, events: Buffer, maxEvents: number, timeoutMs: number): number;

  /** eventfd(2): a new eventfd. */
  eventfd(initval: number, flags: number): number;

  /** timerfd_create(2): a new timerfd. */
  timerfd_create(clockid: number, flags: number): number;
  /** timerfd_settime(2) with encoded struct itimerspec values. */
  timerfd_settime(fd: number, flags: number, newValue: Buffer, oldValue: Buffer): number;
  /** timerfd_gettime(2): the time left and the interval, encoded into `curValue`. */
  timerfd_gettime(fd: number, curValue: Buffer): number;
  /** clock_gettime(2) into an encoded struct timespec. */
  clock_gettime(clockid: number, ts: Buffer): number;

  /** signalfd(2): a new signalfd (fd -1) or a new mask for an existing one. */
  signalfd(fd: number, mask: Buffer, flags: number): number;
  /** pthread_sigmask(3) of the calling thread: 0 or the negated error number. */
  pthread_sigmask(how: number, set: Buffer, oldSet: Buffer): number;
  /** sigpending(2): the signals pending for the calling thread and the process. */
  sigpending(set: Buffer): number;
  /** getpid(2). */
  getpid(): number;
  /** gettid(2): the calling thread's id. */
  gettid(): number;
  /** kill(2). */
  kill(pid: number, sig: number): number;
  /** tgkill(2): a signal to one thread of a process. */
  tgkill(tgid: number, tid: number, sig: number): number;
  /**
   * sigaction(2): `act` (an encoded struct sigaction, or null to leave the
   * disposition as it is) and the previous one written to `oldAct` (or null).
   */
  sigaction(signo: number, act: Buffer | null, oldAct: Buffer | null): number;
  /** rt_tgsigqueueinfo(2): a signal with an encoded siginfo_t to one thread of this process. */
  rt_tgsigqueueinfo(tgid: number, tid: number, sig: number, info: Buffer): number;
  /** SIGRTMIN as glibc reports it (it reserves the first realtime signals). */
  sigrtmin(): number;
  /** SIGRTMAX. */
  sigrtmax(): number;

  /** pidfd_open(2): an fd that refers to a process. */
  pidfd_open(pid: number, flags: number): number;
  /** waitid(2), filling an encoded siginfo_t. */
  waitid(idtype: number, id: number, infop: Buffer, options: number): number;

  /** socket(2). */
  socket(domain: number, type: number, protocol: number): number;
  /** socketpair(2): the two fds are written to `fdsOut` (2 × int32). */
  socketpair(domain: number, type: number, protocol: number, fdsOut: Buffer): number;
  /** bind(2) to an encoded sockaddr. */
  bind(fd: number, addr: Buffer, addrLen: number): number;
  /** listen(2). */
  listen(fd: number, backlog: number): number;
  /** accept4(2): a new connected fd, the peer's address written to `addr`. */
  accept4(fd: number, addr: Buffer, addrLenInOut: Buffer, flags: number): number;
  /** connect(2) to an encoded sockaddr. */
  connect(fd: number, addr: Buffer, addrLen: number): number;
  /** shutdown(2). */
  shutdown(fd: number, how: number): number;
  /** getsockopt(2). */
  getsockopt(fd: number, level: number, name: number, value: Buffer, lenInOut: Buffer): number;
  /** setsockopt(2). */
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number;
  /** getsockname(2): the local address. */
  getsockname(fd: number, addr: Buffer, addrLenInOut: Buffer): number;
  /** getpeername(2): the peer's address. */
  getpeername(fd: number, addr: Buffer, addrLenInOut: Buffer): number;
  /** send(2). */
  send(fd: number, buf: Buffer, length: number, flags: number): number;
  /** recvfrom(2): bytes received, the sender's address written to `addr`. */
  recvfrom(fd: number, buf: Buffer, length: number, flags: number, addr: Buffer, addrLenInOut: Buffer): number;
  /** sendto(2) to an encoded sockaddr. */
  sendto(fd: number, buf: Buffer, length: number, flags: number, addr: Buffer, addrLen: number): number;

  /**
   * sendmsg(2) with an encoded struct msghdr whose pointers (iovecs, control
   * data) are `address()`es of Buffers the caller keeps alive for the call.
   */
  sendmsg(fd: number, msghdr: Buffer, flags: number): number;
  /** recvmsg(2); the kernel updates msg_controllen and msg_flags inside `msghdr` in place. */
  recvmsg(fd: number, msghdr: Buffer, flags: number): number;
  /** Where a Buffer's bytes are in memory, for the pointers inside encoded structs (the Buffer is passed in place). */
  address(buf: Buffer): number;

  /** inotify_init1(2): a new inotify fd. */
  inotify_init1(flags: number): number;
  /** inotify_add_watch(2): a watch descriptor; `path` is NUL-terminated. */
  inotify_add_watch(fd: number, path: Buffer, mask: number): number;
  /** inotify_rm_watch(2). */
  inotify_rm_watch(fd: number, wd: number): number;
}
