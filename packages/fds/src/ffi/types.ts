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

export interface Libc {
  readonly name: BindingName;

  close(fd: number): number;
  read(fd: number, buf: Buffer, length: number): number;
  write(fd: number, buf: Buffer, length: number): number;
  readv(fd: number, bufs: readonly Buffer[]): number;
  writev(fd: number, bufs: readonly Buffer[]): number;
  pipe2(fdsOut: Buffer, flags: number): number;
  fcntl(fd: number, cmd: number, arg: number): number;

  epoll_create1(flags: number): number;
  epoll_ctl(epfd: number, op: number, fd: number, event: Buffer): number;
  epoll_wait(epfd: number, events: Buffer, maxEvents: number, timeoutMs: number): number;

  eventfd(initval: number, flags: number): number;

  timerfd_create(clockid: number, flags: number): number;
  timerfd_settime(fd: number, flags: number, newValue: Buffer, oldValue: Buffer): number;
  timerfd_gettime(fd: number, curValue: Buffer): number;
  clock_gettime(clockid: number, ts: Buffer): number;

  signalfd(fd: number, mask: Buffer, flags: number): number;
  pthread_sigmask(how: number, set: Buffer, oldSet: Buffer): number;
  sigpending(set: Buffer): number;
  getpid(): number;
  gettid(): number;
  kill(pid: number, sig: number): number;
  tgkill(tgid: number, tid: number, sig: number): number;
  sigrtmin(): number;
  sigrtmax(): number;

  pidfd_open(pid: number, flags: number): number;
  waitid(idtype: number, id: number, infop: Buffer, options: number): number;

  socket(domain: number, type: number, protocol: number): number;
  socketpair(domain: number, type: number, protocol: number, fdsOut: Buffer): number;
  bind(fd: number, addr: Buffer, addrLen: number): number;
  listen(fd: number, backlog: number): number;
  accept4(fd: number, addr: Buffer, addrLenInOut: Buffer, flags: number): number;
  connect(fd: number, addr: Buffer, addrLen: number): number;
  shutdown(fd: number, how: number): number;
  getsockopt(fd: number, level: number, name: number, value: Buffer, lenInOut: Buffer): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number;
  getsockname(fd: number, addr: Buffer, addrLenInOut: Buffer): number;
  getpeername(fd: number, addr: Buffer, addrLenInOut: Buffer): number;
  send(fd: number, buf: Buffer, length: number, flags: number): number;
  recvfrom(fd: number, buf: Buffer, length: number, flags: number, addr: Buffer, addrLenInOut: Buffer): number;
  sendto(fd: number, buf: Buffer, length: number, flags: number, addr: Buffer, addrLen: number): number;
}
