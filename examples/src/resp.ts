/**
 * RESP2 (the Redis serialization protocol) for the kv examples: an
 * incremental request parser and the reply encoders.
 *
 * Requests come as arrays of bulk strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`,
 * what client libraries and redis-benchmark send) or as inline commands
 * (`GET k\r\n`, what telnet/nc users type; quotes as redis-cli's
 * `sdssplitargs`). The parser is resumable: bytes may arrive split anywhere,
 * and nothing is parsed twice — a request that is not complete keeps its
 * decoded arguments and a bulk string in progress keeps its pieces, so a
 * 64 MiB value arriving in 64 KiB reads costs O(size), not O(size²).
 *
 * Limits (a peer cannot make the server hold more than this per connection;
 * Redis allows 512 MiB bulks, too much for an example):
 * - one bulk string: 64 MiB (`-ERR Protocol error: invalid bulk length`);
 * - one request: 64 MiB + 64 KiB (one maximal bulk and a few small
 *   arguments), counting each argument's bytes plus 64 bytes for its own
 *   bookkeeping, so a million empty arguments count too
 *   (`-ERR Protocol error: request too big`);
 * - array elements: 1,048,576 (`-ERR Protocol error: invalid multibulk length`);
 * - an inline command line, or a `*`/`$` header line: 64 KiB
 *   (`-ERR Protocol error: too big inline request` / `too big mbulk count string`).
 * Memory held for a request in progress is what has arrived, never what a
 * header announces.
 */

import { RespArgs } from './resp-args';

export { RespArgs };

export const LIMITS = {
  maxBulk: 64 * 1024 * 1024,
  maxRequest: 64 * 1024 * 1024 + 64 * 1024,
  maxArrayElements: 1024 * 1024,
  maxInline: 64 * 1024,
  /** What one argument costs in the request budget besides its bytes. */
  argOverhead: 64,
};

export type Limits = typeof LIMITS;

/**
 * A malformed or over-limit request: answer `-ERR Protocol error: …` and close.
 * The message may quote a byte of the input; CR and LF are blanked, because
 * an error reply is one line and a raw CRLF in it would end the reply early
 * and make the rest of the message look like another reply to the client.
 */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(oneLine(message));
    this.name = 'ProtocolError';
  }
  /** The reply Redis sends before closing the connection. */
  reply(): Buffer {
    return Buffer.from(`-ERR Protocol error: ${this.message}\r\n`, 'latin1');
  }
}

const CR = 13;
const LF = 10;

/**
 * Incremental RESP request parser. `feed(chunk, onCommand)` calls
 * `onCommand(args)` for every complete request in order. The argument
 * Buffers may be views of `chunk` and are valid only during the callback:
 * copy what you keep. Throws ProtocolError; after that the parser is unusable
 * (the connection is to be closed).
 */
export class RespParser {
  readonly limits: Limits;
  /**
   * Unparsed bytes kept between feeds: an owned buffer that grows by
   * doubling, so a line or header arriving a byte at a time costs O(n).
   */
  #rest: Buffer | undefined;
  #restLength = 0;
  /** Elements still expected in the current array request (0: between requests). */
  #remaining = 0;
  readonly #args = new RespArgs();
  /** How many of #args are already owned copies (not views of a chunk). */
  #owned = 0;
  #requestBytes = 0;
  /** Length of the bulk string being read, -1 while waiting for its `$` header. */
  #bulkLength = -1;
  /** Pieces of a bulk string (with its CRLF) that spans feeds. */
  #bulkParts: Buffer[] = [];
  #bulkHave = 0;
  #failed = false;
  /** The callback returned false: stop after this command, keep the rest. */
  #stop = false;

  constructor(limits: Partial<Limits> = {}) {
    this.limits = { ...LIMITS, ...limits };
  }

  /**
   * Whether the last `feed` stopped early (the callback returned false) with
   * bytes held that may hold more commands: call `feed` with an empty chunk
   * to go on. Held bytes of a request that is not all here do not count: an
   * empty feed cannot complete it, and a server that looped on
   * `pending` then spun forever on a request split across two reads.
   */
  get pending(): boolean {
    return this.#stop && this.#restLength > 0;
  }

  /** Bytes held for a request in progress (for tests and stats). */
  get buffered(): number {
    let n = this.#restLength + this.#bulkHave;
    for (let i = 0; i < this.#owned; i++) n += this.#args.byteLength(i);
    return n;
  }

  /**
   * Parse `chunk` (after what is held). `onCommand` may return false to stop
   * after that command: the unparsed bytes are kept (copied) and the next
   * `feed` — an empty chunk will do — goes on from there. This is how a
   * server stops running pipelined commands while their replies pile up.
   */
  feed(chunk: Buffer, onCommand: (args: Buffer[]) => boolean | void): void {
    this.feedArgs(chunk, (args) => onCommand(args.toArray()));
  }

  /**
   * `feed`, with each request's arguments as ranges ({@link RespArgs}, one
   * object refilled per request) instead of an array of Buffers: what a
   * server that decodes keys itself uses, so no Buffer is made per argument.
   */
  feedArgs(chunk: Buffer, onCommand: (args: RespArgs) => boolean | void): void {
    if (this.#failed) throw new ProtocolError('parser used after an error');
    this.#stop = false;
    try {
      this.#feed(chunk, onCommand);
    } catch (error) {
      if (error instanceof ProtocolError) this.#failed = true;
      throw error;
    }
  }

  #feed(chunk: Buffer, onCommand: (args: RespArgs) => boolean | void): void {
    let buf = chunk;
    let pos = 0;
    // A bulk string in progress: collect pieces until its bytes and CRLF are here.
    if (this.#bulkParts.length > 0) {
      const need = this.#bulkLength + 2 - this.#bulkHave;
      if (chunk.length < need) {
        this.#bulkParts.push(Buffer.from(chunk));
        this.#bulkHave += chunk.length;
        return;
      }
      this.#bulkParts.push(chunk.subarray(0, need));
      const whole = Buffer.concat(this.#bulkParts, this.#bulkLength + 2);
      this.#bulkParts = [];
      this.#bulkHave = 0;
      if (whole[this.#bulkLength] !== CR || whole[this.#bulkLength + 1] !== LF) throw new ProtocolError("expected '\\r\\n' after bulk string");
      pos = need;
      // Every argument before this one is owned already; so is this one.
      if (!this.#pushArg(whole, 0, this.#bulkLength, onCommand)) this.#owned = this.#args.length;
    } else if (this.#restLength > 0) {
      if (chunk.length > 0) this.#appendRest(chunk, 0);
      buf = this.#rest!.subarray(0, this.#restLength);
    }

    const length = buf.length;
    while (pos < length && !this.#stop) {
      if (this.#remaining === 0) {
        // Between requests: an array or an inline command.
        if (buf[pos] === 0x2a /* '*' */) {
          let count: number | null = fastHeader(buf, pos, length, this.limits.maxInline);
          if (count === count) pos = headerEnd; // not NaN: the common case
          else {
            const eol = findLineEnd(buf, pos, this.limits.maxInline, 'too big mbulk count string');
            if (eol < 0) break;
            count = parseDecimal(buf, pos + 1, eol);
            pos = eol + 2;
          }
          if (count === null || count > this.limits.maxArrayElements) throw new ProtocolError('invalid multibulk length');
          if (count <= 0) continue; // `*0`, `*-1`: nothing to run, as Redis
          this.#remaining = count;
          this.#requestBytes = 0;
          this.#bulkLength = -1;
        } else {
          const nl = buf.indexOf(LF, pos);
          if (nl < 0) {
            if (length - pos > this.limits.maxInline) throw new ProtocolError('too big inline request');
            break;
          }
          if (nl - pos > this.limits.maxInline) throw new ProtocolError('too big inline request');
          const end = nl > pos && buf[nl - 1] === CR ? nl - 1 : nl;
          const words = splitInline(buf, pos, end);
          pos = nl + 1;
          if (words.length > 0) {
            const args = this.#args;
            for (const w of words) args.push(w, 0, w.length);
            let go: boolean | void;
            try {
              go = onCommand(args);
            } finally {
              args.clear();
            }
            if (go === false) this.#stop = true;
          }
        }
        continue;
      }
      if (this.#bulkLength < 0) {
        // The `$<len>\r\n` header of the next argument.
        if (buf[pos] !== 0x24 /* '$' */) {
          throw new ProtocolError(`expected '$', got '${String.fromCharCode(buf[pos]!)}'`);
        }
        let len: number | null = fastHeader(buf, pos, length, this.limits.maxInline);
        let next = headerEnd;
        if (len !== len) {
          const eol = findLineEnd(buf, pos, this.limits.maxInline, 'too big bulk count string');
          if (eol < 0) break;
          len = parseDecimal(buf, pos + 1, eol);
          next = eol + 2;
        }
        if (len === null || len < 0 || len > this.limits.maxBulk) throw new ProtocolError('invalid bulk length');
        this.#requestBytes += len + this.limits.argOverhead;
        if (this.#requestBytes > this.limits.maxRequest) throw new ProtocolError('request too big');
        this.#bulkLength = len;
        pos = next;
      }
      const len = this.#bulkLength;
      if (length - pos < len + 2) {
        // The bulk string is not all here. A big one collects its pieces
        // (no re-concatenation per read); a small one stays in #rest.
        if (len >= 16 * 1024) {
          this.#ownArgs();
          this.#restLength = 0;
          this.#bulkParts.push(Buffer.from(buf.subarray(pos)));
          this.#bulkHave = length - pos;
          return;
        }
        break;
      }
      if (buf[pos + len] !== CR || buf[pos + len + 1] !== LF) throw new ProtocolError("expected '\\r\\n' after bulk string");
      const start = pos;
      pos += len + 2;
      this.#pushArg(buf, start, start + len, onCommand);
    }
    // Arguments of an unfinished request must outlive `chunk` (and the
    // rest buffer, whose bytes move): copy them first.
    if (this.#remaining > 0) this.#ownArgs();
    if (buf === chunk) {
      this.#restLength = 0;
      if (pos < length) this.#appendRest(chunk, pos);
    } else {
      // buf is the rest buffer: keep its unparsed tail at the front.
      this.#rest!.copyWithin(0, pos, length);
      this.#restLength = length - pos;
    }
    if (this.#restLength === 0 && this.#rest !== undefined && this.#rest.length > 64 * 1024) this.#rest = undefined;
  }

  #appendRest(bytes: Buffer, from: number): void {
    const n = bytes.length - from;
    const need = this.#restLength + n;
    if (this.#rest === undefined || this.#rest.length < need) {
      const next = Buffer.allocUnsafe(Math.max(need, 2 * (this.#rest?.length ?? 0), 1024));
      if (this.#rest !== undefined) this.#rest.copy(next, 0, 0, this.#restLength);
      this.#rest = next;
    }
    bytes.copy(this.#rest, this.#restLength, from);
    this.#restLength = need;
  }

  /** Add one decoded argument; run the command when it was the last. */
  #pushArg(buf: Buffer, start: number, end: number, onCommand: (args: RespArgs) => boolean | void): boolean {
    const args = this.#args;
    args.push(buf, start, end);
    this.#bulkLength = -1;
    if (--this.#remaining > 0) return false;
    this.#owned = 0;
    let go: boolean | void;
    try {
      go = onCommand(args);
    } finally {
      args.clear();
    }
    if (go === false) this.#stop = true;
    return true;
  }

  /** Copy the arguments that are still views of the caller's chunk (before it goes away). */
  #ownArgs(): void {
    this.#args.own(this.#owned);
    this.#owned = this.#args.length;
  }
}

/** Where the last successful {@link fastHeader} ended (the byte after its LF). */
let headerEnd = 0;

/**
 * The common `*`/`$` header, read in one pass without a native indexOf: an
 * optional '-', 1 to 18 characters of number, CRLF, all in `buf`. Returns
 * its value and sets `headerEnd` past it; NaN for anything else (cut short,
 * too long, malformed, longer than `max`), and then the careful path (findLineEnd,
 * parseDecimal) decides, so both give the same values and the same errors.
 */
function fastHeader(buf: Buffer, pos: number, length: number, max: number): number {
  let i = pos + 1;
  const negative = i < length && buf[i] === 0x2d;
  if (negative) i++;
  let n = 0;
  const digitsStart = i;
  // parseDecimal takes at most 18 characters, the sign included.
  for (const stop = Math.min(length, pos + 19); i < stop; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  // A line longer than the limit (a tiny configured maxInline) is the careful path's error to give.
  if (i === digitsStart || i + 1 >= length || buf[i] !== CR || buf[i + 1] !== LF || i + 1 - pos > max) return Number.NaN;
  headerEnd = i + 2;
  return negative ? -n : n;
}

/** Index of the CR of a CRLF-terminated header line starting at `pos`, or -1 if not all here. */
function findLineEnd(buf: Buffer, pos: number, max: number, tooBig: string): number {
  const nl = buf.indexOf(LF, pos);
  if (nl < 0) {
    if (buf.length - pos > max) throw new ProtocolError(tooBig);
    return -1;
  }
  if (nl - pos > max) throw new ProtocolError(tooBig);
  // Redis accepts a header ending in a bare LF? No: it looks for CR, then expects LF.
  if (nl === pos || buf[nl - 1] !== CR) throw new ProtocolError(buf[pos] === 0x2a ? 'invalid multibulk length' : 'invalid bulk length');
  return nl - 1;
}

/** A decimal integer (optional '-') in buf[start, end), or null. */
function parseDecimal(buf: Buffer, start: number, end: number): number | null {
  if (start >= end || end - start > 18) return null;
  let i = start;
  let negative = false;
  if (buf[i] === 0x2d) {
    negative = true;
    i++;
    if (i === end) return null;
  }
  let n = 0;
  for (; i < end; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return negative ? -n : n;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/**
 * An inline command line split into arguments as Redis's sdssplitargs does:
 * blanks separate; "double quotes" take \n \r \t \b \a \\ \" \xHH escapes;
 * 'single quotes' take \'; a closing quote must be followed by a blank.
 */
export function splitInline(buf: Buffer, start: number, end: number): Buffer[] {
  const args: Buffer[] = [];
  let i = start;
  for (;;) {
    while (i < end && isSpace(buf[i]!)) i++;
    if (i >= end) return args;
    const bytes: number[] = [];
    let inDouble = false;
    let inSingle = false;
    let plainStart = i;
    let plain = true; // no quotes seen: the argument is a plain slice
    for (;;) {
      if (inDouble) {
        if (i >= end) throw new ProtocolError('unbalanced quotes in request');
        const c = buf[i]!;
        if (c === 0x5c && i + 3 < end && buf[i + 1] === 0x78 && hexValue(buf[i + 2]!) >= 0 && hexValue(buf[i + 3]!) >= 0) {
          bytes.push(hexValue(buf[i + 2]!) * 16 + hexValue(buf[i + 3]!));
          i += 4;
          continue;
        }
        if (c === 0x5c && i + 1 < end) {
          const e = buf[i + 1]!;
          bytes.push(e === 0x6e ? 10 : e === 0x72 ? 13 : e === 0x74 ? 9 : e === 0x62 ? 8 : e === 0x61 ? 7 : e);
          i += 2;
          continue;
        }
        if (c === 0x22) {
          if (i + 1 < end && !isSpace(buf[i + 1]!)) throw new ProtocolError('unbalanced quotes in request');
          i++;
          break;
        }
        bytes.push(c);
        i++;
      } else if (inSingle) {
        if (i >= end) throw new ProtocolError('unbalanced quotes in request');
        const c = buf[i]!;
        if (c === 0x5c && i + 1 < end && buf[i + 1] === 0x27) {
          bytes.push(0x27);
          i += 2;
          continue;
        }
        if (c === 0x27) {
          if (i + 1 < end && !isSpace(buf[i + 1]!)) throw new ProtocolError('unbalanced quotes in request');
          i++;
          break;
        }
        bytes.push(c);
        i++;
      } else {
        if (i >= end || isSpace(buf[i]!)) break;
        const c = buf[i]!;
        if (c === 0x22 || c === 0x27) {
          if (plain) {
            for (let j = plainStart; j < i; j++) bytes.push(buf[j]!);
            plain = false;
          }
          if (c === 0x22) inDouble = true;
          else inSingle = true;
          i++;
          continue;
        }
        if (!plain) bytes.push(c);
        i++;
      }
    }
    args.push(plain ? buf.subarray(plainStart, i) : Buffer.from(bytes));
    plainStart = i;
  }
}

// ---------------------------------------------------------------- encoding

/** A request as clients send it: an array of bulk strings. */
export function encodeCommand(args: ReadonlyArray<Uint8Array | string>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`, 'latin1')];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'utf8') : Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    parts.push(Buffer.from(`$${b.length}\r\n`, 'latin1'), b, CRLF);
  }
  return Buffer.concat(parts);
}

const CRLF = Buffer.from('\r\n', 'latin1');

/** Simple strings and errors are one line each: CR and LF become blanks. */
const oneLine = (s: string): string => (s.includes('\r') || s.includes('\n') ? s.replace(/[\r\n]/g, ' ') : s);

/**
 * Replies of one read, built into one growing scratch buffer and taken out
 * as one Buffer (`take()`), so pipelined replies leave in one write. The
 * scratch buffer is reused (one per server): `take()` copies.
 */
export class ReplyWriter {
  #buf = Buffer.allocUnsafe(16 * 1024);
  #len = 0;

  get length(): number {
    return this.#len;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#len + n));
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }

  #ascii(s: string): void {
    this.#reserve(s.length);
    this.#len += this.#buf.write(s, this.#len, 'latin1');
  }

  raw(b: Uint8Array): void {
    this.#reserve(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  /** `+s`: one line, so CR and LF in `s` are blanked (a raw CRLF would end the reply early). */
  simple(s: string): void {
    this.#ascii(`+${oneLine(s)}\r\n`);
  }

  /** `-s`: one line, so CR and LF in `s` (a quoted key, say) are blanked. */
  error(s: string): void {
    this.#ascii(`-${oneLine(s)}\r\n`);
  }

  integer(n: number | bigint): void {
    this.#ascii(`:${n}\r\n`);
  }

  bulk(b: Uint8Array | null): void {
    if (b === null) {
      this.#ascii('$-1\r\n');
      return;
    }
    // `$<length>\r\n<bytes>\r\n` written byte by byte: a template string
    // and a latin1 write cost more than the small values they frame.
    const n = b.length;
    this.#reserve(n + 24);
    const buf = this.#buf;
    let at = this.#len;
    buf[at++] = 0x24; // '$'
    at = writeDecimal(buf, at, n);
    buf[at++] = CR;
    buf[at++] = LF;
    buf.set(b, at);
    at += n;
    buf[at++] = CR;
    buf[at++] = LF;
    this.#len = at;
  }

  arrayHeader(n: number): void {
    this.#ascii(`*${n}\r\n`);
  }

  /** The replies so far as an owned Buffer (null if none); the writer starts over. */
  take(): Buffer | null {
    if (this.#len === 0) return null;
    const out = Buffer.allocUnsafe(this.#len);
    this.#buf.copy(out, 0, 0, this.#len);
    this.#len = 0;
    // Do not keep a huge scratch buffer after one big reply.
    if (this.#buf.length > 1024 * 1024) this.#buf = Buffer.allocUnsafe(16 * 1024);
    return out;
  }
}

/** The digits of a non-negative integer `n` into `buf` at `at`; returns the index after them. */
function writeDecimal(buf: Buffer, at: number, n: number): number {
  let digits = 1;
  for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
  for (let i = at + digits - 1; i >= at; i--) {
    buf[i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return at + digits;
}

/** A decoded reply (for tests and clients). */
export type Reply = string | number | Buffer | null | Error | Reply[];

/**
 * Parse one reply at `pos`: `{ value, end }`, or null if it is not all here.
 * Simple strings are strings, errors are Error, bulks are Buffers.
 */
export function parseReply(buf: Buffer, pos = 0): { value: Reply; end: number } | null {
  if (pos >= buf.length) return null;
  const nl = buf.indexOf('\r\n', pos, 'latin1');
  if (nl < 0) return null;
  const line = buf.toString('latin1', pos + 1, nl);
  const type = buf[pos];
  const next = nl + 2;
  switch (type) {
    case 0x2b: return { value: line, end: next };
    case 0x2d: return { value: new Error(line), end: next };
    case 0x3a: return { value: Number(line), end: next };
    case 0x24: {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return null;
      return { value: Buffer.from(buf.subarray(next, next + len)), end: next + len + 2 };
    }
    case 0x2a: {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const items: Reply[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, p);
        if (r === null) return null;
        items.push(r.value);
        p = r.end;
      }
      return { value: items, end: p };
    }
    default:
      throw new Error(`bad reply type byte ${type}`);
  }
}
