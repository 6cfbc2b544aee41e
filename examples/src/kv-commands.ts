/**
 * The kv examples' store and command table, shared by the reactor server
 * (kv.ts) and the node:net one (kv-node.ts): they differ only in I/O.
 *
 * Keys and values are binary-safe: values are Buffers, keys are the same
 * bytes as a latin1 string (one char per byte) for the Map.
 */
import { ProtocolError, ReplyWriter, RespArgs, RespParser } from './resp';

interface Entry {
  value: Buffer;
  /** Date.now() ms after which the key is gone; 0: never. */
  expiresAt: number;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export class KvStore {
  readonly map = new Map<string, Entry>();
  /** Keys with a deadline, swept a few at a time by `sweep()` (and checked on every access). */
  readonly #expiring = new Map<string, number>();
  #sweepIterator: Iterator<[string, number]> | undefined;

  get(key: string, now = Date.now()): Entry | undefined {
    const entry = this.map.get(key);
    if (entry !== undefined && entry.expiresAt !== 0 && entry.expiresAt <= now) {
      this.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, value: Buffer, expiresAt = 0): void {
    this.map.set(key, { value, expiresAt });
    if (expiresAt !== 0) this.#expiring.set(key, expiresAt);
    else if (this.#expiring.size > 0) this.#expiring.delete(key);
  }

  delete(key: string): boolean {
    this.#expiring.delete(key);
    return this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
    this.#expiring.clear();
    this.#sweepIterator = undefined;
  }

  /**
   * Active expiry: look at up to `budget` keys with a deadline, carrying on
   * where the last sweep stopped, and drop the expired ones. Run it from a
   * timer so keys nobody reads again do not stay forever.
   */
  sweep(budget = 200, now = Date.now()): number {
    let removed = 0;
    for (let i = 0; i < budget; i++) {
      this.#sweepIterator ??= this.#expiring.entries();
      const next = this.#sweepIterator.next();
      if (next.done === true) {
        this.#sweepIterator = undefined;
        break;
      }
      const [key, deadline] = next.value;
      if (deadline <= now) {
        this.delete(key);
        removed++;
      }
    }
    return removed;
  }
}

/** What the connection must do after a batch of commands. */
export enum After {
  Continue = 0,
  /** QUIT, or a protocol error: send the replies, then close. */
  Close = 1,
}

type Handler = (store: KvStore, args: RespArgs, out: ReplyWriter) => After | void;

interface CommandSpec {
  /** Redis's arity: n exact arguments (name included), -n at least n. */
  arity: number;
  run: Handler;
}

const OK = Buffer.from('+OK\r\n');

/** A decimal int64 in latin1 text (a stored value, or an argument), or null. */
function parseInt64(s: string): bigint | null {
  if (s.length === 0 || s.length > 20 || !/^(0|-?[1-9][0-9]*)$/.test(s)) return null;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? null : n;
}

function incrBy(store: KvStore, k: string, by: bigint, out: ReplyWriter): void {
  const entry = store.get(k);
  let current = 0n;
  if (entry !== undefined) {
    const parsed = parseInt64(entry.value.toString('latin1'));
    if (parsed === null) {
      out.error('ERR value is not an integer or out of range');
      return;
    }
    current = parsed;
  }
  const next = current + by;
  if (next < INT64_MIN || next > INT64_MAX) {
    out.error('ERR increment or decrement would overflow');
    return;
  }
  // INCR keeps the key's time to live, as Redis does.
  store.set(k, Buffer.from(next.toString(), 'latin1'), entry?.expiresAt ?? 0);
  out.integer(next);
}

function ttl(store: KvStore, args: RespArgs, out: ReplyWriter, unit: number): void {
  const entry = store.get(args.latin1(1));
  if (entry === undefined) out.integer(-2);
  else if (entry.expiresAt === 0) out.integer(-1);
  else out.integer(Math.max(0, Math.round((entry.expiresAt - Date.now()) / unit)));
}

/** The command table: lower-case name → arity and handler. */
export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map<string, CommandSpec>([
  ['ping', { arity: -1, run: (_s, args, out) => {
    if (args.length > 2) return void out.error("ERR wrong number of arguments for 'ping' command");
    if (args.length === 2) out.bulk(args.view(1));
    else out.simple('PONG');
  } }],
  ['echo', { arity: 2, run: (_s, args, out) => out.bulk(args.view(1)) }],
  ['get', { arity: 2, run: (s, args, out) => out.bulk(s.get(args.latin1(1))?.value ?? null) }],
  ['set', { arity: -3, run: (s, args, out) => {
    let expiresAt = 0;
    let nx = false;
    let xx = false;
    let get = false;
    for (let i = 3; i < args.length; i++) {
      const opt = args.latin1(i).toLowerCase();
      if (opt === 'nx' && !xx) nx = true;
      else if (opt === 'xx' && !nx) xx = true;
      else if (opt === 'get') get = true;
      else if ((opt === 'ex' || opt === 'px') && expiresAt === 0 && i + 1 < args.length) {
        const n = parseInt64(args.latin1(++i));
        if (n === null) return void out.error('ERR value is not an integer or out of range');
        if (n <= 0n || n > 2n ** 46n) return void out.error("ERR invalid expire time in 'set' command");
        expiresAt = Date.now() + Number(n) * (opt === 'ex' ? 1000 : 1);
      } else return void out.error('ERR syntax error');
    }
    const k = args.latin1(1);
    // The old entry matters only to NX, XX and GET: a plain SET skips the lookup.
    const old = nx || xx || get ? s.get(k) : undefined;
    if ((nx && old !== undefined) || (xx && old === undefined)) {
      if (get) out.bulk(old?.value ?? null);
      else out.bulk(null);
      return;
    }
    // The value is a view of the read buffer: the store keeps a copy.
    s.set(k, args.copy(2), expiresAt);
    if (get) out.bulk(old?.value ?? null);
    else out.raw(OK);
  } }],
  ['del', { arity: -2, run: (s, args, out) => {
    let n = 0;
    for (let i = 1; i < args.length; i++) if (s.get(args.latin1(i)) !== undefined && s.delete(args.latin1(i))) n++;
    out.integer(n);
  } }],
  ['exists', { arity: -2, run: (s, args, out) => {
    let n = 0;
    for (let i = 1; i < args.length; i++) if (s.get(args.latin1(i)) !== undefined) n++;
    out.integer(n);
  } }],
  ['incr', { arity: 2, run: (s, args, out) => incrBy(s, args.latin1(1), 1n, out) }],
  ['decr', { arity: 2, run: (s, args, out) => incrBy(s, args.latin1(1), -1n, out) }],
  ['incrby', { arity: 3, run: (s, args, out) => {
    const by = parseInt64(args.latin1(2));
    if (by === null) return void out.error('ERR value is not an integer or out of range');
    incrBy(s, args.latin1(1), by, out);
  } }],
  ['decrby', { arity: 3, run: (s, args, out) => {
    const by = parseInt64(args.latin1(2));
    if (by === null || by === INT64_MIN) return void out.error('ERR value is not an integer or out of range');
    incrBy(s, args.latin1(1), -by, out);
  } }],
  ['mget', { arity: -2, run: (s, args, out) => {
    out.arrayHeader(args.length - 1);
    const now = Date.now();
    for (let i = 1; i < args.length; i++) out.bulk(s.get(args.latin1(i), now)?.value ?? null);
  } }],
  ['mset', { arity: -3, run: (s, args, out) => {
    if (args.length % 2 === 0) return void out.error("ERR wrong number of arguments for 'mset' command");
    for (let i = 1; i < args.length; i += 2) s.set(args.latin1(i), args.copy(i + 1));
    out.raw(OK);
  } }],
  ['ttl', { arity: 2, run: (s, args, out) => ttl(s, args, out, 1000) }],
  ['pttl', { arity: 2, run: (s, args, out) => ttl(s, args, out, 1) }],
  ['dbsize', { arity: 1, run: (s, _args, out) => out.integer(s.size) }],
  ['flushall', { arity: -1, run: (s, _args, out) => { s.clear(); out.raw(OK); } }],
  ['flushdb', { arity: -1, run: (s, _args, out) => { s.clear(); out.raw(OK); } }],
  ['select', { arity: 2, run: (_s, args, out) => {
    if (parseInt64(args.latin1(1)) === null) out.error('ERR value is not an integer or out of range');
    else if (args.latin1(1) !== '0') out.error('ERR DB index is out of range');
    else out.raw(OK);
  } }],
  // What redis-cli and redis-benchmark ask on connect: harmless answers.
  ['command', { arity: -1, run: (_s, args, out) => {
    const sub = args.length > 1 ? args.latin1(1).toLowerCase() : '';
    if (sub === 'count') out.integer(COMMANDS.size);
    else out.arrayHeader(0); // COMMAND, COMMAND DOCS …: no documentation here
  } }],
  ['config', { arity: -2, run: (_s, args, out) => {
    const sub = args.latin1(1).toLowerCase();
    if (sub !== 'get') return void out.raw(OK); // CONFIG SET / RESETSTAT: accepted, ignored
    // redis-benchmark asks for save and appendonly and warns if it gets nothing.
    const known: Record<string, string> = { save: '', appendonly: 'no' };
    const pairs: string[] = [];
    for (let i = 2; i < args.length; i++) {
      const name = args.latin1(i).toLowerCase();
      if (name in known) pairs.push(name, known[name]!);
    }
    out.arrayHeader(pairs.length);
    for (const p of pairs) out.bulk(Buffer.from(p, 'latin1'));
  } }],
  ['client', { arity: -2, run: (_s, _args, out) => out.raw(OK) }],
  ['info', { arity: -1, run: (s, _args, out) => out.bulk(Buffer.from(`# Server\r\nredis_version:7.0.0\r\n# Keyspace\r\ndb0:keys=${s.size},expires=0\r\n`, 'latin1')) }],
  ['quit', { arity: -1, run: (_s, _args, out) => { out.raw(OK); return After.Close; } }],
]);

function unknownCommand(args: RespArgs, out: ReplyWriter): void {
  // Redis 7's text (names and arguments cut at 128 bytes).
  let text = `ERR unknown command '${args.latin1(0).slice(0, 128)}', with args beginning with: `;
  for (let i = 1; i < args.length && text.length < 128; i++) text += `'${args.latin1(i).slice(0, 128)}' `;
  out.error(text.replace(/[\r\n]/g, ' '));
}

/**
 * Names of up to 6 letters as a number, 5 bits a letter, case folded:
 * `a`/`A` is 1 … `z`/`Z` is 26. Every command name here is lower-case
 * letters only, so a name that holds anything else is -1 (not one of them).
 */
function letterCode(args: RespArgs, arg: number): number {
  const length = args.byteLength(arg);
  if (length > 6) return -1;
  let code = 0;
  for (let i = length - 1; i >= 0; i--) {
    const c = args.byteAt(arg, i) | 0x20; // upper-case letters to lower-case (and other bytes somewhere harmless)
    if (c < 0x61 || c > 0x7a) return -1;
    code = code * 32 + (c - 0x60);
  }
  return code;
}

/** The commands with short names by letter code: found without making a string per request. */
const BY_CODE = new Map<number, CommandSpec>(
  [...COMMANDS].filter(([name]) => name.length <= 6).map(([name, spec]) => {
    const one = new RespArgs();
    one.push(Buffer.from(name, 'latin1'), 0, name.length);
    return [letterCode(one, 0), spec];
  }),
);

/** Run one command; the reply goes to `out`. */
export function execute(store: KvStore, args: RespArgs, out: ReplyWriter): After {
  const code = letterCode(args, 0);
  const spec = code >= 0 ? BY_CODE.get(code) : COMMANDS.get(args.byteLength(0) <= 16 ? args.latin1(0).toLowerCase() : '');
  if (spec === undefined) {
    unknownCommand(args, out);
    return After.Continue;
  }
  if ((spec.arity > 0 && args.length !== spec.arity) || args.length < -spec.arity) {
    out.error(`ERR wrong number of arguments for '${args.latin1(0).toLowerCase()}' command`);
    return After.Continue;
  }
  return spec.run(store, args, out) ?? After.Continue;
}

/** Reply bytes one `KvSession.feed` makes at most (past it, the rest of the pipeline waits). */
export const REPLY_BUDGET = 1024 * 1024;

export const EMPTY = Buffer.alloc(0);

/**
 * One client's protocol state: parse what arrived, run every complete
 * command, and return all their replies as one Buffer. Shared by both servers.
 */
export class KvSession {
  readonly #parser = new RespParser();
  readonly #store: KvStore;
  readonly #out: ReplyWriter;
  /** Set once QUIT or a protocol error was answered: ignore what follows. */
  closing = false;

  constructor(store: KvStore, out: ReplyWriter) {
    this.#store = store;
    this.#out = out;
  }

  /** The parser's callback (made once, not per feed). */
  readonly #run = (args: RespArgs): boolean => {
    if (this.closing) return false;
    const out = this.#out;
    if (execute(this.#store, args, out) === After.Close) this.closing = true;
    // Stop parsing at QUIT: bytes after it are not looked at (a malformed
    // tail added a protocol error after +OK, but only when it arrived in the same read).
    return !this.closing && out.length < REPLY_BUDGET;
  };

  /**
   * Feed bytes; returns the replies (or null), whether to close after
   * sending them, and whether commands are left to run (`more`): replies
   * stop at REPLY_BUDGET bytes per call, so one read full of `GET big` cannot
   * make gigabytes of replies at once. Call `feed(EMPTY)` after the
   * connection drained to go on.
   */
  feed(chunk: Buffer): { reply: Buffer | null; close: boolean; more: boolean } {
    if (this.closing) return { reply: null, close: true, more: false };
    const out = this.#out;
    try {
      this.#parser.feedArgs(chunk, this.#run);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      out.raw(error.reply());
      this.closing = true;
    }
    return { reply: out.take(), close: this.closing, more: !this.closing && this.#parser.pending };
  }
}
