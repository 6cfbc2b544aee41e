import fc from 'fast-check';
import { HttpError, MAX_BODY_BYTES, MAX_HEAD_BYTES, parseRequest, type RequestHead } from '../dist/http-parser';
import { RUNS, splitAt } from '@reactor/testing';

const bin = (s: string): Buffer => Buffer.from(s, 'latin1');

type Verdict = { head: RequestHead } | { status: number; message: string } | null;

function verdict(buf: Buffer): Verdict {
  try {
    const head = parseRequest(buf);
    return head === null ? null : { head };
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return { status: error.status, message: error.message };
  }
}

/**
 * What the responder does with a byte stream arriving in `pieces`: keep the
 * unparsed tail, frame every complete request, stop at the first error.
 */
function frame(pieces: Buffer[]): { heads: RequestHead[]; error?: number } {
  const heads: RequestHead[] = [];
  let pending = Buffer.alloc(0);
  for (const piece of pieces) {
    pending = Buffer.concat([pending, piece]);
    for (;;) {
      const v = verdict(pending);
      if (v === null) break;
      if ('status' in v) return { heads, error: v.status };
      heads.push(v.head);
      pending = pending.subarray(v.head.length);
    }
  }
  return { heads };
}

const method = fc.constantFrom('GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS');
const target = fc.stringMatching(/^\/[\x21-\x7e]{0,40}$/);
const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/).filter((n) => !['content-length', 'transfer-encoding', 'connection'].includes(n.toLowerCase()));
const headerValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/);
const request = fc
  .record({
    method,
    target,
    minor: fc.constantFrom('0', '1'),
    headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 5 }),
    connection: fc.constantFrom(undefined, 'close', 'keep-alive', 'Keep-Alive', 'upgrade'),
    body: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
  })
  .map((r) => {
    const lines = [`${r.method} ${r.target} HTTP/1.${r.minor}`, ...r.headers.map(([n, v]) => `${n}: ${v}`)];
    if (r.connection !== undefined) lines.push(`Connection: ${r.connection}`);
    if (r.body !== undefined) lines.push(`Content-Length: ${r.body.length}`);
    const wire = Buffer.concat([bin(`${lines.join('\r\n')}\r\n\r\n`), Buffer.from(r.body ?? [])]);
    const keepAlive = r.connection === 'close' ? false : r.connection?.toLowerCase() === 'keep-alive' ? true : r.minor === '1';
    return { wire, expected: { method: r.method, target: r.target, version: `1.${r.minor}`, keepAlive, length: wire.length } as RequestHead };
  });

describe('HTTP request framer, properties', () => {
  test('any valid request: parsed as written, and every proper prefix says "need more" (null)', () => {
    fc.assert(
      fc.property(request, ({ wire, expected }) => {
        expect(parseRequest(wire)).toEqual(expected);
        const answered: number[] = [];
        for (let cut = 0; cut < wire.length; cut++) if (parseRequest(wire.subarray(0, cut)) !== null) answered.push(cut);
        expect(answered).toEqual([]);
      }),
      { numRuns: RUNS.pure },
    );
  });

  test('pipelined requests, split anywhere: framed one by one, as sent', () => {
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 8 }), (requests, cuts) => {
        const wire = Buffer.concat(requests.map((r) => r.wire));
        let offset = 0;
        const expected = requests.map((r) => {
          offset += r.wire.length;
          return r.expected;
        });
        expect(frame(splitAt(wire, cuts))).toEqual({ heads: expected });
      }),
      { numRuns: RUNS.pure },
    );
  });

  test('garbage bytes: null, a head within the bytes, or an HttpError with a 4xx/5xx status — nothing else', () => {
    const token = fc.oneof(
      fc.constantFrom('GET ', 'POST ', '/ ', 'HTTP/1.1', 'HTTP/1.0', '\r\n', '\r\n\r\n', ':', ' ', 'Content-Length: ', 'Transfer-Encoding: chunked', 'Connection: close', '12', '-1', '99999999999'),
      fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a).toString('latin1')),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), (tokens) => {
        const buf = bin(tokens.join(''));
        const v = verdict(buf);
        if (v === null) return;
        if ('head' in v) expect(v.head.length).toBeLessThanOrEqual(buf.length);
        else expect([400, 413, 431, 501]).toContain(v.status);
      }),
      { numRuns: RUNS.pure * 3 },
    );
  });

  test('a prefix of any stream never gets another verdict than the whole: "need more", or the same answer', () => {
    // Heads padded to within a few bytes of the 8 KiB limit, where a split
    // CRLFCRLF used to be refused (431) while the whole head was accepted.
    const near = fc.integer({ min: -6, max: 6 }).map((delta) => {
      const start = bin('GET / HTTP/1.1\r\nX-Pad: ');
      const pad = MAX_HEAD_BYTES + delta - start.length;
      return Buffer.concat([start, Buffer.alloc(Math.max(1, pad), 'p'), bin('\r\n\r\n')]);
    });
    const token = fc.constantFrom('GET / HTTP/1.1\r\n', 'Host: x\r\n', '\r\n', 'Content-Length: 3\r\n', 'abc', 'bad line\r\n', ': v\r\n');
    const stream = fc.oneof(near, fc.array(token, { maxLength: 12 }).map((t) => bin(t.join(''))));
    fc.assert(
      fc.property(stream, fc.nat(), (wire, cut) => {
        const whole = verdict(wire);
        const at = wire.length - (cut % Math.min(wire.length + 1, 16));
        const prefix = verdict(wire.subarray(0, at));
        if (prefix !== null) expect(prefix).toEqual(whole);
      }),
      { numRuns: RUNS.pure },
    );
  });

  test('control bytes and non-tokens are a 400: in the target (a NUL was answered 200), in a header name, in a header value', () => {
    const request = (line: string, header = 'Host: x') => bin(`${line}\r\n${header}\r\n\r\n`);
    const invisible = fc.integer({ min: 0, max: 255 }).filter((b) => b < 0x21 || b > 0x7e);
    fc.assert(
      fc.property(invisible, fc.string({ maxLength: 8 }), (byte, tail) => {
        const target = `/a${String.fromCharCode(byte)}${tail.replace(/[\r\n ]/g, 'x')}`;
        const v = verdict(request(`GET ${target} HTTP/1.1`));
        expect(v).toEqual({ status: 400, message: 'bad request line' });
      }),
      { numRuns: RUNS.pure },
    );
    expect(verdict(request('GET / HTTP/1.1', 'Host : x'))).toEqual({ status: 400, message: 'bad header name' });
    expect(verdict(request('GET / HTTP/1.1', 'Ho(st: x'))).toEqual({ status: 400, message: 'bad header name' });
    expect(verdict(request('GET / HTTP/1.1', 'Host: a\x00b'))).toEqual({ status: 400, message: 'bad header value' });
    expect(verdict(request('GET / HTTP/1.1', 'Host: a\x7fb'))).toEqual({ status: 400, message: 'bad header value' });
    expect(verdict(request('GET / HTTP/1.1', 'Host: a\tb'))).toMatchObject({ head: { target: '/' } });
  });

  test('two Content-Length headers: the same value is one length, different values are a 400 (never a guess at the framing)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 100 }), fc.nat({ max: 100 }), (a, b) => {
        const wire = bin(`POST / HTTP/1.1\r\nContent-Length: ${a}\r\ncontent-length: ${b}\r\n\r\n${'x'.repeat(Math.max(a, b))}`);
        const v = verdict(wire);
        if (a === b) expect(v !== null && 'head' in v && v.head.length).toBe(wire.length - Math.max(a, b) + a);
        else expect(v).toEqual({ status: 400, message: 'conflicting content-length' });
      }),
      { numRuns: RUNS.pure },
    );
  });

  test('oversized input is refused before it is all here: a head past the limit (431), a body past 1 MiB (413)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 100_000 }), (extra) => {
        // No CRLFCRLF and more bytes than any head may have: refused now.
        const head = Buffer.concat([bin('GET / HTTP/1.1\r\nX: '), Buffer.alloc(MAX_HEAD_BYTES + extra, 'a')]);
        expect(verdict(head)).toEqual({ status: 431, message: 'request head too large' });
        // The body is announced, not sent: refused from the header alone.
        const big = bin(`POST / HTTP/1.1\r\nContent-Length: ${MAX_BODY_BYTES + extra}\r\n\r\n`);
        expect(verdict(big)).toEqual({ status: 413, message: 'body too large' });
      }),
      { numRuns: RUNS.pure },
    );
  });
});
