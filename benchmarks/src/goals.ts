/**
 * The project's performance goals, checked against measured figures: each
 * one met / not met / not measured, with the ratio and the gap to the goal.
 */
import { median, ratio, type Results } from './results';
import { chunkPairs } from './run-chunks';

export interface Goal {
  goal: string;
  /** What was compared, with the measured ratio. */
  measured: string;
  /** undefined when a row it needs did not run. */
  met: boolean | undefined;
  /** How far from the goal (e.g. "needs +12%"), empty when met. */
  gap: string;
  /** The section whose figures judge it (its load record says whether they were disturbed). */
  section?: string;
}

/** Which section each kind of goal is judged from, by the start of its text. */
const GOAL_SECTIONS: Array<[prefix: string, section: string]> = [
  ['HTTP', 'http'],
  ['Default run mode', 'http'],
  ['Redis', 'redis'],
  ['Timers', 'timers'],
  ['Wake-ups', 'wakeup'],
  ['Owned chunks', 'chunks'],
  ['Idle', 'idle'],
];

/** median req/s of an HTTP row at a connection count. */
export function httpRps(r: Results, id: string, connections: number): number | undefined {
  const row = r.http?.rows.find((x) => x.id === id);
  const samples = row?.samples[String(connections)];
  if (samples === undefined || samples.length === 0) return undefined;
  return median(samples.map((s) => s.requestsPerSec));
}

/** A goal "a ÷ b ≥ target" (higher is better). */
function atLeast(goal: string, what: string, a: number | undefined, b: number | undefined, target: number): Goal {
  const x = ratio(a, b);
  if (!Number.isFinite(x)) return { goal, measured: `${what}: not measured`, met: undefined, gap: '' };
  const met = x >= target;
  return { goal, measured: `${what} = ${x.toFixed(2)}×`, met, gap: met ? '' : `${(target - x).toFixed(2)}× short (needs +${((target / x - 1) * 100).toFixed(1)}%)` };
}

/** A goal "a ≤ b" (lower is better: time, memory, latency). */
function atMost(goal: string, what: string, a: number | undefined, b: number | undefined, unit: string): Goal {
  const x = ratio(a, b);
  if (!Number.isFinite(x)) return { goal, measured: `${what}: not measured`, met: undefined, gap: '' };
  const met = x <= 1;
  return {
    goal,
    measured: `${what}: ${a!.toFixed(1)} vs ${b!.toFixed(1)} ${unit} = ${x.toFixed(2)}×`,
    met,
    gap: met ? '' : `${(a! - b!).toFixed(1)} ${unit} over (${((x - 1) * 100).toFixed(0)}% more)`,
  };
}

/** A goal "ratio ≤ limit" on a ratio computed elsewhere (lower is better). */
function atMostRatio(goal: string, what: string, x: number, limit: number): Goal {
  const met = x <= limit;
  return { goal, measured: `${what} = ${x.toFixed(3)}×`, met, gap: met ? '' : `${((x - limit) * 100).toFixed(1)} points over` };
}

export function evaluateGoals(r: Results): Goal[] {
  const goals: Goal[] = [];
  const conns = r.http?.connections ?? [50, 1000];
  for (const c of conns) {
    const koffiThread = httpRps(r, 'reactor-koffi-thread', c);
    goals.push(atLeast('HTTP, koffi, thread mode ≥ 0.95× the C responder', `c=${c}: koffi thread ÷ C`, koffiThread, httpRps(r, 'c-epoll', c), 0.95));
    goals.push(atLeast('HTTP, koffi, thread mode ≥ 1.1× the node:net responder', `c=${c}: koffi thread ÷ node:net`, koffiThread, httpRps(r, 'node-net', c), 1.1));
    goals.push(atLeast('HTTP, koffi, thread mode ≥ 2× node:http', `c=${c}: koffi thread ÷ node:http`, koffiThread, httpRps(r, 'node-http', c), 2));
  }
  for (const c of conns) {
    goals.push(atLeast('HTTP, ffi-rs (default binding, default mode) ≥ 1.0× the node:net responder', `c=${c}: ffi-rs node mode ÷ node:net`, httpRps(r, 'reactor-ffi-rs-node', c), httpRps(r, 'node-net', c), 1));
  }
  for (const b of ['koffi', 'ffi-rs']) {
    for (const c of conns) {
      goals.push(atLeast('Default run mode within 10% of thread mode under load', `c=${c}, ${b}: node mode ÷ thread mode`, httpRps(r, `reactor-${b}-node`, c), httpRps(r, `reactor-${b}-thread`, c), 0.9));
    }
  }
  // Pipelined RESP: the kv example on koffi against redis-server and against itself on node:net.
  const redis = (id: string, test: string) => {
    const samples = r.redis?.rows.find((x) => x.id === id)?.samples['16'] ?? [];
    const rps = samples.map((s) => s[test]?.rps ?? Number.NaN).filter(Number.isFinite);
    return rps.length === 0 ? undefined : median(rps);
  };
  for (const test of ['SET', 'GET']) {
    goals.push(atLeast('Redis -P 16: kv (koffi) ≥ 0.8× redis-server', `${test}: kv koffi ÷ redis-server`, redis('kv-koffi', test), redis('redis-server', test), 0.8));
    goals.push(atLeast('Redis -P 16: kv (koffi) ≥ 1.3× kv-node (node:net)', `${test}: kv koffi ÷ kv-node`, redis('kv-koffi', test), redis('kv-node', test), 1.3));
  }
  const timers = (id: string, key: 'cpuMs' | 'totalMs' | 'peakRssMiB') => {
    const row = r.timers?.rows.find((x) => x.id === id);
    return row === undefined ? undefined : median(row.samples.map((s) => s[key]));
  };
  const count = r.timers === undefined ? '1M' : r.timers.count.toLocaleString('en');
  // At the default settings (timerSlackMs 1); the exact rows (timerSlackMs 0) are shown, not goals.
  for (const b of ['ffi-rs', 'koffi']) {
    goals.push(atMost(`Timers: ${count} timers faster than setTimeout (CPU time)`, `${b}: reactor vs setTimeout CPU`, timers(`reactor-${b}`, 'cpuMs'), timers('node', 'cpuMs'), 'ms'));
    goals.push(atMost(`Timers: ${count} timers, wall time until the last fired no longer than setTimeout`, `${b}: reactor vs setTimeout wall`, timers(`reactor-${b}`, 'totalMs'), timers('node', 'totalMs'), 'ms'));
    goals.push(atMost('Timers: no more memory than setTimeout (peak RSS)', `${b}: reactor vs setTimeout peak RSS`, timers(`reactor-${b}`, 'peakRssMiB'), timers('node', 'peakRssMiB'), 'MiB'));
  }
  const wake = (id: string) => {
    const row = r.wakeup?.rows.find((x) => x.id === id);
    return row === undefined ? undefined : median(row.samples.map((s) => s.p50us));
  };
  for (const paced of ['', '-paced']) {
    for (const b of ['ffi-rs', 'koffi']) {
      for (const mode of ['node', 'thread']) {
        const how = paced ? ', asleep between wakes' : ', back to back';
        goals.push(atMost('Wake-ups: lower latency than postMessage (one-way p50)', `${b}, ${mode} mode${how} vs postMessage`, wake(`reactor-${b}-${mode}${paced}`), wake(`postMessage${paced}`), 'µs'));
      }
    }
  }
  if (r.chunks !== undefined) {
    for (const p of chunkPairs(r.chunks)) {
      const goal = 'Owned chunks (the default) cost ≤ 3% against loaned ones';
      const what = `${p.measure === 'http' ? 'HTTP hello' : `echo ${p.measure.slice(5)} B`}, ${p.binding}`;
      // Judged on server CPU per operation where it was measured (run-chunks.ts says why); older results by rate.
      goals.push(Number.isFinite(p.cpuRatio) ? atMostRatio(goal, `${what}: server CPU each, owned ÷ loaned (paired rounds)`, p.cpuRatio, 1.03) : atLeast(goal, `${what}: rate owned ÷ loaned`, p.owned, p.loan, 0.97));
    }
  }
  for (const b of ['ffi-rs', 'koffi']) {
    const row = r.idle?.rows.find((x) => x.binding === b);
    const pct = row?.cpuPercent;
    goals.push(
      pct === undefined
        ? { goal: 'Idle: < 0.1% CPU', measured: `${b}: not measured`, met: undefined, gap: '' }
        : { goal: 'Idle: < 0.1% CPU', measured: `${b}: ${pct.toFixed(3)}% of one core over ${r.idle!.windowSeconds} s`, met: pct < 0.1, gap: pct < 0.1 ? '' : `${(pct - 0.1).toFixed(3)} points over` },
    );
  }
  return goals.map((g) => ({ ...g, section: GOAL_SECTIONS.find(([prefix]) => g.goal.startsWith(prefix))?.[1] }));
}
