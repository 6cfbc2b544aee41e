/** The HTTP comparison: every server row, wrk at each connection count, alternating rounds. */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { HttpSample, HttpSection, Skipped } from './results';
import { alternateRounds, rowsWithTools } from './rounds';
import { C_HTTP_BINARY, C_HTTP_SOURCE, HTTP_ROWS, OUT_DIR, commandLine, ROOT } from './servers';
import type { Tool, ToolStatus } from './tools';
import { runWrk, wrkArgs } from './wrk';

export interface HttpOptions {
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  connections: number[];
  tools: Partial<Record<Tool, ToolStatus>>;
  /** The Node binary of the Node rows. */
  node: string;
  log(line: string): void;
}

/** gcc -O2 the C responder into benchmarks/out; the reason it failed, or undefined. */
export function buildCResponder(): string | undefined {
  mkdirSync(OUT_DIR, { recursive: true });
  try {
    execFileSync('gcc', ['-O2', '-Wall', '-o', C_HTTP_BINARY, C_HTTP_SOURCE], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `gcc failed: ${(error as { stderr?: Buffer }).stderr?.toString().trim() ?? String(error)}`;
  }
}

export async function runHttp(o: HttpOptions): Promise<{ section: HttpSection; commands: string[] }> {
  const wrkThreads = 1; // 2 cores: wrk gets one, the server the other
  const skipped: Skipped[] = [];
  const commands: string[] = [];
  if (o.tools.gcc?.available) {
    const failure = buildCResponder();
    if (failure !== undefined) o.tools.gcc = { available: false, reason: failure };
    else commands.push(`gcc -O2 -Wall -o ${C_HTTP_BINARY.slice(ROOT.length + 1)} ${C_HTTP_SOURCE.slice(ROOT.length + 1)}`);
  }
  const rows = rowsWithTools(HTTP_ROWS, 'wrk', o.tools, skipped);
  const samples = new Map<string, Record<string, HttpSample[]>>(rows.map((r) => [r.id, {}]));
  for (const row of rows) commands.push(commandLine(row, 8080, o.node));
  for (const c of o.connections) commands.push(`wrk ${wrkArgs('http://127.0.0.1:8080/', c, wrkThreads, o.seconds).join(' ')}   # after a ${o.warmupSeconds} s warm-up, same flags`);
  await alternateRounds(rows, o.rounds, skipped, 'http', o.node, o.log, async (row, port, round, pid) => {
    const url = `http://127.0.0.1:${port}/`;
    for (const c of o.connections) {
      await runWrk(pid, url, c, wrkThreads, o.warmupSeconds);
      const sample = await runWrk(pid, url, c, wrkThreads, o.seconds);
      (samples.get(row.id)![String(c)] ??= []).push(sample);
      o.log(`[http] round ${round}/${o.rounds} ${row.label}, c=${c}: ${Math.round(sample.requestsPerSec).toLocaleString('en')} req/s, p99 ${sample.latencyP99Ms.toFixed(2)} ms, server ${sample.cost.serverUsPerOp.toFixed(1)} µs CPU/request, wrk ${sample.cost.clientCores.toFixed(2)} cores${sample.errors > 0 ? `, ${sample.errors} errors` : ''}`);
    }
  });
  const section: HttpSection = {
    connections: o.connections,
    seconds: o.seconds,
    rounds: o.rounds,
    wrkThreads,
    rows: rows.map((r) => ({ id: r.id, label: r.label, samples: samples.get(r.id)! })),
    skipped,
  };
  return { section, commands };
}
