import type { Reactor } from './reactor';

/**
 * One read buffer per loop, shared by every connection and UDP socket on it:
 * 'data' and 'message' handlers get views of it, valid until the next read.
 * 64 KiB holds any UDP datagram (at most 65,527 bytes) and a good TCP read.
 */
const readBuffers = new WeakMap<Reactor, Buffer>();
const READ_BUFFER_SIZE = 64 * 1024;

/** The loop's read buffer (made on first use). */
export function loopReadBuffer(loop: Reactor): Buffer {
  let buf = readBuffers.get(loop);
  if (buf === undefined) {
    // Slow (unpooled): its ArrayBuffer is its own, so Connection.write()
    // recognises views of it (and copies them before queueing).
    buf = Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
    readBuffers.set(loop, buf);
  }
  return buf;
}

