import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { encodeCommand, parseReply, ProtocolError, RespParser, LIMITS, type Reply } from '../dist/resp';
import { client, requireTool, rssKiB, splitAt, waitFor, type ServerProcess } from '@reactor/testing';
import { startServer } from './helpers';

// ------------------------------------------------------------------ parser

/** Parse `pieces` in order, each given in a scratch buffer that is clobbered after the feed (as the loop's read buffer is). */
function parsePieces(pieces: Buffer[], limits = {}): string[][] {
  const parser = new RespParser(limits);
  const commands: string[][] = [];
  const scratch = Buffer.alloc(Math.max(1, ...pieces.map((p) => p.length)));
  for (const piece of pieces) {
    piece.copy(scratch);
    parser.feed(scratch.subarray(0, piece.length), (args: Buffer[]) => {
      commands.push(args.map((a) => a.toString('latin1')));
    });
    scratch.fill(0xee);
  }
  return commands;
}

const bin = (s: string) => Buffer.from(s, 'latin1');

describe('RESP parser', () => {
  const big = 'x'.repeat(20000) + '\r\n\0\xff';
  const stream = Buffer.concat([
    encodeCommand(['SET', 'k', bin('a\r\nb\0\xff')]),
    bin('PING\r\n'),
    bin('  set "q u" \'it\\\'s\' "\\x41\\n"\n'),
    bin('\r\n'), // an empty inline line: ignored
    bin('*0\r\n'), // an empty array: ignored
    encodeCommand(['SET', 'big', bin(big)]),
    encodeCommand(['GET', '']),
  ]);
  const expected = [['SET', 'k', 'a\r\nb\0\xff'], ['PING'], ['set', 'q u', "it's", 'A\n'], ['SET', 'big', big], ['GET', '']];

  test('whole, and split in two at every byte boundary', () => {
    expect(parsePieces([stream])).toEqual(expected);
    for (let i = 0; i <= stream.length; i += i < 200 || i > stream.length - 200 ? 1 : 97) {
      expect(parsePieces([stream.subarray(0, i), stream.subarray(i)])).toEqual(expected);
    }
  });

  test('one byte at a time', () => {
    const pieces: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) pieces.push(stream.subarray(i, i + 1));
    expect(parsePieces(pieces)).toEqual(expected);
  });

  test('inline commands as redis-cli/telnet users type them', () => {
    expect(parsePieces([bin('GET k\nSET a "b c"\r\nECHO "\\t\\\\"\r\n')])).toEqual([['GET', 'k'], ['SET', 'a', 'b c'], ['ECHO', '\t\\']]);
  });

  test.each([
    ['*x\r\n', 'invalid multibulk length'],
    ['*2\n', 'invalid multibulk length'],
    ['*1\r\n+PING\r\n', "expected '$', got '+'"],
    ['*1\r\n$-1\r\n', 'invalid bulk length'],
    ['*1\r\n$abc\r\n', 'invalid bulk length'],
    ['*1\r\n$3\r\nPINGX\r\n', "expected '\\r\\n' after bulk string"],
    ['SET a "b\r\n', 'unbalanced quotes in request'],
    ["SET a 'b'c\r\n", 'unbalanced quotes in request'],
    [`*${LIMITS.maxArrayElements + 1}\r\n`, 'invalid multibulk length'],
    [`*1\r\n$${LIMITS.maxBulk + 1}\r\n`, 'invalid bulk length'],
  ])('%j → Protocol error: %s', (input, message) => {
    expect(() => parsePieces([bin(input)])).toThrow(new ProtocolError(message));
    const error = (() => {
      try {
        parsePieces([bin(input)]);
      } catch (e) {
        return e as ProtocolError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error!.reply().toString()).toBe(`-ERR Protocol error: ${message}\r\n`);
  });

  test('limits: inline line, header line, request size; held memory is what arrived, not what was announced', () => {
    const limits = { maxInline: 100, maxBulk: 1000, maxRequest: 2000, argOverhead: 10 };
    // No newline yet, but already past the inline limit: refused without waiting for more.
    expect(() => parsePieces([bin('x'.repeat(101))], limits)).toThrow('too big inline request');
    expect(() => parsePieces([bin('PING ' + 'x'.repeat(100) + '\r\n')], limits)).toThrow('too big inline request');
    expect(() => parsePieces([bin('*1' + '0'.repeat(200))], limits)).toThrow('too big mbulk count string');
    expect(() => parsePieces([bin('*1\r\n$1' + '0'.repeat(200))], limits)).toThrow('too big bulk count string');
    expect(() => parsePieces([bin('*1\r\n$1001\r\n')], limits)).toThrow('invalid bulk length');
    // Three 700-byte arguments: each is allowed, the request is not.
    expect(() => parsePieces([encodeCommand(['a', 'x'.repeat(700), 'y'.repeat(700), 'z'.repeat(700)])], limits)).toThrow('request too big');
    // A million empty arguments cost their bookkeeping: refused by the request budget.
    expect(() => parsePieces([bin('*1000000\r\n' + '$0\r\n\r\n'.repeat(300))], limits)).toThrow('request too big');
    const parser = new RespParser();
    parser.feed(bin('*2\r\n$3\r\nSET\r\n$67108864\r\nabc'), () => undefined);
    expect(parser.buffered).toBeLessThan(100);
  });

  test('a big value arriving in 64 KiB reads is collected in O(size)', () => {
    const value = Buffer.alloc(8 * 1024 * 1024, 7);
    const wire = encodeCommand(['SET', 'k', value]);
    const parser = new RespParser();
    let got: Buffer | undefined;
    const started = performance.now();
    for (let i = 0; i < wire.length; i += 65536) {
      parser.feed(wire.subarray(i, i + 65536), (args: Buffer[]) => {
        got = Buffer.from(args[2]!);
      });
    }
    expect(got?.equals(value)).toBe(true);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  test('a callback returning false stops after that command; an empty feed goes on', () => {
    const parser = new RespParser();
    const seen: string[] = [];
    parser.feed(bin('GET a\r\nGET b\r\nGET c\r\n'), (args: Buffer[]) => {
      seen.push(args[1]!.toString());
      return false;
    });
    expect(seen).toEqual(['a']);
    expect(parser.pending).toBe(true);
    parser.feed(Buffer.alloc(0), (args: Buffer[]) => void seen.push(args[1]!.toString()));
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(parser.pending).toBe(false);
  });

  test('an unfinished command is not pending: feeding nothing cannot finish it', () => {
    const parser = new RespParser();
    const seen: string[] = [];
    for (const partial of ['PIN', '*1\r\n$4\r\nPI', '*2\r\n$3\r\nGET\r\n']) {
      parser.feed(bin(partial), (args: Buffer[]) => void seen.push(args[0]!.toString()));
      expect(parser.pending).toBe(false);
      parser.feed(bin(partial.startsWith('PIN') ? 'G\r\n' : partial.startsWith('*1') ? 'NG\r\n' : '$1\r\nk\r\n'), (args: Buffer[]) => void seen.push(args[0]!.toString()));
    }
    expect(seen).toEqual(['PING', 'PING', 'GET']);
  });

  test('header lines: values and errors of the one-pass reading are those of the line-then-number reading, whole or split', () => {
    const outcome = (wire: string, limits = {}) => {
      const commands: string[][] = [];
      const parser = new RespParser(limits);
      try {
        for (let i = 0; i < wire.length; i++) parser.feed(bin(wire[i]!), (args) => void commands.push(args.map((a) => a.toString('latin1'))));
        const whole: string[][] = [];
        new RespParser(limits).feed(bin(wire), (args) => void whole.push(args.map((a) => a.toString('latin1'))));
        expect(whole).toEqual(commands);
        return commands;
      } catch (error) {
        // Byte by byte and whole fail alike.
        expect(() => new RespParser(limits).feed(bin(wire), () => undefined)).toThrow((error as Error).message);
        return (error as Error).message;
      }
    };
    const cases: Array<[string, string[][] | string, object?]> = [
      ['*1\r\n$4\r\nPING\r\n', [['PING']]],
      ['*-1\r\n*0\r\n*-0\r\n*1\r\n$0\r\n\r\n', [['']]], // null and empty arrays run nothing
      ['*\r\n', 'invalid multibulk length'],
      ['*-\r\n', 'invalid multibulk length'],
      ['*1\n', 'invalid multibulk length'], // LF without CR
      ['*1x\r\n', 'invalid multibulk length'],
      ['* 1\r\n', 'invalid multibulk length'],
      ['*+1\r\n', 'invalid multibulk length'],
      ['*000000000000000001\r\n$1\r\na\r\n', [['a']]], // 18 characters: still a number
      ['*0000000000000000001\r\n', 'invalid multibulk length'], // 19: not one
      ['*1048577\r\n', 'invalid multibulk length'],
      ['*1\r\n$-1\r\n', 'invalid bulk length'],
      ['*1\r\n$\r\n', 'invalid bulk length'],
      ['*1\r\n$1\n', 'invalid bulk length'],
      ['*1\r\n$1 \r\n', 'invalid bulk length'],
      ['*1\r\n$-0\r\n\r\n', [['']]],
      ['*1\r\n$0000000000000000003\r\nabc\r\n', 'invalid bulk length'],
      ['*1\r\n$67108865\r\n', 'invalid bulk length'],
      ['*1\r\n$3\r\nabcde', "expected '\\r\\n' after bulk string"],
      ['*2\r\n$3\r\nGET\r\n:1\r\n', "expected '$', got ':'"],
      // A header line longer than a (tiny) configured limit is refused even when it is all there.
      ['*1\r\n$100\r\n', 'too big bulk count string', { maxInline: 3 }],
      ['*100\r\n', 'too big mbulk count string', { maxInline: 3 }],
      ['*10\r\n$1\r\na\r\n', 'invalid multibulk length', { maxArrayElements: 9 }],
    ];
    for (const [wire, expected, limits] of cases) expect([wire, outcome(wire, limits)]).toEqual([wire, expected]);
  });

  test('property: random commands round-trip through encode → parse, split anywhere', () => {
    const arg = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));
    const command = fc.array(arg, { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 5 }), (commands, cuts) => {
        const wire = Buffer.concat(commands.map((c) => encodeCommand(c)));
        expect(parsePieces(splitAt(wire, cuts))).toEqual(commands.map((c) => c.map((a) => a.toString('latin1'))));
      }),
      { numRuns: 300 },
    );
  });

  test('property: random bytes never throw anything but ProtocolError', () => {
    // Mostly protocol-looking bytes, so the parser gets deep into its states.
    const token = fc.oneof(
      fc.constantFrom('*', '$', '\r\n', '\n', '\r', '"', "'", '\\', '\\x4', ' ', '-', '0', '1', '2', '9', 'PING', 'SET'),
      fc.uint8Array({ maxLength: 6 }).map((a) => Buffer.from(a).toString('latin1')),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), fc.nat(), (tokens, cut) => {
        const wire = bin(tokens.join(''));
        const at = cut % (wire.length + 1);
        try {
          parsePieces([wire.subarray(0, at), wire.subarray(at)], { maxInline: 64, maxBulk: 64, maxRequest: 512, maxArrayElements: 8 });
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

// ------------------------------------------------------------------ servers

requireTool('redis-cli', 'redis-tools');
requireTool('redis-benchmark', 'redis-tools');

function cli(port: number, args: string[], input?: Buffer): string {
  const r = spawnSync('redis-cli', ['-p', String(port), ...args], { input, timeout: 10000 });
  if (r.error) throw r.error;
  return r.stdout.toString('latin1');
}

/** Send raw bytes; collect `count` replies (or until the server closes). */
async function exchange(port: number, wire: Buffer, count: number): Promise<{ replies: Reply[]; closed: boolean; chunks: number }> {
  const c = await client(port);
  c.socket.write(wire);
  const replies = (): Reply[] => {
    const out: Reply[] = [];
    const buf = c.received();
    let pos = 0;
    for (;;) {
      const r = parseReply(buf, pos);
      if (r === null) return out;
      out.push(r.value);
      pos = r.end;
    }
  };
  await waitFor(() => c.closed() || replies().length >= count, 10000, `${count} replies`);
  const result = { replies: replies(), closed: c.closed(), chunks: c.chunks() };
  c.socket.destroy();
  return result;
}

describe.each(['kv', 'kv-node'])('%s server', (name) => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer(name);
  });
  afterAll(async () => {
    await server.stop('SIGKILL');
  });

  test('redis-cli: PING, SET/GET, INCR, MSET/MGET, DEL, EXISTS, errors', () => {
    const p = server.port;
    expect(cli(p, ['FLUSHALL'])).toBe('OK\n');
    expect(cli(p, ['PING'])).toBe('PONG\n');
    expect(cli(p, ['PING', 'hi there'])).toBe('hi there\n');
    expect(cli(p, ['SET', 'greeting', 'hello world'])).toBe('OK\n');
    expect(cli(p, ['GET', 'greeting'])).toBe('hello world\n');
    expect(cli(p, ['GET', 'nothing'])).toBe('\n');
    expect(cli(p, ['SET', 'greeting', 'x', 'NX'])).toBe('\n');
    expect(cli(p, ['SET', 'fresh', 'y', 'XX'])).toBe('\n');
    expect(cli(p, ['SET', 'fresh', 'y', 'NX', 'EX', '100'])).toBe('OK\n');
    expect(Number(cli(p, ['TTL', 'fresh']))).toBeGreaterThan(98);
    expect(cli(p, ['INCR', 'counter'])).toBe('1\n');
    expect(cli(p, ['INCRBY', 'counter', '41'])).toBe('42\n');
    expect(cli(p, ['DECR', 'counter'])).toBe('41\n');
    expect(cli(p, ['MSET', 'a', '1', 'b', '2'])).toBe('OK\n');
    expect(cli(p, ['MGET', 'a', 'nope', 'b'])).toBe('1\n\n2\n');
    expect(cli(p, ['EXISTS', 'a', 'b', 'nope', 'a'])).toBe('3\n');
    expect(cli(p, ['DEL', 'a', 'nope', 'b'])).toBe('2\n');
    expect(cli(p, ['EXISTS', 'a'])).toBe('0\n');
    expect(cli(p, ['DBSIZE'])).toBe('3\n'); // greeting, fresh, counter
    expect(cli(p, ['INCR', 'greeting']).trim()).toBe('ERR value is not an integer or out of range');
    expect(cli(p, ['GET']).trim()).toBe("ERR wrong number of arguments for 'get' command");
    expect(cli(p, ['NOSUCH', 'x']).trim()).toBe("ERR unknown command 'NOSUCH', with args beginning with: 'x'");
    expect(cli(p, ['SET', 'k', 'v', 'BOGUS']).trim()).toBe('ERR syntax error');
  });

  test('binary values: redis-cli -x stores bytes from stdin; a raw client reads them back exactly', async () => {
    const value = Buffer.from([0, 1, 2, 13, 10, 255, 254, 0x24, 0x2a, 13, 10]);
    expect(cli(server.port, ['-x', 'SET', 'bin\x01key'], value)).toBe('OK\n');
    const { replies } = await exchange(server.port, encodeCommand(['GET', bin('bin\x01key')]), 1);
    expect(replies[0]).toEqual(value);
    expect(cli(server.port, ['--no-raw', 'GET', 'bin\x01key'])).toBe('"\\x00\\x01\\x02\\r\\n\\xff\\xfe$*\\r\\n"\n');
  });

  test('expiry: PX keys vanish on access and from DBSIZE (active sweep)', async () => {
    const size = () => Number(cli(server.port, ['DBSIZE']));
    // Counted before the SETs: counted after them, a loaded machine could
    // already have expired a 30 ms key, and the target would never come.
    const before = size();
    expect(cli(server.port, ['SET', 'short', 'v', 'PX', '30'])).toBe('OK\n');
    expect(cli(server.port, ['SET', 'unread', 'v', 'PX', '30'])).toBe('OK\n');
    await waitFor(() => cli(server.port, ['GET', 'short']) === '\n', 3000, 'short to expire');
    // 'unread' is never read again: the periodic sweep removes it.
    await waitFor(() => size() === before, 3000, 'the sweep');
    expect(cli(server.port, ['PTTL', 'unread'])).toBe('-2\n');
  });

  test('pipelining: 500 commands in one write, all answered in order, in few writes', async () => {
    const wire = Buffer.concat(Array.from({ length: 500 }, (_, i) => encodeCommand(i % 2 === 0 ? ['SET', `p${i}`, `v${i}`] : ['GET', `p${i - 1}`])));
    const { replies, chunks } = await exchange(server.port, wire, 500);
    expect(replies).toHaveLength(500);
    replies.forEach((r, i) => expect(i % 2 === 0 ? r : (r as Buffer).toString()).toEqual(i % 2 === 0 ? 'OK' : `v${i - 1}`));
    expect(chunks).toBeLessThanOrEqual(4);
  });

  test('a protocol error is answered, then the connection is closed', async () => {
    const { replies, closed } = await exchange(server.port, bin('PING\r\n*1\r\n$x\r\nPING\r\n'), 3);
    expect(replies).toEqual(['PONG', new Error('ERR Protocol error: invalid bulk length')]);
    expect(closed).toBe(true);
  });

  test('a request split across two reads is answered when its rest arrives, and other clients are served meanwhile (the server spun forever on the first half)', async () => {
    const slow = await client(server.port);
    slow.socket.write(bin('GET spl'));
    // Let the first half be read on its own before anything else arrives.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { replies } = await exchange(server.port, bin('PING\r\n'), 1);
    expect(replies).toEqual(['PONG']);
    slow.socket.write(bin('it\r\n'));
    await waitFor(() => slow.received().length > 0, 5000, 'the reply to the split request');
    expect(slow.received().toString('latin1')).toBe('$-1\r\n');
    slow.socket.destroy();
  });

  test('a command split across two reads is answered (the server spun forever on the first half)', async () => {
    const c = await client(server.port);
    c.socket.write('PIN');
    await new Promise((r) => setTimeout(r, 50));
    c.socket.write('G\r\n*1\r\n$4\r\nPI');
    await new Promise((r) => setTimeout(r, 50));
    c.socket.write('NG\r\n');
    await waitFor(() => c.received().toString() === '+PONG\r\n+PONG\r\n', 5000, 'two PONGs');
    c.socket.destroy();
  });

  test('QUIT: +OK, then closed', async () => {
    const { replies, closed } = await exchange(server.port, bin('QUIT\r\nPING\r\n'), 2);
    expect(replies).toEqual(['OK']);
    expect(closed).toBe(true);
  });

  test('back-pressure: a client that pipelines 200 × GET of 1 MiB and does not read costs the server little memory', async () => {
    const value = Buffer.alloc(1024 * 1024, 'v');
    await exchange(server.port, encodeCommand(['SET', 'big', value]), 1);
    const before = rssKiB(server.child.pid!);
    const c = await client(server.port);
    c.socket.pause(); // read nothing yet
    c.socket.write(bin('GET big\r\n'.repeat(200)));
    // Let the server fill the socket buffers and its queue, watching its RSS.
    let peak = before;
    const until = Date.now() + 1000;
    while (Date.now() < until) {
      peak = Math.max(peak, rssKiB(server.child.pid!));
      await new Promise((r) => setTimeout(r, 20));
    }
    let bytes = 0;
    c.socket.removeAllListeners('data');
    c.socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    c.socket.resume();
    const expected = 200 * (value.length + '$1048576\r\n\r\n'.length);
    await waitFor(() => bytes >= expected, 12000, 'all replies');
    c.socket.destroy();
    expect(bytes).toBe(expected);
    // 200 MiB of replies; the server held a few MiB at a time.
    expect(peak - before).toBeLessThan(64 * 1024);
  });

  test('redis-benchmark -t set,get -n 20000 -P 16 completes with nonzero rates', () => {
    const r = spawnSync('redis-benchmark', ['-p', String(server.port), '-t', 'set,get', '-n', '20000', '-P', '16', '-q'], { encoding: 'utf8', timeout: 14000 });
    expect(r.status).toBe(0);
    const rates = [...r.stdout.matchAll(/(SET|GET): ([\d.]+) requests per second/g)].map((m) => [m[1], Number(m[2])]);
    expect(rates.map((x) => x[0])).toEqual(['SET', 'GET']);
    for (const [, rate] of rates) expect(rate).toBeGreaterThan(0);
    expect(r.stderr).not.toMatch(/WARNING|ERROR/);
  });
});

test.each(['kv', 'kv-node'])('%s: SIGTERM → exit 0', async (name) => {
  const server = await startServer(name);
  const c = await client(server.port); // an open connection does not hold up the exit
  expect(await server.stop('SIGTERM')).toBe(0);
  c.socket.destroy();
  expect(server.stderr()).toBe('');
});
