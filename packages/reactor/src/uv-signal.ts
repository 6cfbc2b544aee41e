import { createRequire } from 'node:module';
import { ReactorError } from './errors';

/**
 * A libuv signal handle on Node's own loop, for the signals `process.on`
 * cannot name: the realtime ones (SIGRTMIN..SIGRTMAX). It is what
 * `process.on` itself uses underneath (libuv's handler, shared by every
 * handle for that signal in the process), reached through libuv's public C
 * API, which Node exports for addons, by koffi: `uv_signal_init` on
 * `uv_default_loop()`, `uv_signal_start` with a koffi callback. libuv calls
 * it on the main thread from its loop, once per delivery.
 *
 * Handles are made once per signal and never freed: a stopped handle costs
 * 152 bytes and closing one asynchronously would outlive the callback.
 */

interface KoffiLib {
  func(prototype: string): (...args: unknown[]) => unknown;
}
interface Koffi {
  load(path: string | null): KoffiLib;
  proto(prototype: string): unknown;
  pointer(type: unknown): unknown;
  register(callback: (...args: unknown[]) => void, type: unknown): unknown;
  alloc(type: string, length: number): unknown;
}

interface Uv {
  handleFor(signo: number): unknown;
  start(handle: unknown, signo: number): number;
  stop(handle: unknown): number;
}

/** libuv's enum uv_handle_type value of UV_SIGNAL. */
const UV_SIGNAL = 16;

let uv: Uv | undefined;
const handles = new Map<number, unknown>();
const listeners = new Map<number, () => void>();

function loadUv(): Uv {
  if (uv !== undefined) return uv;
  const koffi = createRequire(__filename)('koffi') as Koffi;
  let self: KoffiLib;
  try {
    self = koffi.load(null);
  } catch (error) {
    throw new ReactorError('ERR_REACTOR_SIGNAL_UNSUPPORTED', `realtime signals need libuv's symbols from the node binary, which could not be loaded: ${String(error)}`);
  }
  const uvDefaultLoop = self.func('void *uv_default_loop()');
  const uvHandleSize = self.func('size_t uv_handle_size(int type)');
  const uvSignalInit = self.func('int uv_signal_init(void *loop, void *handle)');
  // Anonymous-looking name: koffi's type names are process-wide and this module may load once per thread.
  const callbackType = koffi.pointer(koffi.proto(`void reactor_uv_signal_cb_${process.pid}_${Math.random().toString(36).slice(2)}(void *handle, int signum)`));
  const uvSignalStart = self.func('int uv_signal_start(void *handle, void *cb, int signum)');
  const uvSignalStop = self.func('int uv_signal_stop(void *handle)');
  const uvUnref = self.func('void uv_unref(void *handle)');
  const callback = koffi.register((_handle: unknown, signum: unknown) => listeners.get(signum as number)?.(), callbackType);
  const size = Number(uvHandleSize(UV_SIGNAL));
  const loop = uvDefaultLoop();
  uv = {
    handleFor(signo) {
      let handle = handles.get(signo);
      if (handle === undefined) {
        handle = koffi.alloc('uint8_t', size);
        const r = uvSignalInit(loop, handle) as number;
        if (r !== 0) throw new ReactorError('ERR_REACTOR_SIGNAL_UNSUPPORTED', `uv_signal_init failed (libuv error ${r})`);
        // Like process.on's signal handles: listening does not keep Node alive.
        uvUnref(handle);
        handles.set(signo, handle);
      }
      return handle;
    },
    start: (handle, signo) => uvSignalStart(handle, callback, signo) as number,
    stop: (handle) => uvSignalStop(handle) as number,
  };
  return uv;
}

/** Call `listener` on the main thread each time `signo` is delivered to the process; returns the stop function. */
export function listenThroughLibuv(signo: number, listener: () => void): () => void {
  const lib = loadUv();
  const handle = lib.handleFor(signo);
  listeners.set(signo, listener);
  const r = lib.start(handle, signo);
  if (r !== 0) {
    listeners.delete(signo);
    throw new ReactorError('ERR_REACTOR_SIGNAL_UNSUPPORTED', `uv_signal_start(${signo}) failed (libuv error ${r})`);
  }
  return () => {
    lib.stop(handle);
    listeners.delete(signo);
  };
}
