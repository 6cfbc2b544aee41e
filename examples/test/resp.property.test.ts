import fc from 'fast-check';
import { encodeCommand, parseReply, ProtocolError, ReplyWriter, RespParser, type Limits, type Reply } from '../dist/resp';
import { RUNS, splitAt } from '@reactor/testing';

/** Small limits, so that over-limit input is cheap to make. */
const SMALL: Partial<Limits> = { maxInline: 64, maxBulk: 256, maxRequest: 1024, maxArrayElements: 16, argOverhead: 8 };

const bin = (s: string): Buffer => Buffer.from(s, 'latin1');

interface Outcome {
  commands: string[][];
  /** The ProtocolError's message, if the stream was refused. */
  error?: string;
  /** The most bytes the parser held after any feed. */
  maxBuffered: number;
}

/**
 * Feed `pieces` in order, each from a scratch buffer that is clobbered after
 * the feed (as the loop's read buffer is), until a ProtocolError.
 */
function parse(pieces: Buffer[], limits: Partial<Limits> = {}): Outcome {
  const parser = new RespParser(limits);
  const out: Outcome = { commands: [], maxBuffered: 0 };
  const scratch = Buffer.alloc(Math.max(1, ...pieces.map((p) => p.length)));
  for (const piece of pieces) {
    piece.copy(scratch);
    try {
      parser.feed(scratch.subarray(0, piece.length), (args) => void out.commands.push(args.map((a) => a.toString('latin1'))));
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      out.error = error.message;
      return out;
    }
    scratch.fill(0xee);
    out.maxBuffered = Math.max(out.maxBuffered, parser.buffered);
  }
  return out;
}

/** Protocol-looking tokens, so that random streams get deep into the parser's states. */
const token = fc.oneof(
  fc.constantFrom('*', '$', '\r\n', '\n', '\r', '"', "'", '\\', '\\x4', '\\x41', ' ', '-', '0', '1', '2', '3', '9', '99999', 'PING', 'SET', '*2\r\n', '$3\r\n', '$300\r\n'),
  fc.uint8Array({ maxLength: 6 }).map((a) => Buffer.from(a).toString('latin1')),
);
const garbage = fc.array(token, { maxLength: 60 }).map((t) => bin(t.join('')));
const cuts = fc.array(fc.nat(), { maxLength: 8 });

describe('RESP request parser, properties', () => {
  test('any byte stream, split anywhere: the same commands and the same verdict as in one piece', () => {
    fc.assert(
      fc.property(garbage, cuts, (wire, at) => {
        const whole = parse([wire], SMALL);
        const pieces = parse(splitAt(wire, at), SMALL);
        expect(pieces.commands).toEqual(whole.commands);
        expect(pieces.error).toBe(whole.error);
      }),
      { numRuns: RUNS.pure * 5 },
    );
  });

  test('array and inline commands mixed, big bulks (the collect-in-pieces path) included, split anywhere: parsed as sent', () => {
    const arg = fc.oneof(
      { weight: 4, arbitrary: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)) },
      // ≥ 16 KiB: collected in pieces across feeds rather than in the rest buffer.
      { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 16 * 1024 - 2, max: 40 * 1024 }), fc.integer({ min: 0, max: 255 })).map(([n, b]) => Buffer.alloc(n, b)) },
    );
    const array = fc.array(arg, { minLength: 1, maxLength: 5 }).map((args) => ({ wire: encodeCommand(args), args: args.map((a) => a.toString('latin1')) }));
    const word = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,12}$/);
    const inline = fc.array(word, { minLength: 1, maxLength: 4 }).map((words) => ({ wire: bin(`${words.join(' ')}\r\n`), args: words }));
    fc.assert(
      fc.property(fc.array(fc.oneof(array, inline), { minLength: 1, maxLength: 6 }), cuts, (commands, at) => {
        const wire = Buffer.concat(commands.map((c) => c.wire));
        const outcome = parse(splitAt(wire, at));
        expect(outcome.error).toBeUndefined();
        expect(outcome.commands).toEqual(commands.map((c) => c.args));
      }),
      { numRuns: RUNS.kernel },
    );
  });

  test('a ProtocolError reply is one line: -ERR Protocol error: …\\r\\n with no other CR or LF (it quoted raw CR/LF from the input)', () => {
    fc.assert(
      fc.property(garbage, (wire) => {
        const parser = new RespParser(SMALL);
        try {
          parser.feed(wire, () => undefined);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
          const reply = (error as ProtocolError).reply().toString('latin1');
          expect(reply.startsWith('-ERR Protocol error: ')).toBe(true);
          expect(reply.endsWith('\r\n')).toBe(true);
          expect(reply.slice(0, -2)).not.toMatch(/[\r\n]/);
          // A client reads exactly one error reply from it.
          const parsed = parseReply(Buffer.from(reply, 'latin1'));
          expect(parsed?.end).toBe(reply.length);
          expect(parsed?.value).toBeInstanceOf(Error);
        }
      }),
      { numRuns: RUNS.pure * 3 },
    );
    // The known case: an array element that starts with CR instead of '$'.
    expect(() => new RespParser().feed(bin('*1\r\n\r\n'), () => undefined)).toThrow("expected '$', got ' '");
  });

  test('held memory is bounded by the limits whatever arrives: one request, plus one header line', () => {
    const bound = SMALL.maxRequest! + SMALL.maxInline! + 2;
    fc.assert(
      fc.property(garbage, cuts, (wire, at) => {
        expect(parse(splitAt(wire, at), SMALL).maxBuffered).toBeLessThanOrEqual(bound);
      }),
      { numRuns: RUNS.pure * 3 },
    );
  });

  test('oversized input is refused as soon as it is known to be too big, not buffered', () => {
    const over = fc.integer({ min: 1, max: 1_000_000 });
    fc.assert(
      fc.property(over, fc.constantFrom('bulk', 'count', 'inline', 'header'), (extra, kind) => {
        let wire: Buffer;
        let message: string;
        if (kind === 'bulk') {
          // The header alone is enough: the announced bytes never need to arrive.
          wire = bin(`*1\r\n$${SMALL.maxBulk! + extra}\r\n`);
          message = 'invalid bulk length';
        } else if (kind === 'count') {
          wire = bin(`*${SMALL.maxArrayElements! + extra}\r\n`);
          message = 'invalid multibulk length';
        } else if (kind === 'inline') {
          // No LF yet, and already longer than a line may be.
          wire = Buffer.alloc(SMALL.maxInline! + 1 + (extra % 1000), 'a');
          message = 'too big inline request';
        } else {
          wire = Buffer.concat([bin('*1\r\n$'), Buffer.alloc(SMALL.maxInline! + (extra % 1000), '1')]);
          message = 'too big bulk count string';
        }
        const outcome = parse(splitAt(wire, [extra]), SMALL);
        expect(outcome.error).toBe(message);
        expect(outcome.maxBuffered).toBeLessThanOrEqual(SMALL.maxInline! + 2);
      }),
      { numRuns: RUNS.pure },
    );
  });

  test('a request of many arguments whose bytes sum past maxRequest is refused once the sum passes it', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: SMALL.maxBulk! }), { minLength: 1, maxLength: SMALL.maxArrayElements! }), (sizes) => {
        const wire = encodeCommand(sizes.map((n) => Buffer.alloc(n, 'v')));
        const total = sizes.reduce((sum, n) => sum + n + SMALL.argOverhead!, 0);
        const outcome = parse([wire], SMALL);
        if (total > SMALL.maxRequest!) expect(outcome.error).toBe('request too big');
        else expect(outcome.commands).toHaveLength(1);
      }),
      { numRuns: RUNS.pure },
    );
  });
});

describe('RESP reply encoders, properties', () => {
  /** Simple strings and errors are latin1 text on one line. */
  const line = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 40 });
  type Item = { kind: 'simple' | 'error'; text: string } | { kind: 'integer'; n: bigint } | { kind: 'bulk'; b: Buffer | null } | { kind: 'array'; items: Item[] };
  const { item } = fc.letrec<{ item: Item }>((tie) => ({
    item: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      line.map((text) => ({ kind: 'simple' as const, text })),
      line.map((text) => ({ kind: 'error' as const, text })),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => ({ kind: 'integer' as const, n })),
      fc.option(fc.uint8Array({ maxLength: 60 }).map((a) => Buffer.from(a))).map((b) => ({ kind: 'bulk' as const, b })),
      fc.array(tie('item'), { maxLength: 4 }).map((items) => ({ kind: 'array' as const, items })),
    ),
  }));

  function write(out: ReplyWriter, it: Item): void {
    if (it.kind === 'simple') out.simple(it.text);
    else if (it.kind === 'error') out.error(it.text);
    else if (it.kind === 'integer') out.integer(it.n);
    else if (it.kind === 'bulk') out.bulk(it.b);
    else {
      out.arrayHeader(it.items.length);
      it.items.forEach((i) => write(out, i));
    }
  }

  /** What a client decodes: CR and LF of one-line replies come back as blanks. */
  function expected(it: Item): Reply {
    if (it.kind === 'simple') return it.text.replace(/[\r\n]/g, ' ');
    if (it.kind === 'error') return new Error(it.text.replace(/[\r\n]/g, ' '));
    if (it.kind === 'integer') return Number(it.n);
    if (it.kind === 'bulk') return it.b;
    return it.items.map(expected);
  }

  test('any replies written, then parsed: the same values, one reply each, nothing left over', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 6 }), (items) => {
        const out = new ReplyWriter();
        items.forEach((it) => write(out, it));
        const wire = out.take() ?? Buffer.alloc(0);
        const got: Reply[] = [];
        let pos = 0;
        while (pos < wire.length) {
          const r = parseReply(wire, pos);
          expect(r).not.toBeNull();
          got.push(r!.value);
          pos = r!.end;
        }
        expect(got).toEqual(items.map(expected));
        // A proper prefix is "not all here" (null) or the first replies whole, never a wrong value.
        for (let cut = 0; cut < wire.length; cut += Math.max(1, Math.floor(wire.length / 9))) {
          const r = parseReply(wire.subarray(0, cut), 0);
          if (r !== null) {
            expect(r.end).toBeLessThanOrEqual(cut);
            expect(r.value).toEqual(got[0]);
          }
        }
      }),
      { numRuns: RUNS.pure },
    );
  });
});
