import type { LoadCost } from './cpu';
import type { SectionLoad } from './load';

/**
 * The shape of benchmarks/results.json (raw figures of every round, so the
 * report can be rebuilt with `--report-only`) and the arithmetic on it.
 */

/** One HTTP measurement (one wrk run). */
export interface HttpSample {
  requestsPerSec: number;
  /** Requests completed in the run (older results have none). */
  requests?: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Socket errors (connect+read+write+timeout) plus non-2xx responses: nonzero means the row is suspect. */
  errors: number;
  /** Server and client CPU over the run (older results have none). */
  cost?: LoadCost;
}

/** One redis-benchmark run: requests/s per test (PING_INLINE, PING_MBULK, SET, GET), and the CPU of the run that measured it. */
export type RedisSample = Record<string, { rps: number; p50Ms: number; p99Ms: number; cost?: LoadCost }>;

/** A row that could not run, and why (a tool is missing, the server did not start). */
export interface Skipped {
  id: string;
  label: string;
  reason: string;
}

export interface HttpSection {
  connections: number[];
  seconds: number;
  rounds: number;
  wrkThreads: number;
  /** rows[id] = { label, samples[connections][] } */
  rows: Array<{ id: string; label: string; samples: Record<string, HttpSample[]> }>;
  skipped: Skipped[];
}

export interface RedisSection {
  pipelines: number[];
  requests: number;
  clients: number;
  rounds: number;
  rows: Array<{ id: string; label: string; samples: Record<string, RedisSample[]> }>;
  skipped: Skipped[];
}

/** What timers.js --json prints. */
export interface TimersSection {
  count: number;
  rounds: number;
  rows: Array<{ id: string; label: string; samples: Array<{ scheduleMs: number; totalMs: number; cpuMs: number; peakRssMiB: number; fired: number }> }>;
}

/** What wakeup.js --json prints. */
export interface WakeupSection {
  wakes: number;
  /** Wakes per paced measurement (older results have none). */
  pacedWakes?: number;
  rounds: number;
  rows: Array<{ id: string; label: string; samples: Array<{ p50us: number; p99us: number; rttP50us: number; perSec: number }> }>;
}

/** The owned-vs-loaned chunks comparison (run-chunks.ts): rates per round, keyed by measure. */
export interface ChunksSection {
  seconds: number;
  rounds: number;
  connections: number;
  /** Echo message sizes (bytes); the measures are `http` and `echo-<size>`. */
  echoSizes: number[];
  rows: Array<{
    id: string;
    label: string;
    app: 'http' | 'echo';
    binding: string;
    chunks: 'loan' | 'owned';
    samples: Record<string, number[]>;
    /** Server CPU per request or round trip (µs), per round, keyed as samples (older results have none). */
    cpuUsPerOp?: Record<string, number[]>;
  }>;
  skipped: Skipped[];
}

/** What ffi-per-call.js --json prints. */
export interface FfiSection {
  iterations: number;
  rounds: number;
  /** calls[name][binding] = µs per call, one per round */
  calls: Record<string, Record<string, number[]>>;
}

/** What idle.js --json prints (one per binding). */
export interface IdleSection {
  windowSeconds: number;
  settleSeconds: number;
  rows: Array<{
    binding: string;
    cpuMs: number;
    cpuPercent: number;
    turns: number;
    /** Per-turn cost of a self-wake ping-pong: default (node) run mode vs runBlocking. */
    nodeModeUsPerTurn: number;
    blockingUsPerTurn: number;
  }>;
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  kernel: string;
  /** The Node version the comparisons ran on (the servers' and child processes'). */
  node: string;
  /** The binary given with --node, when not this process's own. */
  nodePath?: string;
  date: string;
  quick: boolean;
  /** Seconds each section took (sections kept from an earlier run keep their own). */
  sectionSeconds?: Record<string, number>;
}

export interface Results {
  machine: MachineInfo;
  /** The exact commands each section ran, for the report. */
  commands: Record<string, string[]>;
  http?: HttpSection;
  redis?: RedisSection;
  timers?: TimersSection;
  wakeup?: WakeupSection;
  chunks?: ChunksSection;
  ffi?: FfiSection;
  idle?: IdleSection;
  /** The machine's load during each section, and whether it was disturbed (load.ts). */
  load?: Record<string, SectionLoad>;
  /** The same comparisons run on other Node binaries (`--node PATH`), one per version. */
  otherNodes?: Results[];
}

/** The median (upper median for an even count); NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The median of one cost figure (cpu.ts) over an HTTP row's runs at `connections`; NaN where it was not measured. */
export function httpCost(r: Results, id: string, connections: number, key: keyof LoadCost): number {
  const samples = r.http?.rows.find((x) => x.id === id)?.samples[String(connections)] ?? [];
  return median(samples.map((s) => s.cost?.[key] ?? Number.NaN).filter(Number.isFinite));
}

/** The same over a Redis row's runs of `test` at pipeline depth `pipeline`. */
export function redisCost(r: Results, id: string, pipeline: number, test: string, key: keyof LoadCost): number {
  const samples = r.redis?.rows.find((x) => x.id === id)?.samples[String(pipeline)] ?? [];
  return median(samples.map((s) => s[test]?.cost?.[key] ?? Number.NaN).filter(Number.isFinite));
}

/** a ÷ b, NaN when either is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return Number.NaN;
  return a / b;
}

/** "1.23×", or "n/a" for a ratio that could not be computed. */
export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}
