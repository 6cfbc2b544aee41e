/** Runs redis-benchmark (--csv) and parses its report. */
import { measureLoad } from './cpu';
import type { RedisSample } from './results';

/** Split one CSV line of redis-benchmark (every field is double-quoted). */
function fields(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
}

/** Parse `redis-benchmark --csv` output: one row per test, named as redis-benchmark names it. */
export function parseRedisCsv(text: string): RedisSample {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('"'));
  if (lines.length < 2) throw new Error(`redis-benchmark: no CSV rows in its output:\n${text}`);
  const header = fields(lines[0]!);
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`redis-benchmark: CSV has no "${name}" column (header: ${header.join(',')})`);
    return i;
  };
  const [test, rps, p50, p99] = [col('test'), col('rps'), col('p50_latency_ms'), col('p99_latency_ms')];
  const out: RedisSample = {};
  for (const line of lines.slice(1)) {
    const f = fields(line);
    out[f[test]!] = { rps: Number(f[rps]), p50Ms: Number(f[p50]), p99Ms: Number(f[p99]) };
  }
  return out;
}

/**
 * The tests, one redis-benchmark run each, so each run's CPU belongs to one
 * command (`ping` is two tests, PING_INLINE and PING_MBULK, and they share theirs).
 */
export const REDIS_TESTS = ['ping', 'set', 'get'];

/** The redis-benchmark command line for one measurement (also printed in the report). */
export function redisArgs(port: number, pipeline: number, requests: number, clients: number, tests: string): string[] {
  return ['-h', '127.0.0.1', '-p', String(port), '-t', tests, '-P', String(pipeline), '-n', String(requests), '-c', String(clients), '--csv'];
}

/** Every test of REDIS_TESTS against the server process `serverPid`, each with what both sides spent on it (cpu.ts). */
export async function runRedisBenchmark(serverPid: number, port: number, pipeline: number, requests: number, clients: number): Promise<RedisSample> {
  const out: RedisSample = {};
  for (const tests of REDIS_TESTS) {
    const args = redisArgs(port, pipeline, requests, clients, tests);
    const { result, cost } = await measureLoad(serverPid, 'redis-benchmark', args, 300_000, parseRedisCsv, (sample) => requests * Object.keys(sample).length);
    for (const [test, figures] of Object.entries(result)) out[test] = { ...figures, cost };
  }
  return out;
}
