/** The Redis-protocol comparison: every server row, redis-benchmark at each pipeline depth, alternating rounds. */
import { freePort, startServer } from './procs';
import { redisArgs, runRedisBenchmark } from './redis';
import type { RedisSample, RedisSection, Skipped } from './results';
import { REDIS_ROWS, commandLine } from './servers';
import type { Tool, ToolStatus } from './tools';

export interface RedisOptions {
  rounds: number;
  /** Requests per test (redis-benchmark -n) at -P 1; deeper pipelines get proportionally more. */
  requests: number;
  pipelines: number[];
  clients: number;
  tools: Partial<Record<Tool, ToolStatus>>;
  log(line: string): void;
}

/** -n for a pipeline depth: deeper pipelines run faster, so they get more requests for a comparable duration. */
export function requestsFor(base: number, pipeline: number): number {
  return base * pipeline;
}

export async function runRedis(o: RedisOptions): Promise<{ section: RedisSection; commands: string[] }> {
  const skipped: Skipped[] = [];
  const rows = REDIS_ROWS.filter((row) => {
    const missing = ['redis-benchmark' as Tool, ...row.needs].find((t) => !o.tools[t]?.available);
    if (missing !== undefined) skipped.push({ id: row.id, label: row.label, reason: o.tools[missing]?.reason ?? `${missing} unavailable` });
    return missing === undefined;
  });
  const commands = rows.map((row) => commandLine(row, 6380));
  for (const p of o.pipelines) commands.push(`redis-benchmark ${redisArgs(6380, p, requestsFor(o.requests, p), o.clients).join(' ')}`);
  const samples = new Map<string, Record<string, RedisSample[]>>(rows.map((r) => [r.id, {}]));
  for (let round = 1; round <= o.rounds; round++) {
    for (const row of rows) {
      if (skipped.some((s) => s.id === row.id)) continue;
      const port = await freePort();
      let server;
      try {
        server = await startServer(row.spec(port));
      } catch (error) {
        skipped.push({ id: row.id, label: row.label, reason: `did not start: ${(error as Error).message.split('\n')[0]}` });
        continue;
      }
      try {
        // Warm-up: JIT and connection setup, not measured.
        await runRedisBenchmark(port, 16, Math.min(20000, o.requests), o.clients);
        for (const p of o.pipelines) {
          const sample = await runRedisBenchmark(port, p, requestsFor(o.requests, p), o.clients);
          (samples.get(row.id)![String(p)] ??= []).push(sample);
          o.log(`[redis] round ${round}/${o.rounds} ${row.label}, -P ${p}: ${Object.entries(sample).map(([t, v]) => `${t} ${Math.round(v.rps).toLocaleString('en')}`).join(', ')}`);
        }
      } catch (error) {
        o.log(`[redis] ${row.label}: ${(error as Error).message.split('\n')[0]}`);
      } finally {
        await server.stop();
      }
    }
  }
  return {
    section: { pipelines: o.pipelines, requests: o.requests, clients: o.clients, rounds: o.rounds, rows: rows.map((r) => ({ id: r.id, label: r.label, samples: samples.get(r.id)! })), skipped },
    commands,
  };
}
