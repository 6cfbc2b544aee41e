/**
 * The parsers of wrk and redis-benchmark output, on outputs captured from
 * the real tools (benchmarks/test/fixtures/, wrk 4.1.0, redis-benchmark 7.0.15).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRedisCsv, redisArgs } from '../src/redis';
import { median, ratio } from '../src/results';
import { requestsFor } from '../src/run-redis';
import { parseDurationMs, parseWrk, requestCount, wrkArgs } from '../src/wrk';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

describe('parseWrk', () => {
  it('reads requests/s and the p50/p99 latency of a clean run (microsecond units)', () => {
    expect(parseWrk(fixture('wrk-c50-latency.txt'))).toEqual({ requestsPerSec: 77845.95, requests: 155985, latencyP50Ms: 0.353, latencyP99Ms: 4.23, errors: 0 });
  });

  it('reads millisecond units (1000 connections)', () => {
    expect(parseWrk(fixture('wrk-c1000-latency.txt'))).toEqual({ requestsPerSec: 120966.73, requests: 253674, latencyP50Ms: 3.96, latencyP99Ms: 7.44, errors: 0 });
  });

  it('counts socket errors and non-2xx responses as errors', () => {
    const r = parseWrk(fixture('wrk-errors-non2xx.txt'));
    expect(r.requestsPerSec).toBe(113327.79);
    expect(r.errors).toBe(6 + 124728);
    expect(r.latencyP99Ms).toBeCloseTo(1.88, 6);
  });

  it('reads how many requests completed (the CPU per request divides by it)', () => {
    expect(requestCount(fixture('wrk-c50-latency.txt'))).toBe(155985);
    expect(() => requestCount('Requests/sec: 1\n')).toThrow(/requests in/);
  });

  it('refuses output without a Requests/sec line (wrk failed to connect)', () => {
    expect(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused\n')).toThrow(/Requests\/sec/);
  });

  it('refuses output without the latency distribution (--latency missing)', () => {
    const text = fixture('wrk-c50-latency.txt').replace(/ {5}99%.*\n/, '');
    expect(() => parseWrk(text)).toThrow(/99% latency/);
  });

  it('converts every unit wrk prints', () => {
    expect(parseDurationMs('250.00us')).toBeCloseTo(0.25, 9);
    expect(parseDurationMs('1.50ms')).toBe(1.5);
    expect(parseDurationMs('2.00s')).toBe(2000);
    expect(parseDurationMs('1.00m')).toBe(60_000);
    expect(() => parseDurationMs('fast')).toThrow(/unreadable/);
  });

  it('builds the wrk command line with --latency', () => {
    expect(wrkArgs('http://127.0.0.1:1/', 50, 1, 5)).toEqual(['-t1', '-c50', '-d5s', '--latency', 'http://127.0.0.1:1/']);
  });
});

describe('parseRedisCsv', () => {
  it('reads every test row of -P 1 output', () => {
    const r = parseRedisCsv(fixture('redis-benchmark-P1.csv'));
    expect(Object.keys(r)).toEqual(['PING_INLINE', 'PING_MBULK', 'SET', 'GET']);
    expect(r.SET).toEqual({ rps: 93023.26, p50Ms: 0.279, p99Ms: 0.359 });
  });

  it('reads -P 16 output', () => {
    const r = parseRedisCsv(fixture('redis-benchmark-P16.csv'));
    expect(r.GET).toEqual({ rps: 1369863, p50Ms: 0.303, p99Ms: 1.135 });
    expect(r.PING_INLINE!.rps).toBe(1219512.12);
  });

  it('refuses output without CSV rows (the server was not reachable)', () => {
    expect(() => parseRedisCsv('Could not connect to Redis at 127.0.0.1:1: Connection refused\n')).toThrow(/no CSV rows/);
  });

  it('builds the redis-benchmark command line; deeper pipelines get more requests', () => {
    expect(redisArgs(6380, 16, 800, 50, 'get')).toEqual(['-h', '127.0.0.1', '-p', '6380', '-t', 'get', '-P', '16', '-n', '800', '-c', '50', '--csv']);
    expect(requestsFor(1000, 1)).toBe(1000);
    expect(requestsFor(1000, 16)).toBe(16000);
  });
});

describe('median and ratio', () => {
  it('takes the middle value (the upper one for an even count) and is not fooled by order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(3);
    expect(median([])).toBeNaN();
  });

  it('gives NaN for a missing or zero denominator', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(3, 0)).toBeNaN();
    expect(ratio(undefined, 2)).toBeNaN();
  });
});
