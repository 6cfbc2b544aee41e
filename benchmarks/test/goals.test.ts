/** Goals are judged from results.json figures: met, not met with the gap, or not measured. */
import { evaluateGoals } from '../src/goals';
import { limitNotes } from '../src/limits';
import { buildReport } from '../src/report';
import type { HttpSample, Results } from '../src/results';

const sample = (requestsPerSec: number): HttpSample => ({ requestsPerSec, latencyP50Ms: 1, latencyP99Ms: 2, errors: 0 });

function results(rps: Record<string, number[]>): Results {
  return {
    machine: { cpuModel: 'test CPU', cores: 2, kernel: '6.0', node: 'v20', date: '2026-01-01', quick: false },
    commands: { http: ['wrk -t1 -c50 -d5s --latency http://127.0.0.1:8080/'] },
    http: {
      connections: [50],
      seconds: 5,
      rounds: 3,
      wrkThreads: 1,
      rows: Object.entries(rps).map(([id, values]) => ({ id, label: id, samples: { '50': values.map(sample) } })),
      skipped: [],
    },
  };
}

describe('evaluateGoals', () => {
  it('judges on the median of the rounds and states the gap of a missed goal', () => {
    const goals = evaluateGoals(
      results({
        'reactor-koffi-thread': [90, 100, 1000], // median 100: one lucky round does not count
        'c-epoll': [200, 200, 200],
        'node-net': [80, 80, 80],
        'node-http': [50, 50, 50],
      }),
    );
    const c = goals.find((g) => g.goal.includes('C responder'))!;
    expect(c.met).toBe(false);
    expect(c.measured).toContain('0.50×');
    expect(c.gap).toContain('needs +90.0%');
    const net = goals.find((g) => g.goal.includes('node:net'))!;
    expect(net.met).toBe(true);
    expect(net.measured).toContain('1.25×');
    const http = goals.find((g) => g.goal.includes('2× node:http'))!;
    expect(http.met).toBe(true);
  });

  it('says "not measured" when a row did not run, rather than met or not met', () => {
    const goals = evaluateGoals(results({ 'reactor-koffi-thread': [100] }));
    const c = goals.find((g) => g.goal.includes('C responder'))!;
    expect(c.met).toBeUndefined();
    const idle = goals.filter((g) => g.goal.startsWith('Idle'));
    expect(idle.every((g) => g.met === undefined)).toBe(true);
  });

  it('judges lower-is-better goals (idle CPU, timers) the right way round', () => {
    const r = results({});
    r.idle = {
      windowSeconds: 10,
      settleSeconds: 9,
      rows: [
        { binding: 'ffi-rs', cpuMs: 5, cpuPercent: 0.05, turns: 0, nodeModeUsPerTurn: 10, blockingUsPerTurn: 9 },
        { binding: 'koffi', cpuMs: 50, cpuPercent: 0.5, turns: 0, nodeModeUsPerTurn: 5, blockingUsPerTurn: 4 },
      ],
    };
    r.timers = {
      count: 1000,
      rounds: 1,
      rows: [
        { id: 'reactor-ffi-rs', label: 'r', samples: [{ scheduleMs: 1, totalMs: 1000, cpuMs: 100, peakRssMiB: 50, fired: 900 }] },
        { id: 'node', label: 'n', samples: [{ scheduleMs: 1, totalMs: 1000, cpuMs: 200, peakRssMiB: 40, fired: 900 }] },
      ],
    };
    const goals = evaluateGoals(r);
    expect(goals.find((g) => g.measured.startsWith('ffi-rs: 0.050%'))!.met).toBe(true);
    expect(goals.find((g) => g.measured.startsWith('koffi: 0.500%'))!.met).toBe(false);
    expect(goals.find((g) => g.measured.startsWith('ffi-rs: reactor vs setTimeout CPU'))!.met).toBe(true);
    const rss = goals.find((g) => g.measured.startsWith('ffi-rs: reactor vs setTimeout peak RSS'))!;
    expect(rss.met).toBe(false);
    expect(rss.gap).toContain('10.0 MiB over');
  });
});

describe('the pipelined RESP goals', () => {
  it('judge kv on koffi at -P 16 against redis-server (≥ 0.8×) and kv-node (≥ 1.3×), SET and GET each', () => {
    const r = results({});
    const round = (set: number, get: number) => ({ SET: { rps: set, p50Ms: 1, p99Ms: 2 }, GET: { rps: get, p50Ms: 1, p99Ms: 2 } });
    r.redis = {
      pipelines: [1, 16],
      requests: 1000,
      clients: 50,
      rounds: 1,
      rows: [
        // -P 1 figures must not count: they would meet every goal here.
        { id: 'kv-koffi', label: 'kv', samples: { '1': [round(900, 900)], '16': [round(800, 500)] } },
        { id: 'kv-node', label: 'kv-node', samples: { '1': [round(100, 100)], '16': [round(600, 300)] } },
        { id: 'redis-server', label: 'redis', samples: { '1': [round(100, 100)], '16': [round(1000, 1000)] } },
      ],
      skipped: [],
    };
    const g = (measured: string) => evaluateGoals(r).find((x) => x.measured.startsWith(measured))!;
    expect(g('SET: kv koffi ÷ redis-server').met).toBe(true); // 0.80
    expect(g('GET: kv koffi ÷ redis-server').met).toBe(false); // 0.50
    expect(g('SET: kv koffi ÷ kv-node').met).toBe(true); // 1.33
    expect(g('GET: kv koffi ÷ kv-node').met).toBe(true); // 1.67
    expect(g('GET: kv koffi ÷ redis-server').section).toBe('redis');
    expect(limitNotes(evaluateGoals(r), r).join('\n')).toContain('**Pipelined RESP**');
  });
});

describe('the owned-chunk goal', () => {
  const chunks = (cpuUsPerOp?: [number[], number[]]) => {
    const r = results({});
    const row = (chunksKind: 'loan' | 'owned', rates: number[], cpu?: number[]) => ({
      id: `echo-koffi-${chunksKind}`,
      label: chunksKind,
      app: 'echo' as const,
      binding: 'koffi',
      chunks: chunksKind,
      samples: { 'echo-64': rates },
      ...(cpu === undefined ? {} : { cpuUsPerOp: { 'echo-64': cpu } }),
    });
    // The rates alone say owned chunks cost 20%: the host slowed down while the owned row ran.
    r.chunks = { seconds: 4, rounds: 3, connections: 50, echoSizes: [64], rows: [row('loan', [100, 100, 100], cpuUsPerOp?.[0]), row('owned', [80, 80, 80], cpuUsPerOp?.[1])], skipped: [] };
    return evaluateGoals(r).find((g) => g.goal.startsWith('Owned chunks'))!;
  };

  it('is judged on the server CPU per operation, round by round, where it was measured', () => {
    const met = chunks([
      [10, 20, 12],
      [10.2, 20.4, 12.24],
    ]);
    expect(met.measured).toContain('server CPU each, owned ÷ loaned (paired rounds) = 1.020×');
    expect(met.met).toBe(true);
    const missed = chunks([
      [10, 20, 12],
      [11, 22, 13.2],
    ]);
    expect(missed.met).toBe(false);
    expect(missed.gap).toBe('7.0 points over');
  });

  it('falls back to the rates for results from before the CPU was measured', () => {
    const g = chunks();
    expect(g.measured).toContain('rate owned ÷ loaned = 0.80×');
    expect(g.met).toBe(false);
  });
});

describe('buildReport', () => {
  it('has the machine, the goals, the tables and the exact commands', () => {
    const md = buildReport(results({ 'reactor-koffi-thread': [100], 'node-http': [50] }));
    expect(md).toContain('| CPU | test CPU |');
    expect(md).toContain('## Goals');
    expect(md).toMatch(/\| reactor-koffi-thread \| 100 \| 1\.00 \| 2\.00 \| 2\.00× \|/);
    expect(md).toContain('wrk -t1 -c50 -d5s --latency http://127.0.0.1:8080/');
    expect(md).toContain('charts/http.svg');
  });
});

describe('buildReport and the load record', () => {
  const load = (disturbed: boolean) => ({
    loadavgBefore: [0.1, 0.2, 0.3],
    loadavgAfter: [1, 0.5, 0.4],
    othersBeforeCores: 0,
    seconds: 60,
    ownCores: 1.5,
    othersCores: disturbed ? 0.4 : 0.02,
    othersPeakCores: disturbed ? 0.9 : 0.05,
    irqCores: 0.1,
    disturbed,
    reasons: disturbed ? ['others used 40% of a core on average (limit 10%)'] : [],
  });

  it('marks a disturbed section at the top, in the Load table, on its heading and on its goals', () => {
    const r = results({ 'reactor-koffi-thread': [100], 'node-http': [50] });
    r.load = { http: load(true) };
    const md = buildReport(r);
    expect(md).toContain('**Disturbed: http.**');
    expect(md).toMatch(/\| http \| 0% \| 40% \| 90% \| 150% \| 10% \| n\/a \| 0\.1 0\.2 0\.3 → 1 0\.5 0\.4 \| \*\*disturbed\*\*: others used 40%/);
    expect(md).toContain('## 1. HTTP "hello" (disturbed)');
    expect(md).toMatch(/c=50: koffi thread ÷ node:http = 2\.00× \| \*\*met\*\* \(disturbed\)/);
  });

  it('says nothing of disturbance for a quiet run, and still shows its load', () => {
    const r = results({ 'reactor-koffi-thread': [100], 'node-http': [50] });
    r.load = { http: load(false) };
    const md = buildReport(r);
    expect(md).not.toContain('isturbed:');
    expect(md).not.toContain('(disturbed)');
    expect(md).toMatch(/\| http \| .* \| quiet \|/);
  });

  it('puts another Node\'s figures beside this one\'s, with its own goals and load', () => {
    const r = results({ 'reactor-koffi-thread': [100], 'node-http': [50] });
    const alt = results({ 'reactor-koffi-thread': [120], 'node-http': [40] });
    alt.machine = { ...alt.machine, node: 'v26.12.1', nodePath: '/x/node' };
    alt.load = { http: load(true) };
    r.otherNodes = [alt];
    const md = buildReport(r);
    expect(md).toContain('| Node | v20 (and v26.12.1: see "On Node …") |');
    expect(md).toContain('## On Node v26.12.1');
    expect(md).toContain('--node /x/node');
    expect(md).toMatch(/\| reactor-koffi-thread \| 50 \| 100 \| 120 \| 1\.20× \|/);
    expect(md).toContain('### 1. HTTP "hello" (disturbed)');
    expect(md).toMatch(/c=50: koffi thread ÷ node:http = 3\.00× \| \*\*met\*\* \(disturbed\)/);
    // The primary run was not disturbed: only the other Node's part says so.
    expect(md).toContain('## 1. HTTP "hello"\n');
  });
});

describe('limitNotes', () => {
  it('explains only the kinds of goals that were missed', () => {
    const r = results({ 'reactor-koffi-thread': [100], 'c-epoll': [200], 'node-net': [50], 'node-http': [40] });
    const notes = limitNotes(evaluateGoals(r), r).join('\n');
    expect(notes).toContain('What limits the missed goals');
    expect(notes).toContain('**HTTP**');
    expect(notes).not.toContain('**Timers**');
    const fine = results({ 'reactor-koffi-thread': [200], 'c-epoll': [200], 'node-net': [100], 'node-http': [50] });
    expect(limitNotes(evaluateGoals(fine), fine)).toEqual([]);
  });
});
