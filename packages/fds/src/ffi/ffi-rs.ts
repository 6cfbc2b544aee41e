import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';
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
  const require = createRequire(__filename);
  const nativePath = nativeModulePath(require);
  const serial: (fn: () => void) => void = nativePath === undefined ? (fn) => fn() : threadLock(require, nativePath);
  if (!isMainThread && nativePath !== undefined) pinNativeModule(require, nativePath);
  let libc!: Libc;
  // One thread at a time: loading ffi-rs, opening libc and each function's
  // first lookup all change ffi-rs's process-wide tables (SymbolTable).
  serial(() => {
    const ffi = require('ffi-rs') as FfiRs;
    ffi.open({ library: LIBRARY, path: 'libc.so.6' });
    const errnoView = ffi.createExternalBuffer(
      ffi.load({ library: LIBRARY, funcName: '__errno_location', retType: ffi.DataType.External, paramsType: [], paramsValue: [] }),
      4,
    );
    const symbols = new SymbolTable(ffi.load as unknown as (d: Descriptor) => number);
    libc = bindLibc(ffi, errnoView, symbols);
    symbols.resolveAll();
  });
  return libc;
}

/** Every C function of the binding, described once (its descriptor is reused by every call). */
function bindLibc(ffi: FfiRs, errnoView: Buffer, symbols: SymbolTable): Libc {
  const T = ffi.DataType;
  const load = ffi.load as unknown as (d: Descriptor) => number;
  const describe = (funcName: string, retType: number, paramsType: number[]): Descriptor => symbols.describe(funcName, retType, paramsType);

  // errno lives in thread-local storage: each thread (module instance) reads its own (errnoView).
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
  // ffi-rs has no NULL for a Buffer parameter: a pointer-sized 0 takes its place.
  const sigactionGet = fn3('sigaction', I32, [I32, I64, P]);
  const sigactionSet = fn3('sigaction', I32, [I32, P, I64]);
  const sigactionBoth = fn3('sigaction', I32, [I32, P, P]);
  // glibc has no wrapper for rt_tgsigqueueinfo; syscall() takes the fixed
  // arguments in the same registers on x86-64 and arm64.
  const SYS_rt_tgsigqueueinfo = process.arch === 'arm64' ? 240 : 297;
  const tgsigqueueinfo = fn5('syscall', I64, [I64, I32, I32, I32, P]);
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
    sigaction: (signo, act, oldAct) =>
      act === null ? sigactionGet(signo, 0, oldAct) : oldAct === null ? sigactionSet(signo, act, 0) : sigactionBoth(signo, act, oldAct),
    rt_tgsigqueueinfo: (tgid, tid, sig, info) => tgsigqueueinfo(SYS_rt_tgsigqueueinfo, tgid, tid, sig, info),
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

/**
 * ffi-rs looks a function up on every call in a process-wide table without a
 * lock, and adds the function to it on its first call: a worker making its
 * first call of, say, timerfd_create while another thread looks up epoll_wait
 * can find the table being reallocated under it (glibc aborted a process of
 * 20 workers with "corrupted size vs. prev_size" during a loaded test run).
 * So every function this binding uses is entered into the table up front,
 * under the thread lock, by the thread that loads the binding; later calls
 * only read it. The call is made with one parameter too many or too few:
 * ffi-rs resolves the symbol, then refuses the parameters before it would
 * call the function. A function described after that would be entered
 * unlocked on its first call, so describing one then throws.
 */
class SymbolTable {
  readonly #described: Descriptor[] = [];
  readonly #load: (d: Descriptor) => number;
  #resolved = false;

  constructor(load: (d: Descriptor) => number) {
    this.#load = load;
  }

  describe(funcName: string, retType: number, paramsType: number[]): Descriptor {
    if (this.#resolved) throw new Error(`ffi-rs: ${funcName} described after the symbol table was filled; its first call would change the table unlocked`);
    const d = { library: LIBRARY, funcName, retType, paramsType, paramsValue: new Array<unknown>(paramsType.length).fill(0) };
    this.#described.push(d);
    return d;
  }

  resolveAll(): void {
    this.#resolved = true;
    for (const d of this.#described) {
      const mismatched = d.paramsValue.length === 0 ? [0] : [];
      try {
        this.#load({ ...d, paramsValue: mismatched });
      } catch {
        // Expected: "params_type length is not equal with params_value length".
      }
    }
  }
}

/** The file of ffi-rs's native module for this platform, when laid out as its package does. */
function nativeModulePath(require: NodeJS.Require): string | undefined {
  const arch = process.arch === 'x64' ? 'x64' : process.arch === 'arm64' ? 'arm64' : undefined;
  if (arch === undefined) return undefined;
  try {
    return createRequire(require.resolve('ffi-rs')).resolve(`@yuuang/ffi-rs-linux-${arch}-gnu`);
  } catch {
    return undefined; // ffi-rs reports its own loading error next.
  }
}

interface KoffiLibc {
  func(proto: string): (...args: unknown[]) => unknown;
}

function koffiLibc(require: NodeJS.Require): KoffiLibc {
  return (require('koffi') as { load(path: string): KoffiLibc }).load('libc.so.6');
}

/**
 * ffi-rs keeps process-wide state (the opened libraries) without a lock: two
 * worker threads loading and opening it at once corrupted the heap
 * ("corrupted double-linked list", about 1 run in 10 with 20 workers starting
 * together on Node 22). That step runs one thread at a time, under flock(2)
 * on the native module's file: each open(2) is a file description of its
 * own, so two threads of this process exclude each other as two processes
 * would. Best effort: with no fd to spare (EMFILE), it goes on unlocked.
 */
function threadLock(require: NodeJS.Require, file: string): (fn: () => void) => void {
  const flock = koffiLibc(require).func('int flock(int fd, int operation)');
  const LOCK_EX = 2;
  return (fn) => {
    let fd: number | undefined;
    try {
      fd = openSync(file, 'r');
      flock(fd, LOCK_EX);
    } catch {
      // No lock to be had: loading alone is what every other thread does too.
    }
    try {
      fn();
    } finally {
      if (fd !== undefined) closeSync(fd); // releases the lock
    }
  };
}

/**
 * ffi-rs's native module, loaded first in a worker thread, crashes the process
 * (SIGSEGV) when that worker exits: Node unloads an addon with the last
 * environment that loaded it, and code of the module still runs afterwards
 * (napi-rs's thread-local destructors). Opening the same file beforehand with
 * RTLD_NODELETE keeps it mapped for the life of the process; Node's own
 * dlopen then finds it loaded. koffi (itself safe in workers) makes the call.
 */
function pinNativeModule(require: NodeJS.Require, file: string): void {
  const RTLD_NOW = 2;
  const RTLD_NODELETE = 0x1000;
  koffiLibc(require).func('void *dlopen(const char *file, int mode)')(file, RTLD_NOW | RTLD_NODELETE);
}
