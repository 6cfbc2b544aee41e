/** benchmarks/RESULTS.md from results.json: machine, commands, tables with ratios, goals, charts. */
import { evaluateGoals, type Goal } from './goals';
import { formatIdle } from './idle';
import { limitNotes } from './limits';
import { disturbedBanner, disturbedMark, loadSection } from './report-load';
import type { LoadCost } from './cpu';
import { formatRatio, httpCost, median, ratio, redisCost, type Results } from './results';
import { formatTimers } from './timers';
import { formatWakeup } from './wakeup';
import { formatChunks } from './run-chunks';

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');

const CPU_COLUMNS =
  'CPU columns (from /proc over each measured run): the server\'s CPU per request, and how busy the server and the load generator were (CPU ÷ wall time; 1.00 is one core). ' +
  'Both share this machine\'s cores over loopback, so a load generator near one core busy is the ceiling of every row it measures: past it, requests/s compare the client, and the server CPU per request is the figure that still separates the servers.';

function httpSection(r: Results): string[] {
  const h = r.http!;
  const rps = (id: string, c: number) => median((h.rows.find((x) => x.id === id)?.samples[String(c)] ?? []).map((s) => s.requestsPerSec));
  const lines = [
    `## 1. HTTP "hello"${disturbedMark(r, 'http')}`,
    '',
    `wrk -t${h.wrkThreads}, ${h.seconds} s per measurement after a warm-up, ${h.rounds} round(s) alternating over the servers (each started fresh for its turn); medians. Ratios are requests/s ÷ the named peer.`,
    '',
    CPU_COLUMNS,
    '',
  ];
  for (const c of h.connections) {
    lines.push(
      `### ${c} connections`,
      '',
      '| server | requests/s | p50 (ms) | p99 (ms) | ÷ node:http | ÷ node:net | ÷ C | server CPU (µs/request) | server busy (cores) | wrk busy (cores) | errors |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const row of h.rows) {
      const s = row.samples[String(c)] ?? [];
      const mine = median(s.map((x) => x.requestsPerSec));
      const cost = (key: keyof LoadCost) => httpCost(r, row.id, c, key);
      lines.push(
        `| ${row.label} | ${fmt(mine)} | ${fmt(median(s.map((x) => x.latencyP50Ms)), 2)} | ${fmt(median(s.map((x) => x.latencyP99Ms)), 2)} | ` +
          `${formatRatio(ratio(mine, rps('node-http', c)))} | ${formatRatio(ratio(mine, rps('node-net', c)))} | ${formatRatio(ratio(mine, rps('c-epoll', c)))} | ` +
          `${fmt(cost('serverUsPerOp'), 1)} | ${fmt(cost('serverCores'), 2)} | ${fmt(cost('clientCores'), 2)} | ${s.reduce((n, x) => n + x.errors, 0)} |`,
      );
    }
    lines.push('');
  }
  lines.push('![HTTP requests/s](charts/http.svg)', '', '![HTTP latency p99](charts/http-latency.svg)', '');
  return lines;
}

function redisSection(r: Results): string[] {
  const d = r.redis!;
  const tests = ['PING_INLINE', 'PING_MBULK', 'SET', 'GET'];
  const lines = [
    `## 2. Redis protocol${disturbedMark(r, 'redis')}`,
    '',
    `redis-benchmark -t ping,set,get -c ${d.clients}, -n ${d.requests} per test at -P 1 (more for deeper pipelines, see Commands), ${d.rounds} round(s) alternating over the servers; medians of requests/s.`,
    '',
    CPU_COLUMNS,
    '',
  ];
  for (const p of d.pipelines) {
    const get = (id: string, t: string) => median((d.rows.find((x) => x.id === id)?.samples[String(p)] ?? []).map((s) => s[t]?.rps ?? Number.NaN).filter(Number.isFinite));
    lines.push(`### -P ${p}`, '', `| server | ${tests.join(' | ')} | GET ÷ kv-node | GET ÷ redis-server |`, `|---|${tests.map(() => '---:').join('|')}|---:|---:|`);
    for (const row of d.rows) {
      lines.push(`| ${row.label} | ${tests.map((t) => fmt(get(row.id, t))).join(' | ')} | ${formatRatio(ratio(get(row.id, 'GET'), get('kv-node', 'GET')))} | ${formatRatio(ratio(get(row.id, 'GET'), get('redis-server', 'GET')))} |`);
    }
    lines.push('');
    const cost = (id: string, t: string, key: keyof LoadCost) => redisCost(r, id, p, t, key);
    if (d.rows.some((row) => Number.isFinite(cost(row.id, 'GET', 'serverUsPerOp')))) {
      lines.push(`| server, -P ${p} | ${['SET', 'GET'].map((t) => `${t}: server CPU (µs/request) | ${t}: server busy (cores) | ${t}: redis-benchmark busy (cores)`).join(' | ')} |`, `|---|${'---:|'.repeat(6)}`);
      for (const row of d.rows) {
        lines.push(`| ${row.label} | ${['SET', 'GET'].map((t) => `${fmt(cost(row.id, t, 'serverUsPerOp'), 2)} | ${fmt(cost(row.id, t, 'serverCores'), 2)} | ${fmt(cost(row.id, t, 'clientCores'), 2)}`).join(' | ')} |`);
      }
      lines.push('');
    }
  }
  lines.push(...d.pipelines.map((p) => `![Redis requests/s, -P ${p}](charts/redis-P${p}.svg)\n`));
  return lines;
}

function ffiSection(r: Results): string[] {
  const f = r.ffi!;
  const lines = [
    `## 5. FFI cost per call${disturbedMark(r, 'ffi')}`,
    '',
    `median of ${f.rounds} alternating rounds × ${f.iterations} iterations, a child process per binding.`,
    'Under ffi-rs, read/write/readv/writev do not go through ffi-rs: they are Node\'s synchronous fs calls (packages/fds/src/ffi/node-io.ts), so those rows measure that path; getpid and epoll_wait are true ffi-rs calls.',
    '',
    '| call | ffi-rs (µs/call) | koffi (µs/call) | ffi-rs ÷ koffi |',
    '|---|---:|---:|---:|',
  ];
  for (const [name, by] of Object.entries(f.calls)) {
    const a = median(by['ffi-rs'] ?? []);
    const b = median(by.koffi ?? []);
    lines.push(`| ${name} | ${fmt(a, 2)} | ${fmt(b, 3)} | ${formatRatio(ratio(a, b))} |`);
  }
  lines.push('', '![FFI per call](charts/ffi.svg)', '');
  return lines;
}

function goalsTable(r: Results, goals: Goal[]): string[] {
  return [
    '| goal | measured | met | gap |',
    '|---|---|---|---|',
    ...goals.map((g) => `| ${g.goal} | ${g.measured} | ${g.met === undefined ? 'not measured' : g.met ? '**met**' : 'not met'}${g.met === undefined ? '' : disturbedMark(r, g.section)} | ${g.gap} |`),
  ];
}

/** Every measured section's tables and charts, in report order. */
function sectionTables(r: Results): string[] {
  const lines: string[] = [];
  if (r.http !== undefined) lines.push(...httpSection(r));
  if (r.redis !== undefined) lines.push(...redisSection(r));
  if (r.timers !== undefined) lines.push(`## 3. Timers${disturbedMark(r, 'timers')}`, '', formatTimers(r.timers), '', '![Timers time](charts/timers.svg)', '', '![Timers memory](charts/timers-memory.svg)', '');
  if (r.wakeup !== undefined) lines.push(`## 4. Wake-ups${disturbedMark(r, 'wakeup')}`, '', formatWakeup(r.wakeup), '', '![Wake-ups](charts/wakeup.svg)', '');
  if (r.chunks !== undefined) lines.push(`## 4b. Owned vs loaned chunks${disturbedMark(r, 'chunks')}`, '', formatChunks(r.chunks), '');
  if (r.ffi !== undefined) lines.push(...ffiSection(r));
  if (r.idle !== undefined) lines.push(`## 6. Idle cost and hand-off per turn${disturbedMark(r, 'idle')}`, '', formatIdle(r.idle), '', '![Turn cost](charts/idle.svg)', '');
  return lines;
}

const runTime = (seconds: Record<string, number>) =>
  `${Math.round(Object.values(seconds).reduce((a, b) => a + b, 0))} s (${Object.entries(seconds)
    .map(([k, v]) => `${k} ${Math.round(v)} s`)
    .join(', ')})`;

/** HTTP req/s and timer CPU/wall of each row on this report's Node and on `alt`'s, side by side. */
function besideTable(r: Results, alt: Results): string[] {
  const here = r.machine.node;
  const there = alt.machine.node;
  const lines: string[] = [];
  if (r.http !== undefined && alt.http !== undefined) {
    lines.push(`| HTTP row | connections | req/s, ${here} | req/s, ${there} | ${there} ÷ ${here} |`, '|---|---:|---:|---:|---:|');
    for (const row of alt.http.rows) {
      for (const c of alt.http.connections) {
        const a = median((r.http.rows.find((x) => x.id === row.id)?.samples[String(c)] ?? []).map((s) => s.requestsPerSec));
        const b = median((row.samples[String(c)] ?? []).map((s) => s.requestsPerSec));
        lines.push(`| ${row.label} | ${c} | ${fmt(a)} | ${fmt(b)} | ${formatRatio(ratio(b, a))} |`);
      }
    }
    lines.push('');
  }
  if (r.timers !== undefined && alt.timers !== undefined) {
    lines.push(`| timers row | CPU (ms), ${here} | CPU (ms), ${there} | wall (ms), ${here} | wall (ms), ${there} | CPU ${there} ÷ ${here} |`, '|---|---:|---:|---:|---:|---:|');
    for (const row of alt.timers.rows) {
      const mine = r.timers.rows.find((x) => x.id === row.id)?.samples ?? [];
      const [cpuA, cpuB] = [median(mine.map((s) => s.cpuMs)), median(row.samples.map((s) => s.cpuMs))];
      lines.push(`| ${row.label} | ${fmt(cpuA)} | ${fmt(cpuB)} | ${fmt(median(mine.map((s) => s.totalMs)))} | ${fmt(median(row.samples.map((s) => s.totalMs)))} | ${formatRatio(ratio(cpuB, cpuA))} |`);
    }
    lines.push('');
  }
  return lines;
}

/** The figures of another Node binary (`--node`): headings one level down, no charts (they show this report's Node). */
function otherNodeSection(r: Results, alt: Results): string[] {
  const m = alt.machine;
  const demote = (line: string) => (line.startsWith('#') ? `#${line}` : line);
  return [
    `## On Node ${m.node}`,
    '',
    `\`pnpm bench${m.quick ? ' --quick' : ''} --node ${m.nodePath ?? 'PATH'}\`, ${m.date}${m.sectionSeconds === undefined ? '' : `, run time ${runTime(m.sectionSeconds)}`}. Its own ratios (each row against its peers on the same Node), then the same tables.`,
    '',
    ...disturbedBanner(alt),
    ...besideTable(r, alt),
    ...loadSection(alt).map(demote),
    '### Goals on this Node',
    '',
    ...goalsTable(alt, evaluateGoals(alt)),
    '',
    ...sectionTables(alt)
      .filter((line) => !line.startsWith('!['))
      .map(demote),
    '### Commands on this Node',
    '',
    ...Object.entries(alt.commands).flatMap(([section, commands]) => [`#### ${section}`, '', '```sh', ...commands, '```', '']),
  ];
}

export function buildReport(r: Results): string {
  const m = r.machine;
  const goals = evaluateGoals(r);
  const lines: string[] = [
    '# Benchmark results',
    '',
    `Generated by \`pnpm bench${m.quick ? ' --quick' : ''}\` (rebuild this file and the charts from results.json with \`pnpm bench --report-only\`).`,
    m.quick ? '\n**Quick run (smoke test): short measurements, one round. Do not quote these figures.**\n' : '',
    ...disturbedBanner(r),
    '| | |',
    '|---|---|',
    `| CPU | ${m.cpuModel} |`,
    `| cores | ${m.cores} |`,
    `| kernel | ${m.kernel} |`,
    `| Node | ${m.node}${(r.otherNodes ?? []).length > 0 ? ` (and ${r.otherNodes!.map((x) => x.machine.node).join(', ')}: see "On Node …")` : ''} |`,
    `| date | ${m.date} |`,
    ...(m.sectionSeconds === undefined ? [] : [`| run time | ${runTime(m.sectionSeconds)} |`]),
    '',
    'Clients and servers share the same cores (loopback), so a server that leaves more CPU to the client looks faster; every row pays the same tax. Absolute figures are noisy; the ratios are what matter.',
    '',
    ...loadSection(r),
    '## Goals',
    '',
    ...goalsTable(r, goals),
    '',
    ...limitNotes(goals, r),
    ...sectionTables(r),
  ];
  for (const alt of r.otherNodes ?? []) lines.push(...otherNodeSection(r, alt));
  const skipped = [...(r.http?.skipped ?? []), ...(r.redis?.skipped ?? [])];
  if (skipped.length > 0) lines.push('## Skipped rows', '', ...skipped.map((s) => `- ${s.label}: ${s.reason}`), '');
  lines.push('## Commands', '');
  for (const [section, commands] of Object.entries(r.commands)) lines.push(`### ${section}`, '', '```sh', ...commands, '```', '');
  return lines.join('\n');
}
