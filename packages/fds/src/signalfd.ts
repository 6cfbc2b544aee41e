import { Buffer } from 'node:buffer';
import { SFD_CLOEXEC, SFD_NONBLOCK, SIGNALFD_SIGINFO_SIZE } from './constants';
import { check, checkWouldBlock } from './system-error';
import { FileDescriptor } from './fd';
import { libc } from './ffi/index';
import { SignalSet, signalName, type Signals } from './signals';
import { describeValue, validateBoolean, validateInteger, validateOptions } from './validate';
import { InvalidArgTypeError, OutOfRangeError } from './errors';

/** Options of `new SignalFd()`. */
export interface SignalFdOptions {
  /** SFD_NONBLOCK (default true): read() returns [] instead of blocking. */
  nonBlocking?: boolean;
  /** SFD_CLOEXEC (default true). */
  closeOnExec?: boolean;
}

/** One struct signalfd_siginfo, decoded (field names as in signalfd(2), without `ssi_`). */
export interface SignalInfo {
  /** 'SIGUSR1', 'SIGRTMIN+2'. */
  name: string;
  /** The signal number. */
  signo: number;
  /** An error number (unused by most signals). */
  errno: number;
  /** si_code: SI_USER (kill), SI_TKILL (tgkill), SI_QUEUE (sigqueue), SI_KERNEL, CLD_* for SIGCHLD … */
  code: number;
  /** The sending process (kill, sigqueue), or the child (SIGCHLD). */
  pid: number;
  /** The real user id of the sender. */
  uid: number;
  /** File descriptor (SIGIO). */
  fd: number;
  /** Kernel timer id (POSIX timers). */
  tid: number;
  /** Band event (SIGIO). */
  band: number;
  /** POSIX timer overrun count. */
  overrun: number;
  /** Trap number that caused the signal. */
  trapno: number;
  /** Exit status or signal (SIGCHLD). */
  status: number;
  /** Integer sent by sigqueue(3). */
  int: number;
  /** Pointer sent by sigqueue(3). */
  ptr: bigint;
  /** User CPU time consumed (SIGCHLD). */
  utime: bigint;
  /** System CPU time consumed (SIGCHLD). */
  stime: bigint;
  /** Address that generated the signal (hardware-generated signals). */
  addr: bigint;
  /** Least significant bit of the address (SIGBUS). */
  addrLsb: number;
  /** System call number (SIGSYS from seccomp). */
  syscall: number;
  /** Address of the system call instruction (SIGSYS). */
  callAddr: bigint;
  /** Architecture of the attempted system call (SIGSYS). */
  arch: number;
}

/**
 * Decode one struct signalfd_siginfo (128 bytes, little-endian) at `offset`.
 * Pure: reads `buffer` only.
 */
export function decodeSignalfdSiginfo(buffer: Uint8Array, offset = 0): SignalInfo {
  if (!(buffer instanceof Uint8Array)) throw new InvalidArgTypeError(`buffer must be a Buffer or Uint8Array; got ${describeValue(buffer)}`);
  validateInteger(offset, 'offset', 0, Number.MAX_SAFE_INTEGER);
  if (offset + SIGNALFD_SIGINFO_SIZE > buffer.length) {
    throw new OutOfRangeError(`buffer must hold ${SIGNALFD_SIGINFO_SIZE} bytes from offset ${offset}; got buffer.length ${buffer.length}`);
  }
  const b = Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const o = offset;
  const signo = b.readUInt32LE(o);
  return {
    // signo 0 cannot come from the kernel; naming it must not throw for a hand-made buffer.
    name: signo >= 1 && signo <= 64 ? signalName(signo) : `SIG${signo}`,
    signo,
    errno: b.readInt32LE(o + 4),
    code: b.readInt32LE(o + 8),
    pid: b.readUInt32LE(o + 12),
    uid: b.readUInt32LE(o + 16),
    fd: b.readInt32LE(o + 20),
    tid: b.readUInt32LE(o + 24),
    band: b.readUInt32LE(o + 28),
    overrun: b.readUInt32LE(o + 32),
    trapno: b.readUInt32LE(o + 36),
    status: b.readInt32LE(o + 40),
    int: b.readInt32LE(o + 44),
    ptr: b.readBigUInt64LE(o + 48),
    utime: b.readBigUInt64LE(o + 56),
    stime: b.readBigUInt64LE(o + 64),
    addr: b.readBigUInt64LE(o + 72),
    addrLsb: b.readUInt16LE(o + 80),
    // o + 82: __pad2
    syscall: b.readInt32LE(o + 84),
    callAddr: b.readBigUInt64LE(o + 88),
    arch: b.readUInt32LE(o + 96),
  };
}

/** Records fetched per read(2): one FFI call drains a burst of queued realtime signals. */
const BATCH = 16;

/**
 * A signalfd (signalfd(2)): the signals in its mask that are pending for the
 * reading thread (or the process) are read as records instead of being
 * delivered. The signals must be blocked in that thread (see blockSignals),
 * and in a Node process a signal sent to the process from outside may be
 * delivered to another thread instead (docs/linux-and-node.md).
 *
 * @example
 * ```ts
 * import { blockSignals, getpid, gettid, SignalFd, tgkill, unblockSignals } from '@reactor/fds';
 *
 * blockSignals('SIGUSR2'); // a signalfd reads only blocked signals
 * using signals = new SignalFd('SIGUSR2');
 * // To this thread: Node's other threads do not block SIGUSR2, and a signal sent to the
 * // process could go to one of them (the Reactor routes process signals for you).
 * tgkill(getpid(), gettid(), 'SIGUSR2');
 * for (const info of signals.read()) console.log(info.name, info.pid === getpid());
 * unblockSignals('SIGUSR2');
 * ```
 */
export class SignalFd extends FileDescriptor {
  readonly #mask: SignalSet;
  readonly #buf = Buffer.alloc(BATCH * SIGNALFD_SIGINFO_SIZE);

  constructor(signals: Signals, options?: SignalFdOptions) {
    // An empty mask is legal ([]), but a forgotten argument is a bug.
    if (signals === undefined) throw new InvalidArgTypeError('signals must be a signal, a SignalSet or an iterable of signals; got undefined');
    const mask = new SignalSet(signals);
    const opts = validateOptions<SignalFdOptions>(options);
    const nonBlocking = opts.nonBlocking === undefined ? true : validateBoolean(opts.nonBlocking, 'options.nonBlocking');
    const cloexec = opts.closeOnExec === undefined ? true : validateBoolean(opts.closeOnExec, 'options.closeOnExec');
    const flags = (nonBlocking ? SFD_NONBLOCK : 0) | (cloexec ? SFD_CLOEXEC : 0);
    super(check(libc().signalfd(-1, mask.buffer, flags), 'signalfd'), 'signalfd');
    this.#mask = mask;
  }

  /** The signals this fd reports (a copy). */
  get mask(): SignalSet {
    return SignalSet.fromBuffer(this.#mask.buffer);
  }

  /** Replace the mask of this same fd (signalfd(2) with an existing fd). */
  setMask(signals: Signals): void {
    if (signals === undefined) throw new InvalidArgTypeError('signals must be a signal, a SignalSet or an iterable of signals; got undefined');
    const mask = new SignalSet(signals);
    const fd = this.use('signalfd');
    const r = libc().signalfd(fd, mask.buffer, 0);
    check(r, 'signalfd', { fd });
    this.#mask.buffer.set(mask.buffer);
  }

  /**
   * Read up to 16 pending signals in one read(2) and decode them; [] when
   * none is pending (EAGAIN). Call again until [] to drain a larger burst.
   */
  read(): SignalInfo[] {
    const fd = this.use('read');
    const r = libc().read(fd, this.#buf, this.#buf.length);
    if (checkWouldBlock(r, 'read', { fd }) === null) return [];
    const out: SignalInfo[] = [];
    for (let o = 0; o + SIGNALFD_SIGINFO_SIZE <= r; o += SIGNALFD_SIGINFO_SIZE) out.push(decodeSignalfdSiginfo(this.#buf, o));
    return out;
  }
}
