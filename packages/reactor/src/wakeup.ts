import { Buffer } from 'node:buffer';
import { deserialize, serialize } from 'node:v8';
import { EPOLLET, EPOLLIN, EventFd, InvalidArgTypeError, InvalidArgValueError, OutOfRangeError } from '@reactor/fds';
import { checkWouldBlock, rawLibc, validateInteger } from '@reactor/fds/internal';
import { watchReadable, type NodePollHandle } from './node-poll';
import { Source, type LoopCore } from './source';

/**
 * What a worker thread needs to wake a loop: the loop's eventfd number and
 * the shared state behind it. Plain data: pass it in `workerData` or
 * `postMessage` (the SharedArrayBuffer is shared, not copied).
 */
export interface WakeupHandle {
  /** The loop's eventfd (the same number in every thread of the process). */
  readonly eventfd: number;
  /** Flags and the message ring, shared with the loop. */
  readonly shared: SharedArrayBuffer;
}

// Int32 slots at the start of the shared buffer.
const PENDING = 0; // 1 while a wake is on its way: later wakes need no syscall
const LOCK = 1; // spin lock over the message ring
const STOP = 2; // a stop was requested from another thread
const HEAD = 3; // ring read offset
const TAIL = 4; // ring write offset
const USED = 5; // bytes in the ring
const CLOSED = 6; // the loop closed its eventfd: writers must not touch the number
const WRITERS = 7; // threads between their CLOSED check and their eventfd write
const HEADER_BYTES = 64;
/** How long close() waits for wakers in the middle of their write. */
const WRITERS_DRAIN_MS = 1000;
/**
 * The eventfd's interest in the loop's epoll set: edge-triggered, so each
 * write is one event and the counter never needs reading (a syscall saved on
 * every wake; it only grows, and is 2^64 writes away from full).
 */
const EPOLL_INTEREST = EPOLLIN | EPOLLET;

function lock(state: Int32Array): void {
  while (Atomics.compareExchange(state, LOCK, 0, 1) !== 0) {
    // Critical sections are a memcpy; wait briefly instead of burning the core.
    Atomics.wait(state, LOCK, 1, 1);
  }
}

function unlock(state: Int32Array): void {
  Atomics.store(state, LOCK, 0);
  Atomics.notify(state, LOCK, 1);
}

function ringCopyIn(ring: Uint8Array, at: number, src: Uint8Array): number {
  const first = Math.min(src.length, ring.length - at);
  ring.set(src.subarray(0, first), at);
  if (first < src.length) ring.set(src.subarray(first), 0);
  return (at + src.length) % ring.length;
}

function ringCopyOut(ring: Uint8Array, at: number, dst: Uint8Array): number {
  const first = Math.min(dst.length, ring.length - at);
  dst.set(ring.subarray(at, at + first), 0);
  if (first < dst.length) dst.set(ring.subarray(0, dst.length - first), first);
  return (at + dst.length) % ring.length;
}

/**
 * The producer side, usable from any thread: `wake()` makes the loop turn,
 * `post(value)` hands it a structured-cloneable value. Any number of wakes
 * and posts before the loop's next turn cost one eventfd write in total.
 *
 * @example
 * ```ts
 * import { isMainThread, Worker, workerData } from 'node:worker_threads';
 * import { Reactor, Waker, type WakeupHandle } from '@reactor/reactor';
 *
 * if (isMainThread) {
 *   const loop = new Reactor({ keepLoopAlive: true });
 *   loop.onMessage((message) => {
 *     console.log('posted:', message);
 *     loop.stop();
 *   });
 *   // The handle is plain data: pass it to the thread, which makes its Waker from it.
 *   const worker = new Worker(new URL(import.meta.url), { workerData: loop.wakeupHandle() });
 *   const exited = new Promise((resolve) => worker.once('exit', resolve)); // before it can happen
 *   await loop.run();
 *   await exited;
 *   loop.close();
 * } else {
 *   new Waker(workerData as WakeupHandle).post({ from: 'a worker thread' });
 * }
 * ```
 */
export class Waker {
  readonly #fd: number;
  readonly #state: Int32Array;
  readonly #ring: Uint8Array;
  readonly #one = Buffer.alloc(8);
  #disposed = false;

  constructor(handle: WakeupHandle) {
    // Checked by tag, not instanceof: the buffer may come from another realm (a vm context, a worker).
    if (handle === null || typeof handle !== 'object' || Object.prototype.toString.call(handle.shared) !== '[object SharedArrayBuffer]') {
      throw new InvalidArgTypeError('handle must be a WakeupHandle from Reactor.wakeupHandle()');
    }
    this.#fd = validateInteger(handle.eventfd, 'handle.eventfd', 0, 0x7fffffff);
    // A loop makes it as the header plus a ring of at least 64 bytes (options.wakeupRingBytes).
    const size = handle.shared.byteLength;
    if (size < HEADER_BYTES + 64) {
      throw new OutOfRangeError(`handle.shared must be a loop's buffer: at least ${HEADER_BYTES + 64} bytes; got ${size} bytes`);
    }
    this.#state = new Int32Array(handle.shared, 0, HEADER_BYTES / 4);
    this.#ring = new Uint8Array(handle.shared, HEADER_BYTES);
    this.#one.writeBigUInt64LE(1n);
  }

  /** Whether the loop behind this handle is gone (or this Waker was disposed). */
  get closed(): boolean {
    return this.#disposed || Atomics.load(this.#state, CLOSED) === 1;
  }

  /**
   * This thread is done with the handle: later `wake()`, `post()` and
   * `stopLoop()` calls through this Waker return false and touch nothing.
   * A Waker owns no fd (the eventfd is the loop's), so this is all it can
   * release; it guards a `using` scope against late posts.
   */
  [Symbol.dispose](): void {
    this.#disposed = true;
  }

  /** Make the loop turn. Returns false if the loop is closed. */
  wake(): boolean {
    const state = this.#state;
    if (this.#disposed || Atomics.load(state, CLOSED) === 1) return false;
    if (Atomics.exchange(state, PENDING, 1) === 0) {
      // Count ourselves in before the check that guards the write: the loop
      // sets CLOSED, then waits for WRITERS to drain before close(2). Both
      // sides are sequentially consistent atomics, so either we see CLOSED or
      // the loop sees us; otherwise a wake checked just before the close
      // could write 8 bytes into whatever fd reuses the number.
      Atomics.add(state, WRITERS, 1);
      try {
        if (Atomics.load(state, CLOSED) === 1) return false;
        const r = rawLibc().write(this.#fd, this.#one, 8);
        // EAGAIN means the counter is already huge: the loop will wake anyway.
        checkWouldBlock(r, 'write', { fd: this.#fd });
      } finally {
        if (Atomics.sub(state, WRITERS, 1) === 1) Atomics.notify(state, WRITERS);
      }
    }
    return true;
  }

  /**
   * Queue `value` (anything structured clone accepts) for the loop's message
   * handler and wake it. Returns false, keeping nothing, when the ring is full
   * (back-pressure: retry later) or the loop is closed.
   */
  post(value: unknown): boolean {
    let bytes: Buffer;
    try {
      bytes = serialize(value);
    } catch (error) {
      // A DOMException (DataCloneError) would not say which argument was wrong.
      throw new InvalidArgValueError(`value must be structured-cloneable: ${(error as Error).message}`, { cause: error });
    }
    const state = this.#state;
    const ring = this.#ring;
    if (bytes.length + 4 > ring.length) throw new OutOfRangeError(`message of ${bytes.length} bytes is larger than the wake-up ring (${ring.length - 4})`);
    if (this.#disposed || Atomics.load(state, CLOSED) === 1) return false;
    lock(state);
    try {
      if (ring.length - state[USED]! < bytes.length + 4) return false;
      const len = new Uint8Array(4);
      new DataView(len.buffer).setUint32(0, bytes.length, true);
      let tail = ringCopyIn(ring, state[TAIL]!, len);
      tail = ringCopyIn(ring, tail, bytes);
      state[TAIL] = tail;
      state[USED] = state[USED]! + bytes.length + 4;
    } finally {
      unlock(state);
    }
    return this.wake();
  }

  /** Ask the loop to stop (as `Reactor.stop()` would) from another thread. */
  stopLoop(): boolean {
    if (this.#disposed) return false;
    Atomics.store(this.#state, STOP, 1);
    return this.wake();
  }
}

/** What `onMessage()` and `onWake()` return: call it (or leave a `using` scope) to unsubscribe. */
export type Unsubscribe = (() => void) & Disposable;

function unsubscribe(remove: () => void): Unsubscribe {
  const fn = (): void => {
    remove();
  };
  return Object.assign(fn, { [Symbol.dispose]: fn });
}

/** Receives each value posted with `Waker.post()`, in order. */
export type MessageHandler = (message: unknown) => void;

/**
 * The loop side: one eventfd per loop, one event per turn however many wakes
 * came. In thread mode the eventfd is in the loop's epoll set. In the default
 * run mode libuv watches it directly (attachToNodeLoop): a wake then reaches
 * its handler without the epoll_wait through FFI that an fd nested in the
 * loop's epoll set costs (2-20 µs with ffi-rs, the most of a wake's latency).
 */
export class WakeupChannel extends Source {
  readonly #eventfd: EventFd;
  #nodePoll: NodePollHandle | undefined;
  readonly #shared: SharedArrayBuffer;
  readonly #state: Int32Array;
  readonly #ring: Uint8Array;
  readonly #handlers = new Set<MessageHandler>();
  readonly #wakeHandlers = new Set<() => void>();
  readonly #onStop: () => void;

  constructor(core: LoopCore, ringBytes: number, onStop: () => void) {
    super(core, 'wakeup', 'eventfd', false);
    this.#onStop = onStop;
    this.#shared = new SharedArrayBuffer(HEADER_BYTES + ringBytes);
    this.#state = new Int32Array(this.#shared, 0, HEADER_BYTES / 4);
    this.#ring = new Uint8Array(this.#shared, HEADER_BYTES);
    this.#eventfd = new EventFd(0);
    try {
      core.register(this, this.#eventfd.fd, EPOLL_INTEREST, true);
    } catch (error) {
      this.#eventfd.close();
      throw error;
    }
  }

  get handle(): WakeupHandle {
    return { eventfd: this.#eventfd.fd, shared: this.#shared };
  }

  onMessage(handler: MessageHandler): Unsubscribe {
    this.#handlers.add(handler);
    return unsubscribe(() => this.#handlers.delete(handler));
  }

  onWake(handler: () => void): Unsubscribe {
    this.#wakeHandlers.add(handler);
    return unsubscribe(() => this.#wakeHandlers.delete(handler));
  }

  /**
   * The default run mode: libuv watches the eventfd, and `onReadable` runs
   * each time it was written. The fd stays in the epoll set with no interest
   * (a nested epoll fd that became readable would cost a turn through FFI).
   */
  attachToNodeLoop(onReadable: () => void): void {
    if (this.#nodePoll !== undefined || this.#eventfd.closed) return;
    this.core.modify(this, 0);
    try {
      // The reactor's own poll handle keeps Node alive while the loop is; this one never does.
      this.#nodePoll = watchReadable(this.#eventfd.fd, onReadable);
      this.#nodePoll.unref();
    } catch (error) {
      this.core.modify(this, EPOLL_INTEREST);
      throw error;
    }
  }

  /** Back in the epoll set (the run in Node's loop ended). */
  detachFromNodeLoop(): void {
    const poll = this.#nodePoll;
    if (poll === undefined) return;
    this.#nodePoll = undefined;
    poll.close();
    // Re-arming checks readiness again: a wake that came since is reported.
    if (!this.#eventfd.closed) this.core.modify(this, EPOLL_INTEREST);
  }

  override dispatch(): void {
    // libuv's watch is level-triggered: the counter must be reset or it fires again at once.
    if (this.#nodePoll !== undefined) this.#eventfd.tryRead();
    // Clear before draining: a post that lands after the drain must wake us again.
    Atomics.store(this.#state, PENDING, 0);
    this.core.counters.wakeups++;
    if (Atomics.exchange(this.#state, STOP, 0) === 1) this.#onStop();
    for (const message of this.#drain()) {
      this.core.counters.messages++;
      for (const handler of this.#handlers) {
        try {
          handler(message);
        } catch (error) {
          this.core.reportError(error, { kind: 'wakeup', description: 'message handler' });
        }
      }
    }
    for (const handler of this.#wakeHandlers) {
      try {
        handler();
      } catch (error) {
        this.core.reportError(error, { kind: 'wakeup', description: 'wake handler' });
      }
    }
  }

  #drain(): unknown[] {
    const state = this.#state;
    if (Atomics.load(state, USED) === 0) return [];
    const ring = this.#ring;
    const chunks: Uint8Array[] = [];
    lock(state);
    try {
      let head = state[HEAD]!;
      let used = state[USED]!;
      const len = new Uint8Array(4);
      while (used > 0) {
        head = ringCopyOut(ring, head, len);
        const n = new DataView(len.buffer).getUint32(0, true);
        const bytes = new Uint8Array(n);
        head = ringCopyOut(ring, head, bytes);
        used -= n + 4;
        chunks.push(bytes);
      }
      state[HEAD] = head;
      state[USED] = 0;
    } finally {
      unlock(state);
    }
    return chunks.map((c) => deserialize(c));
  }

  dispose(): void {
    if (this.#eventfd.closed) return;
    this.detachFromNodeLoop();
    const state = this.#state;
    Atomics.store(state, CLOSED, 1);
    this.core.deregister(this);
    // A waker that counted itself in before CLOSED was set may still write:
    // the number must stay ours until it has. Its write is one syscall; the
    // bound only matters for a thread terminated in between (it never writes).
    const deadline = performance.now() + WRITERS_DRAIN_MS;
    for (let n = Atomics.load(state, WRITERS); n !== 0 && performance.now() < deadline; n = Atomics.load(state, WRITERS)) {
      Atomics.wait(state, WRITERS, n, 1);
    }
    this.#eventfd.close();
  }
}
