import { Buffer } from 'node:buffer';
import { constants as osConstants } from 'node:os';
import { SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK, SIGSET_SIZE } from './constants';
import { check } from './system-error';
import { libc } from './ffi/index';
import { describeValue, validateInteger, INT32_MAX } from './validate';
import { InvalidArgTypeError, OutOfRangeError } from './errors';

/** A signal by name ('SIGTERM', 'TERM', 'SIGRTMIN+2', 'SIGRTMAX-1') or number. */
export type Signal = string | number;
/** One signal, a SignalSet, or any iterable of signals. */
export type Signals = Signal | SignalSet | Iterable<Signal>;

/** The highest signal number the kernel knows (_NSIG - 1 on x86-64 and arm64). */
export const SIGNAL_MAX = 64;

const standardByName = new Map<string, number>();
const standardNames = new Map<number, string>();
// Aliases that share a number with the name the man pages use (SIGABRT, SIGIO).
const ALIASES = new Set(['SIGIOT', 'SIGPOLL', 'SIGCLD', 'SIGUNUSED']);
for (const [name, value] of Object.entries(osConstants.signals as Record<string, number>)) {
  standardByName.set(name, value);
  if (!ALIASES.has(name) && !standardNames.has(value)) standardNames.set(value, name);
}

// Constant for the life of the process; asked once so naming a signal costs no FFI call.
let rtRange: [min: number, max: number] | undefined;
function realtimeRange(): [number, number] {
  if (rtRange === undefined) rtRange = [libc().sigrtmin(), libc().sigrtmax()];
  return rtRange;
}

/** SIGRTMIN as glibc sees it (34 usually: 32 and 33 are reserved for its threads). */
export function sigrtmin(): number {
  return realtimeRange()[0];
}

/** SIGRTMAX (64 on x86-64 and arm64). */
export function sigrtmax(): number {
  return realtimeRange()[1];
}

const RT_NAME = /^(?:SIG)?RT(MIN|MAX)(?:([+-])(\d{1,3}))?$/;

/**
 * The number of a signal: 'SIGTERM', 'TERM', 15, 'SIGRTMIN', 'SIGRTMIN+2',
 * 'SIGRTMAX-1' (names are upper case, as kill(1) prints them). The numbers
 * between the standard signals and SIGRTMIN (32 and 33) are refused: glibc
 * reserves them for its own threads and will not block them.
 */
export function signalNumber(signal: Signal, name = 'signal'): number {
  if (typeof signal === 'number') {
    const n = validateInteger(signal, name, 1, SIGNAL_MAX);
    const [min, max] = realtimeRange();
    if (n > max || (n < min && !standardNames.has(n))) {
      throw new OutOfRangeError(`${name} ${n} is not usable: glibc reserves the signals between the standard ones and SIGRTMIN (${min})`);
    }
    return n;
  }
  if (typeof signal !== 'string') throw new InvalidArgTypeError(`${name} must be a signal name or number; got ${describeValue(signal)}`);
  const standard = standardByName.get(signal) ?? standardByName.get(`SIG${signal}`);
  if (standard !== undefined) return standard;
  const m = RT_NAME.exec(signal);
  if (m !== null) {
    const [min, max] = realtimeRange();
    const offset = m[3] === undefined ? 0 : Number(m[3]);
    const n = m[1] === 'MIN' ? (m[2] === '-' ? min - offset : min + offset) : m[2] === '+' ? max + offset : max - offset;
    if (n < min || n > max) throw new OutOfRangeError(`${name} ${JSON.stringify(signal)} is outside SIGRTMIN..SIGRTMAX (${min}..${max})`);
    return n;
  }
  throw new OutOfRangeError(`${name} is not a known signal name; got ${JSON.stringify(signal)}`);
}

/**
 * The name of a signal number: 'SIGTERM', and 'SIGRTMIN' / 'SIGRTMIN+n' for
 * the realtime ones. Total over 1..64 (a number without a name, such as the
 * glibc-reserved 32, comes back as 'SIG32'), so decoding never throws.
 */
export function signalName(signo: number): string {
  validateInteger(signo, 'signo', 1, SIGNAL_MAX);
  const standard = standardNames.get(signo);
  if (standard !== undefined) return standard;
  const [min, max] = realtimeRange();
  if (signo >= min && signo <= max) return signo === min ? 'SIGRTMIN' : `SIGRTMIN+${signo - min}`;
  return `SIG${signo}`;
}

/**
 * A glibc sigset_t (128 bytes; signal n is bit n-1, and the kernel reads the
 * first 8 bytes). `buffer` is what the syscalls take.
 */
export class SignalSet implements Iterable<number> {
  /** The sigset_t bytes, as the syscalls take them. */
  readonly buffer: Buffer = Buffer.alloc(SIGSET_SIZE);

  constructor(signals?: Signals) {
    if (signals !== undefined) this.add(signals);
  }

  /** A set over a copy of a sigset_t the kernel or libc filled in. */
  static fromBuffer(buffer: Uint8Array): SignalSet {
    if (!(buffer instanceof Uint8Array)) throw new InvalidArgTypeError(`buffer must be a Buffer or Uint8Array; got ${describeValue(buffer)}`);
    if (buffer.length < 8) throw new OutOfRangeError(`buffer must hold at least 8 bytes (64 signals); got ${buffer.length}`);
    const set = new SignalSet();
    set.buffer.set(buffer.subarray(0, Math.min(buffer.length, SIGSET_SIZE)));
    return set;
  }

  /** Add one signal, a set, or an iterable of signals. */
  add(signals: Signals): this {
    for (const n of signalList(signals, 'signals')) this.buffer[(n - 1) >> 3]! |= 1 << ((n - 1) & 7);
    return this;
  }

  /** Remove signals; numbers 1..64 are taken as they are (a mask may hold reserved ones). */
  delete(signals: Signals): this {
    for (const n of signalList(signals, 'signals', true)) this.buffer[(n - 1) >> 3]! &= ~(1 << ((n - 1) & 7));
    return this;
  }

  /** Whether the set holds `signal`. */
  has(signal: Signal): boolean {
    const n = typeof signal === 'number' ? validateInteger(signal, 'signal', 1, SIGNAL_MAX) : signalNumber(signal);
    return (this.buffer[(n - 1) >> 3]! & (1 << ((n - 1) & 7))) !== 0;
  }

  /** Remove every signal. */
  clear(): this {
    this.buffer.fill(0);
    return this;
  }

  /** How many signals the set holds. */
  get size(): number {
    return this.toArray().length;
  }

  /** The signal numbers in the set, ascending. */
  toArray(): number[] {
    const out: number[] = [];
    for (let n = 1; n <= SIGNAL_MAX; n++) if ((this.buffer[(n - 1) >> 3]! & (1 << ((n - 1) & 7))) !== 0) out.push(n);
    return out;
  }

  /** The signal names in the set ('SIGUSR1', 'SIGRTMIN+2'). */
  names(): string[] {
    return this.toArray().map(signalName);
  }

  /** The signal numbers in the set, in ascending order. */
  [Symbol.iterator](): Iterator<number> {
    return this.toArray()[Symbol.iterator]();
  }

  /** Whether both sets hold the same signals. */
  equals(other: SignalSet): boolean {
    return other instanceof SignalSet && this.buffer.subarray(0, 8).equals(other.buffer.subarray(0, 8));
  }

  toString(): string {
    return `SignalSet(${this.names().join(', ')})`;
  }
}

/** Signal numbers from any `Signals`, all validated before anything is changed. */
function signalList(signals: Signals, name: string, raw = false): number[] {
  if (signals instanceof SignalSet) return signals.toArray();
  if (typeof signals === 'string' || typeof signals === 'number') return [one(signals, name, raw)];
  if (signals === null || typeof signals !== 'object' || typeof (signals as Iterable<Signal>)[Symbol.iterator] !== 'function') {
    throw new InvalidArgTypeError(`${name} must be a signal, a SignalSet or an iterable of signals; got ${describeValue(signals)}`);
  }
  const out: number[] = [];
  let i = 0;
  for (const s of signals as Iterable<Signal>) out.push(one(s, `${name}[${i++}]`, raw));
  return out;
}

function one(signal: Signal, name: string, raw: boolean): number {
  if (raw && typeof signal === 'number') return validateInteger(signal, name, 1, SIGNAL_MAX);
  return signalNumber(signal, name);
}

function toSet(signals: Signals, name: string): SignalSet {
  if (signals instanceof SignalSet) return signals;
  const set = new SignalSet();
  for (const n of signalList(signals, name)) set.buffer[(n - 1) >> 3]! |= 1 << ((n - 1) & 7);
  return set;
}

const emptySet = Buffer.alloc(SIGSET_SIZE);

function sigmask(how: number, set: Buffer): SignalSet {
  const old = new SignalSet();
  const r = libc().pthread_sigmask(how, set, old.buffer);
  check(r, 'pthread_sigmask');
  return old;
}

/*
 * The mask helpers act on the calling thread only (pthread_sigmask(3)):
 * blocking a signal here does not block it in Node's other threads, so a
 * process-directed signal may still be delivered elsewhere (docs/linux-and-node.md).
 */

/** Add signals to this thread's mask; returns the previous mask. */
export function blockSignals(signals: Signals): SignalSet {
  return sigmask(SIG_BLOCK, toSet(signals, 'signals').buffer);
}

/** Remove signals from this thread's mask; returns the previous mask. Pending ones are delivered at once. */
export function unblockSignals(signals: Signals): SignalSet {
  return sigmask(SIG_UNBLOCK, toSet(signals, 'signals').buffer);
}

/** Replace this thread's mask; returns the previous mask. */
export function setSignalMask(signals: Signals): SignalSet {
  return sigmask(SIG_SETMASK, toSet(signals, 'signals').buffer);
}

/** This thread's mask. */
export function getSignalMask(): SignalSet {
  // The binding takes Buffers only (no NULL): blocking nothing reads the mask unchanged.
  return sigmask(SIG_BLOCK, emptySet);
}

/** Signals pending for this thread or the process (sigpending(2)). */
export function pendingSignals(): SignalSet {
  const set = new SignalSet();
  const r = libc().sigpending(set.buffer);
  check(r, 'sigpending');
  return set;
}

/** The id of the calling process. */
export function getpid(): number {
  return libc().getpid();
}

/** The kernel id of the calling thread (the pid on the main thread). */
export function gettid(): number {
  return libc().gettid();
}

/** A signal number, or 0 (no signal: only check that the target exists and may be signalled). */
function signalOrZero(signal: Signal, name: string): number {
  return signal === 0 ? 0 : signalNumber(signal, name);
}

/**
 * Send a signal to one thread (tgkill(2)); it arrives with si_code SI_TKILL.
 * `signal` 0 checks that the thread exists.
 */
export function tgkill(tgid: number, tid: number, signal: Signal): void {
  const group = validateInteger(tgid, 'tgid', 1, INT32_MAX);
  const thread = validateInteger(tid, 'tid', 1, INT32_MAX);
  const sig = signalOrZero(signal, 'signal');
  const r = libc().tgkill(group, thread, sig);
  check(r, 'tgkill');
}

/**
 * kill(2): `pid` > 0 is a process, 0 this process group, -1 every process
 * this one may signal, < -1 the process group -pid. `signal` 0 checks only.
 */
export function kill(pid: number, signal: Signal): void {
  const target = validateInteger(pid, 'pid', -INT32_MAX, INT32_MAX);
  const sig = signalOrZero(signal, 'signal');
  const r = libc().kill(target, sig);
  check(r, 'kill');
}

/** What the kernel does with a signal: sigaction(2)'s disposition. */
export type SignalDisposition = 'default' | 'ignore' | 'handler';

/** sizeof(struct sigaction) in glibc on x86-64 and arm64: handler, 128-byte mask, flags, restorer. */
const SIGACTION_SIZE = 152;
const MASK_OFFSET = 8;
/** The kernel's sigset: 64 signals. glibc's sa_mask is 128 bytes, of which it fills these. */
const KERNEL_MASK_BYTES = 8;
const FLAGS_OFFSET = 136;
const SA_RESTORER = 0x04000000;
const SIG_DFL = 0n;
const SIG_IGN = 1n;

/**
 * A signal's disposition as sigaction(2) reported it: the whole struct,
 * kept as it is, so that it can be put back exactly (handler, mask, flags).
 */
export class SignalAction {
  /** The struct sigaction bytes. */
  readonly buffer: Buffer;

  /** @internal */
  constructor(buffer: Buffer) {
    this.buffer = buffer;
  }

  /** The handler's address (0 is SIG_DFL, 1 SIG_IGN). */
  get handlerAddress(): bigint {
    return this.buffer.readBigUInt64LE(0);
  }

  /** Default, ignored, or a handler function. */
  get disposition(): SignalDisposition {
    const h = this.handlerAddress;
    return h === SIG_DFL ? 'default' : h === SIG_IGN ? 'ignore' : 'handler';
  }

  /** sa_flags. */
  get flags(): number {
    return this.buffer.readInt32LE(FLAGS_OFFSET);
  }

  /**
   * Whether both have the same handler, mask and flags. SA_RESTORER and
   * sa_restorer are glibc's own trampoline, which it adds to every action it
   * installs, even SIG_DFL: they are not compared.
   */
  equals(other: SignalAction): boolean {
    return (
      other instanceof SignalAction &&
      this.handlerAddress === other.handlerAddress &&
      this.buffer.subarray(MASK_OFFSET, MASK_OFFSET + KERNEL_MASK_BYTES).equals(other.buffer.subarray(MASK_OFFSET, MASK_OFFSET + KERNEL_MASK_BYTES)) &&
      (this.flags & ~SA_RESTORER) === (other.flags & ~SA_RESTORER)
    );
  }

  /** The action SIG_IGN (nothing else set). */
  static ignore(): SignalAction {
    const buffer = Buffer.alloc(SIGACTION_SIZE);
    buffer.writeBigUInt64LE(SIG_IGN, 0);
    return new SignalAction(buffer);
  }
}

/** The current disposition of `signal` (sigaction(2) with no new action). */
export function getSignalAction(signal: Signal): SignalAction {
  const signo = signalNumber(signal);
  const action = new SignalAction(Buffer.alloc(SIGACTION_SIZE));
  check(libc().sigaction(signo, null, action.buffer), 'sigaction');
  // glibc leaves stack bytes in the part of sa_mask the kernel does not use.
  action.buffer.fill(0, MASK_OFFSET + KERNEL_MASK_BYTES, FLAGS_OFFSET);
  return action;
}

/** Put `action` in force for `signal`; returns the one it replaced. */
export function setSignalAction(signal: Signal, action: SignalAction): SignalAction {
  const signo = signalNumber(signal);
  if (!(action instanceof SignalAction)) throw new InvalidArgTypeError(`action must be a SignalAction; got ${describeValue(action)}`);
  const old = new SignalAction(Buffer.alloc(SIGACTION_SIZE));
  check(libc().sigaction(signo, action.buffer, old.buffer), 'sigaction');
  old.buffer.fill(0, MASK_OFFSET + KERNEL_MASK_BYTES, FLAGS_OFFSET);
  return old;
}

/** sizeof(siginfo_t). */
const SIGINFO_SIZE = 128;
/** si_code of sigqueue(3). */
const SI_QUEUE_CODE = -1;

/**
 * Queue `signal` to thread `tid` of this process with an integer payload
 * (rt_tgsigqueueinfo(2)): it arrives with si_code SI_QUEUE, si_pid this
 * process and `value` in si_int (`ssi_int` of a signalfd read). Realtime
 * signals queue one instance per call; standard ones coalesce while pending.
 */
export function queueSignalToThread(tid: number, signal: Signal, value: number): void {
  const thread = validateInteger(tid, 'tid', 1, INT32_MAX);
  const signo = signalNumber(signal);
  const payload = validateInteger(value, 'value', -INT32_MAX - 1, INT32_MAX);
  const info = Buffer.alloc(SIGINFO_SIZE);
  const pid = libc().getpid();
  info.writeInt32LE(signo, 0);
  info.writeInt32LE(SI_QUEUE_CODE, 8);
  info.writeInt32LE(pid, 16);
  info.writeUInt32LE(process.getuid?.() ?? 0, 20);
  info.writeInt32LE(payload, 24);
  check(libc().rt_tgsigqueueinfo(pid, thread, signo, info), 'rt_tgsigqueueinfo');
}
