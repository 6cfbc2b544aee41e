/**
 * `pnpm bench`: every comparison side by side in one run, then
 * benchmarks/results.json (raw figures), benchmarks/RESULTS.md (tables,
 * ratios, goals) and benchmarks/charts/*.svg.
 *
 *   pnpm bench [--quick] [--only http,redis,timers,wakeup,ffi,idle] [--report-only]
 *
 * --quick: every row, one short round (a smoke test, < 2 min), written to
 *   benchmarks/out/quick/ instead (git-ignored): it never replaces the full run's report.
 * --report-only: rebuild RESULTS.md and the charts from results.json (with --quick: the quick ones).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { buildCharts } from './charts';
import { buildReport } from './report';
import type { Results } from './results';
import { runHttp } from './run-http';
import { runRedis } from './run-redis';
import { ROOT } from './servers';
import { checkTools, type Tool } from './tools';

const SECTIONS = ['http', 'redis', 'timers', 'wakeup', 'ffi', 'idle'] as const;
type Section = (typeof SECTIONS)[number];

const BENCH_DIR = join(ROOT, 'benchmarks');
/**
 * Where a run writes results.json, RESULTS.md and charts/: a full run into
 * benchmarks/ (committed), a --quick smoke run into benchmarks/out/quick/
 * (git-ignored), so that a smoke run never replaces the full run's report.
 */
function outputDir(quick: boolean): string {
  return quick ? join(BENCH_DIR, 'out', 'quick') : BENCH_DIR;
}

interface Options {
  quick: boolean;
  reportOnly: boolean;
  only: Section[];
}

export function parseArgs(args: string[]): Options {
  const known = new Set(['--quick', '--report-only', '--only']);
  for (let i = 0; i < args.length; i++) {
    if (!known.has(args[i]!)) throw new Error(`unknown option ${args[i]} (options: --quick, --only ${SECTIONS.join(',')}, --report-only)`);
    if (args[i] === '--only') i++;
  }
  const i = args.indexOf('--only');
  let only: Section[] = [...SECTIONS];
  if (i >= 0) {
    const list = (args[i + 1] ?? '').split(',').filter((s) => s !== '');
    const bad = list.filter((s) => !(SECTIONS as readonly string[]).includes(s));
    if (list.length === 0 || bad.length > 0) throw new Error(`--only takes a list of ${SECTIONS.join(',')}; got ${args[i + 1] ?? 'nothing'}`);
    only = list as Section[];
  }
  return { quick: args.includes('--quick'), reportOnly: args.includes('--report-only'), only };
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Run one of the standalone benchmark scripts with --json and parse what it prints. */
async function runScript<T>(script: string, quick: boolean): Promise<{ value: T; command: string }> {
  const args = [join(__dirname, script), '--json', ...(quick ? ['--quick'] : [])];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 64 * 2 ** 20, timeout: 900_000 });
  return { value: JSON.parse(stdout) as T, command: `node benchmarks/dist/${script}${quick ? ' --quick' : ''}` };
}

function writeOutputs(results: Results, dir: string): void {
  const chartsDir = join(dir, 'charts');
  mkdirSync(chartsDir, { recursive: true });
  for (const [name, svg] of Object.entries(buildCharts(results))) writeFileSync(join(chartsDir, name), svg);
  writeFileSync(join(dir, 'RESULTS.md'), buildReport(results));
  log(`wrote ${relative(ROOT, join(dir, 'RESULTS.md'))} and ${relative(ROOT, chartsDir)}/*.svg`);
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
  const results: Results = {
    machine: { cpuModel: cpus()[0]?.model ?? 'unknown', cores: cpus().length, kernel: release(), node: process.version, date: new Date().toISOString(), quick: o.quick },
    commands: {},
  };
  const needed: Tool[] = [];
  if (o.only.includes('http')) needed.push('wrk', 'gcc');
  if (o.only.includes('redis')) needed.push('redis-benchmark', 'redis-server');
  const tools = checkTools(needed, log);
  for (const status of Object.values(tools)) if (!status.available) log(`missing: ${status.reason}; its rows are skipped`);

  const sectionSeconds: Record<string, number> = {};
  for (const section of o.only) {
    log(`== ${section}`);
    const sectionStart = performance.now();
    switch (section) {
      case 'http': {
        const { section: s, commands } = await runHttp({ rounds: o.quick ? 1 : 3, seconds: o.quick ? 1 : 5, warmupSeconds: 1, connections: [50, 1000], tools, log });
        results.http = s;
        results.commands.http = commands;
        break;
      }
      case 'redis': {
        const { section: s, commands } = await runRedis({ rounds: o.quick ? 1 : 3, requests: o.quick ? 5000 : 50000, pipelines: [1, 16], clients: 50, tools, log });
        results.redis = s;
        results.commands.redis = commands;
        break;
      }
      case 'timers':
      case 'wakeup':
      case 'ffi':
      case 'idle': {
        const script = { timers: 'timers.js', wakeup: 'wakeup.js', ffi: 'ffi-per-call.js', idle: 'idle.js' }[section];
        const { value, command } = await runScript<never>(script, o.quick);
        results[section] = value;
        results.commands[section] = [command];
        break;
      }
    }
    sectionSeconds[section] = (performance.now() - sectionStart) / 1000;
  }
  // Keep sections of an earlier run that --only did not re-measure.
  if (o.only.length < SECTIONS.length) {
    try {
      const previous = JSON.parse(readFileSync(resultsJson, 'utf8')) as Results;
      for (const s of SECTIONS) {
        if (!o.only.includes(s) && previous[s] !== undefined) {
          (results as unknown as Record<string, unknown>)[s] = previous[s];
          results.commands[s] = previous.commands[s] ?? [];
          const seconds = previous.machine.sectionSeconds?.[s];
          if (seconds !== undefined) sectionSeconds[s] = seconds;
        }
      }
    } catch {
      // No earlier results: report only what ran.
    }
  }
  // Sections and their commands in the order of the report, whatever order they ran or were kept in.
  results.machine.sectionSeconds = Object.fromEntries(SECTIONS.filter((s) => s in sectionSeconds).map((s) => [s, sectionSeconds[s]!]));
  results.commands = Object.fromEntries(SECTIONS.filter((s) => s in results.commands).map((s) => [s, results.commands[s]!]));
  mkdirSync(dir, { recursive: true });
  writeFileSync(resultsJson, `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote ${relative(ROOT, resultsJson)} (this run: ${Math.round((performance.now() - started) / 1000)} s)`);
  writeOutputs(results, dir);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  });
}
