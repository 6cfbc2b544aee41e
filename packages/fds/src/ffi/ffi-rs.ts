import { createRequire } from 'node:module';
import { MSG_NOSIGNAL } from '../constants';
import { nodeDataPath } from './node-io';
import type { Libc } from './types';

type FfiRs = typeof import('ffi-rs');

const LIBRARY = 'reactor-libc';

interface Descriptor {
  library: string;
  funcName: string;
  retType: number;
  paramsType: number[];
  paramsValue: unknown[];
}

/**
 * The ffi-rs binding. ffi-rs builds the call on every `load()`, so the cost
 * per call is set by what we hand it: each C function is described once, its
 * params object and `paramsValue` array are reused (no object, array or
 * closure is made per call), and errno is read from this thread's
 * `__errno_location()` only after a call returned -1 (ffi-rs's own
 * `errno: true` allocates a result object on every call).
 */
export function createFfiRsLibc(): Libc {
  const ffi: FfiRs = createRequire(__filename)('ffi-rs');
  const T = ffi.DataType;
  ffi.open({ library: LIBRARY, path: 'libc.so.6' });
  const load = ffi.load as unknown as (d: Descriptor) => number;
  const describe = (funcName: string, retType: number, paramsType: number[]): Descriptor => ({
    library: LIBRARY,
    funcName,
    retType,
    paramsType,
    paramsValue: new Array<unknown>(paramsType.length).fill(0),
  });

  // errno lives in thread-local storage: each thread (module instance) reads its own.
  const errnoView = ffi.createExternalBuffer(
    ffi.load({ library: LIBRARY, funcName: '__errno_location', retType: T.External, paramsType: [], paramsValue: [] }),
    4,
  );
  const result = (value: number): number => (value === -1 ? -errnoView.readInt32LE(0) : value);

  const { I32, I64, U32, U64, U8Array: P } = T;
  const fn0 = (name: string, ret: number) => {
    const d = describe(name, ret, []);
    return () => result(load(d));
  };
  const fn1 = (name: string, ret: number, params: [number]) => {
    const d = describe(name, ret, params);
    const v = d.paramsValue;
    return (a: unknown) => {
      v[0] = a;
      return result(load(d));
    };
  };
  const fn2 = (name: string, ret: number, params: [number, number]) => {
    const d = describe(name, ret, params);
    const v = d.paramsValue;
    return (a: unknown, b: unknown) => {
      v[0] = a;
      v[1] = b;
      return result(load(d));
    };
  };
  const fn3 = (name: string, ret: number, params: [number, number, number]) => {
    const d = describe(name, ret, params);
    const v = d.paramsValue;
    return (a: unknown, b: unknown, c: unknown) => {
      v[0] = a;
      v[1] = b;
      v[2] = c;
      return result(load(d));
    };
  };
  const fn4 = (name: string, ret: number, params: [number, number, number, number]) => {
    const d = describe(name, ret, params);
    const v = d.paramsValue;
    return (a: unknown, b: unknown, c: unknown, e: unknown) => {
      v[0] = a;
      v[1] = b;
      v[2] = c;
      v[3] = e;
      return result(load(d));
    };
  };
  const fn5 = (name: string, ret: number, params: [number, number, number, number, number]) => {
    const d = describe(name, ret, params);
    const v = d.paramsValue;
    return (a: unknown, b: unknown, c: unknown, e: unknown, f: unknown) => {
      v[0] = a;
      v[1] = b;
      v[2] = c;
      v[3] = e;
      v[4] = f;
      return result(load(d));
    };
  };
  const fn6 = (name: string, ret: number, params: [number, number, number, number, number, number]) => {
    const d = describe(name, ret, params);
    const v = d.paramsValue;
    return (a: unknown, b: unknown, c: unknown, e: unknown, f: unknown, g: unknown) => {
      v[0] = a;
      v[1] = b;
      v[2] = c;
      v[3] = e;
      v[4] = f;
      v[5] = g;
      return result(load(d));
    };
  };

  // read/write/readv/writev go through Node's fs calls (node-io.ts): ~5x
  // cheaper than an ffi-rs call, and Buffers are passed in place.
  const { read, write, readv, writev, sendNoSignal } = nodeDataPath;
  const send = fn4('send', I64, [I32, P, U64, I32]) as Libc['send'];

  const sigmask = fn3('pthread_sigmask', I32, [I32, P, P]);
  const memcpy = fn3('memcpy', I64, [P, P, U64]);

  return {
    name: 'ffi-rs',
    close: fn1('close', I32, [I32]) as Libc['close'],
    read,
    write,
    readv,
    writev,
    pipe2: fn2('pipe2', I32, [P, I32]) as Libc['pipe2'],
    fcntl: fn3('fcntl', I32, [I32, I32, I32]) as Libc['fcntl'],
    epoll_create1: fn1('epoll_create1', I32, [I32]) as Libc['epoll_create1'],
    epoll_ctl: fn4('epoll_ctl', I32, [I32, I32, I32, P]) as Libc['epoll_ctl'],
    epoll_wait: fn4('epoll_wait', I32, [I32, P, I32, I32]) as Libc['epoll_wait'],
    eventfd: fn2('eventfd', I32, [U32, I32]) as Libc['eventfd'],
    timerfd_create: fn2('timerfd_create', I32, [I32, I32]) as Libc['timerfd_create'],
    timerfd_settime: fn4('timerfd_settime', I32, [I32, I32, P, P]) as Libc['timerfd_settime'],
    timerfd_gettime: fn2('timerfd_gettime', I32, [I32, P]) as Libc['timerfd_gettime'],
    clock_gettime: fn2('clock_gettime', I32, [I32, P]) as Libc['clock_gettime'],
    signalfd: fn3('signalfd', I32, [I32, P, I32]) as Libc['signalfd'],
    // pthread_sigmask returns the error number itself and leaves errno alone.
    pthread_sigmask: (how, set, oldSet) => {
      const r = sigmask(how, set, oldSet);
      return r > 0 ? -r : r;
    },
    sigpending: fn1('sigpending', I32, [P]) as Libc['sigpending'],
    getpid: fn0('getpid', I32),
    gettid: fn0('gettid', I32),
    kill: fn2('kill', I32, [I32, I32]) as Libc['kill'],
    tgkill: fn3('tgkill', I32, [I32, I32, I32]) as Libc['tgkill'],
    sigrtmin: fn0('__libc_current_sigrtmin', I32),
    sigrtmax: fn0('__libc_current_sigrtmax', I32),
    pidfd_open: fn2('pidfd_open', I32, [I32, U32]) as Libc['pidfd_open'],
    waitid: fn4('waitid', I32, [I32, I32, P, I32]) as Libc['waitid'],
    socket: fn3('socket', I32, [I32, I32, I32]) as Libc['socket'],
    socketpair: fn4('socketpair', I32, [I32, I32, I32, P]) as Libc['socketpair'],
    bind: fn3('bind', I32, [I32, P, U32]) as Libc['bind'],
    listen: fn2('listen', I32, [I32, I32]) as Libc['listen'],
    accept4: fn4('accept4', I32, [I32, P, P, I32]) as Libc['accept4'],
    connect: fn3('connect', I32, [I32, P, U32]) as Libc['connect'],
    shutdown: fn2('shutdown', I32, [I32, I32]) as Libc['shutdown'],
    getsockopt: fn5('getsockopt', I32, [I32, I32, I32, P, P]) as Libc['getsockopt'],
    setsockopt: fn5('setsockopt', I32, [I32, I32, I32, P, U32]) as Libc['setsockopt'],
    getsockname: fn3('getsockname', I32, [I32, P, P]) as Libc['getsockname'],
    getpeername: fn3('getpeername', I32, [I32, P, P]) as Libc['getpeername'],
    send: (fd, buf, length, flags) => (flags === MSG_NOSIGNAL ? sendNoSignal(fd, buf, length) : send(fd, buf, length, flags)),
    recvfrom: fn6('recvfrom', I64, [I32, P, U64, I32, P, P]) as Libc['recvfrom'],
    sendto: fn6('sendto', I64, [I32, P, U64, I32, P, U32]) as Libc['sendto'],
    sendmsg: fn3('sendmsg', I64, [I32, P, I32]) as Libc['sendmsg'],
    recvmsg: fn3('recvmsg', I64, [I32, P, I32]) as Libc['recvmsg'],
    // memcpy(buf, buf, 0) returns its first argument: the Buffer's address, as ffi-rs passed it in place.
    address: (buf) => memcpy(buf, buf, 0),
    inotify_init1: fn1('inotify_init1', I32, [I32]) as Libc['inotify_init1'],
    inotify_add_watch: fn3('inotify_add_watch', I32, [I32, P, U32]) as Libc['inotify_add_watch'],
    inotify_rm_watch: fn2('inotify_rm_watch', I32, [I32, I32]) as Libc['inotify_rm_watch'],
  };
}
