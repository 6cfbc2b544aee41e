/**
 * What owned chunks (a Buffer per read, the default) cost against loaned ones
 * (`loanChunks: true`): the http example under wrk and the echo example under
 * the C echo load generator (benchmarks/c/echo-load.c, small and large
 * messages), each binding, alternating rounds.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { measureLoad, type LoadCost } from './cpu';
import { median, ratio, type ChunksSection, type Skipped } from './results';
import { alternateRounds } from './rounds';
import { C_ECHO_LOAD_BINARY, C_ECHO_LOAD_SOURCE, CHUNK_ROWS, commandLine, OUT_DIR, ROOT } from './servers';
import type { Tool, ToolStatus } from './tools';
import { runWrk, wrkArgs } from './wrk';

export interface ChunksOptions {
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  tools: Partial<Record<Tool, ToolStatus>>;
  node: string;
  log(line: string): void;
}

const CONNECTIONS = 50;
/** A request-sized message, and one that fills a 16 KiB read: the copy an owned chunk costs grows with it. */
const ECHO_SIZES = [64, 16384];

interface EchoLoad {
  roundTrips: number;
  perSec: number;
  errors: number;
}

async function runEchoLoad(serverPid: number, port: number, seconds: number, size: number): Promise<EchoLoad & { cost: LoadCost }> {
  const args = ['127.0.0.1', String(port), String(CONNECTIONS), String(seconds), String(size)];
  const parse = (stdout: string) => JSON.parse(stdout) as EchoLoad;
  const { result, cost } = await measureLoad(serverPid, C_ECHO_LOAD_BINARY, args, (seconds + 30) * 1000, parse, (load) => load.roundTrips);
  return { ...result, cost };
}

export async function runChunks(o: ChunksOptions): Promise<{ section: ChunksSection; commands: string[] }> {
  const skipped: Skipped[] = [];
  const commands: string[] = [];
  if (o.tools.gcc?.available) {
    try {
      mkdirSync(OUT_DIR, { recursive: true });
      execFileSync('gcc', ['-O2', '-Wall', '-o', C_ECHO_LOAD_BINARY, C_ECHO_LOAD_SOURCE], { stdio: 'pipe' });
      commands.push(`gcc -O2 -Wall -o ${C_ECHO_LOAD_BINARY.slice(ROOT.length + 1)} ${C_ECHO_LOAD_SOURCE.slice(ROOT.length + 1)}`);
    } catch (error) {
      o.tools.gcc = { available: false, reason: `gcc failed: ${(error as { stderr?: Buffer }).stderr?.toString().trim() ?? String(error)}` };
    }
  }
  const rows = CHUNK_ROWS.filter((row) => {
    const missing = row.needs.find((t) => !o.tools[t]?.available);
    if (missing !== undefined) skipped.push({ id: row.id, label: row.label, reason: o.tools[missing]?.reason ?? `${missing} unavailable` });
    return missing === undefined;
  });
  const samples = new Map<string, Record<string, number[]>>(rows.map((r) => [r.id, {}]));
  const cpu = new Map<string, Record<string, number[]>>(rows.map((r) => [r.id, {}]));
  for (const row of rows) commands.push(commandLine(row, 8080, o.node));
  commands.push(`wrk ${wrkArgs('http://127.0.0.1:8080/', CONNECTIONS, 1, o.seconds).join(' ')}   # after a ${o.warmupSeconds} s warm-up`);
  for (const size of ECHO_SIZES) commands.push(`benchmarks/out/echo-load 127.0.0.1 8080 ${CONNECTIONS} ${o.seconds} ${size}   # after a ${o.warmupSeconds} s warm-up`);
  await alternateRounds(rows, o.rounds, skipped, 'chunks', o.node, o.log, async (row, port, round, pid) => {
    const record = (measure: string, perSec: number, cost: LoadCost) => {
      (samples.get(row.id)![measure] ??= []).push(perSec);
      (cpu.get(row.id)![measure] ??= []).push(cost.serverUsPerOp);
      o.log(`[chunks] round ${round}/${o.rounds} ${row.label}, ${measure}: ${Math.round(perSec).toLocaleString('en')}/s, server ${cost.serverUsPerOp.toFixed(2)} µs CPU each`);
    };
    if (row.app === 'http') {
      const url = `http://127.0.0.1:${port}/`;
      await runWrk(pid, url, CONNECTIONS, 1, o.warmupSeconds);
      const sample = await runWrk(pid, url, CONNECTIONS, 1, o.seconds);
      if (sample.errors > 0) throw new Error(`${sample.errors} wrk errors`);
      record('http', sample.requestsPerSec, sample.cost);
    } else {
      for (const size of ECHO_SIZES) {
        await runEchoLoad(pid, port, o.warmupSeconds, size);
        const load = await runEchoLoad(pid, port, o.seconds, size);
        if (load.errors > 0) throw new Error(`${load.errors} echo write errors`);
        record(`echo-${size}`, load.perSec, load.cost);
      }
    }
  });
  const section: ChunksSection = {
    seconds: o.seconds,
    rounds: o.rounds,
    connections: CONNECTIONS,
    echoSizes: ECHO_SIZES,
    rows: rows.map(({ id, label, app, binding, chunks }) => ({ id, label, app, binding, chunks, samples: samples.get(id)!, cpuUsPerOp: cpu.get(id)! })),
    skipped,
  };
  return { section, commands };
}

export interface ChunkPair {
  app: string;
  binding: string;
  measure: string;
  /** Median rates (per second). */
  loan: number;
  owned: number;
  /** Median server CPU per operation (µs); NaN in results from before it was measured. */
  cpuLoan: number;
  cpuOwned: number;
  /**
   * Owned ÷ loaned server CPU per operation: the median of the per-round
   * ratios (the two rows run back to back in each round, so a host whose speed
   * drifts over the run moves both sides of each ratio alike); the ratio of
   * the medians when the rounds do not pair up.
   */
  cpuRatio: number;
}

/** The median of a[i] ÷ b[i] over paired rounds, or the ratio of the medians when the rounds do not pair up. */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  if (a.length === 0 || a.length !== b.length) return ratio(median(a), median(b));
  return median(a.map((x, i) => ratio(x, b[i])).filter(Number.isFinite));
}

/** Each (app, binding, measure): loaned against owned chunks, rate and server CPU. */
export function chunkPairs(c: ChunksSection): ChunkPair[] {
  const pairs: ChunkPair[] = [];
  for (const loanRow of c.rows.filter((r) => r.chunks === 'loan')) {
    const ownedRow = c.rows.find((r) => r.app === loanRow.app && r.binding === loanRow.binding && r.chunks === 'owned');
    for (const [measure, loanRates] of Object.entries(loanRow.samples)) {
      const cpuLoan = loanRow.cpuUsPerOp?.[measure] ?? [];
      const cpuOwned = ownedRow?.cpuUsPerOp?.[measure] ?? [];
      pairs.push({
        app: loanRow.app,
        binding: loanRow.binding,
        measure,
        loan: median(loanRates),
        owned: median(ownedRow?.samples[measure] ?? []),
        cpuLoan: median(cpuLoan),
        cpuOwned: median(cpuOwned),
        cpuRatio: pairedRatio(cpuOwned, cpuLoan),
      });
    }
  }
  return pairs;
}

const measureLabel = (measure: string) => (measure === 'http' ? `HTTP hello, wrk -c${CONNECTIONS}` : `echo, ${measure.slice(5)} B messages, ${CONNECTIONS} connections`);

const times = (x: number, digits: number) => (Number.isFinite(x) ? `${x.toFixed(digits)}×` : 'n/a');
const num = (x: number, digits = 0) => (Number.isFinite(x) ? x.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');

export function formatChunks(c: ChunksSection): string {
  const lines = [
    `The default run mode; ${c.rounds} round(s) of ${c.seconds} s after a warm-up, alternating over the servers (loaned then owned, back to back); medians.`,
    'What owned chunks cost is the server CPU they add per request or round trip (from /proc/<pid>/stat over each run); the rate also moves with the client and with the host\'s speed, which drifts here between rounds, so it is shown but not judged.',
    '',
    '| example | binding | measure | rate, loaned (/s) | rate, owned (/s) | rate owned ÷ loaned | server CPU, loaned (µs each) | server CPU, owned (µs each) | CPU owned ÷ loaned (paired rounds) |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const p of chunkPairs(c)) {
    lines.push(
      `| ${p.app} | ${p.binding} | ${measureLabel(p.measure)} | ${num(p.loan)} | ${num(p.owned)} | ${times(ratio(p.owned, p.loan), 3)} | ${num(p.cpuLoan, 2)} | ${num(p.cpuOwned, 2)} | ${times(p.cpuRatio, 3)} |`,
    );
  }
  for (const s of c.skipped) lines.push('', `Skipped: ${s.label}: ${s.reason}`);
  return lines.join('\n');
}
