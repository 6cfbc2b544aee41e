/**
 * What owned chunks (a Buffer per read, the default) cost against loaned ones
 * (`loanChunks: true`): the http example under wrk and the echo example under
 * the C echo load generator (benchmarks/c/echo-load.c, small and large
 * messages), each binding, alternating rounds.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { promisify } from 'node:util';
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

async function runEchoLoad(port: number, seconds: number, size: number): Promise<EchoLoad> {
  const { stdout } = await promisify(execFile)(C_ECHO_LOAD_BINARY, ['127.0.0.1', String(port), String(CONNECTIONS), String(seconds), String(size)], { timeout: (seconds + 30) * 1000 });
  return JSON.parse(stdout) as EchoLoad;
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
  for (const row of rows) commands.push(commandLine(row, 8080, o.node));
  commands.push(`wrk ${wrkArgs('http://127.0.0.1:8080/', CONNECTIONS, 1, o.seconds).join(' ')}   # after a ${o.warmupSeconds} s warm-up`);
  for (const size of ECHO_SIZES) commands.push(`benchmarks/out/echo-load 127.0.0.1 8080 ${CONNECTIONS} ${o.seconds} ${size}   # after a ${o.warmupSeconds} s warm-up`);
  await alternateRounds(rows, o.rounds, skipped, 'chunks', o.node, o.log, async (row, port, round) => {
    const record = (measure: string, perSec: number) => {
      (samples.get(row.id)![measure] ??= []).push(perSec);
      o.log(`[chunks] round ${round}/${o.rounds} ${row.label}, ${measure}: ${Math.round(perSec).toLocaleString('en')}/s`);
    };
    if (row.app === 'http') {
      const url = `http://127.0.0.1:${port}/`;
      await runWrk(url, CONNECTIONS, 1, o.warmupSeconds);
      const sample = await runWrk(url, CONNECTIONS, 1, o.seconds);
      if (sample.errors > 0) throw new Error(`${sample.errors} wrk errors`);
      record('http', sample.requestsPerSec);
    } else {
      for (const size of ECHO_SIZES) {
        await runEchoLoad(port, o.warmupSeconds, size);
        const load = await runEchoLoad(port, o.seconds, size);
        if (load.errors > 0) throw new Error(`${load.errors} echo write errors`);
        record(`echo-${size}`, load.perSec);
      }
    }
  });
  const section: ChunksSection = {
    seconds: o.seconds,
    rounds: o.rounds,
    connections: CONNECTIONS,
    echoSizes: ECHO_SIZES,
    rows: rows.map(({ id, label, app, binding, chunks }) => ({ id, label, app, binding, chunks, samples: samples.get(id)! })),
    skipped,
  };
  return { section, commands };
}

/** Each (app, binding, measure): the median rate with loaned and with owned chunks. */
export function chunkPairs(c: ChunksSection): Array<{ app: string; binding: string; measure: string; loan: number; owned: number }> {
  const pairs = [];
  for (const loanRow of c.rows.filter((r) => r.chunks === 'loan')) {
    const ownedRow = c.rows.find((r) => r.app === loanRow.app && r.binding === loanRow.binding && r.chunks === 'owned');
    for (const [measure, loanRates] of Object.entries(loanRow.samples)) {
      pairs.push({ app: loanRow.app, binding: loanRow.binding, measure, loan: median(loanRates), owned: median(ownedRow?.samples[measure] ?? []) });
    }
  }
  return pairs;
}

const measureLabel = (measure: string) => (measure === 'http' ? `HTTP hello, wrk -c${CONNECTIONS}, req/s` : `echo, ${measure.slice(5)} B messages, ${CONNECTIONS} connections, round trips/s`);

export function formatChunks(c: ChunksSection): string {
  const lines = [
    `The default run mode; ${c.rounds} round(s) of ${c.seconds} s after a warm-up, alternating over the servers; medians.`,
    '',
    '| example | binding | measure | loaned chunks | owned chunks | owned ÷ loaned |',
    '|---|---|---|---:|---:|---:|',
  ];
  for (const p of chunkPairs(c)) {
    const x = ratio(p.owned, p.loan);
    lines.push(`| ${p.app} | ${p.binding} | ${measureLabel(p.measure)} | ${Math.round(p.loan).toLocaleString('en')} | ${Number.isFinite(p.owned) ? Math.round(p.owned).toLocaleString('en') : 'n/a'} | ${Number.isFinite(x) ? `${x.toFixed(3)}×` : 'n/a'} |`);
  }
  for (const s of c.skipped) lines.push('', `Skipped: ${s.label}: ${s.reason}`);
  return lines.join('\n');
}
