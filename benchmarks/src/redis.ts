/** Runs redis-benchmark (--csv) and parses its report. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { RedisSample } from './results';

const run = promisify(execFile);

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

/** The redis-benchmark command line for one measurement (also printed in the report). */
export function redisArgs(port: number, pipeline: number, requests: number, clients: number): string[] {
  return ['-h', '127.0.0.1', '-p', String(port), '-t', 'ping,set,get', '-P', String(pipeline), '-n', String(requests), '-c', String(clients), '--csv'];
}

export async function runRedisBenchmark(port: number, pipeline: number, requests: number, clients: number): Promise<RedisSample> {
  const { stdout } = await run('redis-benchmark', redisArgs(port, pipeline, requests, clients), { timeout: 300_000 });
  return parseRedisCsv(stdout);
}
