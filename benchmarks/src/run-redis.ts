/** The Redis-protocol comparison: every server row, redis-benchmark at each pipeline depth, alternating rounds. */
import { REDIS_TESTS, redisArgs, runRedisBenchmark } from './redis';
import type { RedisSample, RedisSection, Skipped } from './results';
import { alternateRounds, rowsWithTools } from './rounds';
import { REDIS_ROWS, commandLine } from './servers';
import type { Tool, ToolStatus } from './tools';

export interface RedisOptions {
  rounds: number;
  /** Requests per test (redis-benchmark -n) at -P 1; deeper pipelines get proportionally more. */
  requests: number;
  pipelines: number[];
  clients: number;
  tools: Partial<Record<Tool, ToolStatus>>;
  /** The Node binary of the Node rows. */
  node: string;
  log(line: string): void;
}

/** -n for a pipeline depth: deeper pipelines run faster, so they get more requests for a comparable duration. */
export function requestsFor(base: number, pipeline: number): number {
  return base * pipeline;
}

export async function runRedis(o: RedisOptions): Promise<{ section: RedisSection; commands: string[] }> {
  const skipped: Skipped[] = [];
  const rows = rowsWithTools(REDIS_ROWS, 'redis-benchmark', o.tools, skipped);
  const commands = rows.map((row) => commandLine(row, 6380, o.node));
  for (const p of o.pipelines) for (const tests of REDIS_TESTS) commands.push(`redis-benchmark ${redisArgs(6380, p, requestsFor(o.requests, p), o.clients, tests).join(' ')}`);
  const samples = new Map<string, Record<string, RedisSample[]>>(rows.map((r) => [r.id, {}]));
  await alternateRounds(rows, o.rounds, skipped, 'redis', o.node, o.log, async (row, port, round, pid) => {
    // Warm-up: JIT and connection setup, not measured.
    await runRedisBenchmark(pid, port, 16, Math.min(20000, o.requests), o.clients);
    for (const p of o.pipelines) {
      const sample = await runRedisBenchmark(pid, port, p, requestsFor(o.requests, p), o.clients);
      (samples.get(row.id)![String(p)] ??= []).push(sample);
      o.log(`[redis] round ${round}/${o.rounds} ${row.label}, -P ${p}: ${Object.entries(sample).map(([t, v]) => `${t} ${Math.round(v.rps).toLocaleString('en')} (server ${v.cost?.serverUsPerOp.toFixed(2)} µs CPU/request, client ${v.cost?.clientCores.toFixed(2)} cores)`).join(', ')}`);
    }
  });
  return {
    section: { pipelines: o.pipelines, requests: o.requests, clients: o.clients, rounds: o.rounds, rows: rows.map((r) => ({ id: r.id, label: r.label, samples: samples.get(r.id)! })), skipped },
    commands,
  };
}
