/**
 * What a timer granularity costs in accuracy: how late (or early) timers
 * fire against their deadline, for the reactor with exact timers
 * (`timerSlackMs: 0`), with Node's granularity (`timerSlackMs: 1`), and for
 * `setTimeout`. Each timer's deadline is `performance.now()` when it was
 * scheduled plus its delay; the callback takes `performance.now()` again.
 * Delays spread over 0-999 ms; a light load (10,000 timers) and the million
 * of timers.ts. Also the CPU time and, for the reactor, its turns (one per
 * timerfd wake). Each measurement in a fresh process; rows alternate.
 *
 *   node benchmarks/dist/timer-lateness.js [--count N] [--rounds R] [--json]
 */
import { childRounds } from './child-rounds';
import { median } from './results';

type Kind = 'exact' | 'slack1' | 'node';

export interface LatenessSample {
  count: number;
  /** Lateness in ms (fire − deadline): percentiles, the latest, and the earliest (negative: fired before its deadline). */
  p50: number;
  p99: number;
  max: number;
  min: number;
  /** Timers that fired before their deadline. */
  early: number;
  cpuMs: number;
  /** Reactor turns (undefined for setTimeout). */
  turns?: number;
}

async function child(kind: Kind, count: number): Promise<LatenessSample> {
  const delays = new Float64Array(count);
  for (let i = 0; i < count; i++) delays[i] = (i * 7919) % 1000;
  const late = new Float64Array(count);
  let fired = 0;
  const { Reactor } = await import('@reactor/reactor');
  const loop = new Reactor({ timerSlackMs: kind === 'slack1' ? 1 : 0 });
  const cpu0 = process.cpuUsage();
  if (kind !== 'node') {
    for (let i = 0; i < count; i++) {
      const due = performance.now() + delays[i]!;
      loop.after(delays[i]!, () => (late[fired++] = performance.now() - due));
    }
    await loop.run();
  } else {
    await new Promise<void>((resolve) => {
      for (let i = 0; i < count; i++) {
        const due = performance.now() + delays[i]!;
        setTimeout(() => {
          late[fired++] = performance.now() - due;
          if (fired === count) resolve();
        }, delays[i]!);
      }
    });
  }
  const cpu = process.cpuUsage(cpu0);
  const turns = kind === 'node' ? undefined : loop.stats().turns;
  loop.close();
  const sorted = late.subarray(0, fired).sort();
  let early = 0;
  for (const x of sorted) if (x < 0) early++;
  return {
    count: fired,
    p50: sorted[Math.floor(fired * 0.5)]!,
    p99: sorted[Math.floor(fired * 0.99)]!,
    max: sorted[fired - 1]!,
    min: sorted[0]!,
    early,
    cpuMs: (cpu.user + cpu.system) / 1000,
    ...(turns === undefined ? {} : { turns }),
  };
}

const ROWS = [
  { id: 'exact-ffi-rs', label: 'reactor, ffi-rs, exact (timerSlackMs 0)', kind: 'exact', binding: 'ffi-rs' },
  { id: 'slack1-ffi-rs', label: 'reactor, ffi-rs, timerSlackMs 1 (the default)', kind: 'slack1', binding: 'ffi-rs' },
  { id: 'exact-koffi', label: 'reactor, koffi, exact (timerSlackMs 0)', kind: 'exact', binding: 'koffi' },
  { id: 'slack1-koffi', label: 'reactor, koffi, timerSlackMs 1 (the default)', kind: 'slack1', binding: 'koffi' },
  { id: 'node', label: 'Node setTimeout', kind: 'node', binding: 'ffi-rs' },
] as const;

export function measureLateness(count: number, rounds: number) {
  const samples = childRounds<(typeof ROWS)[number], LatenessSample>(ROWS, rounds, (r) => ['--max-old-space-size=4096', __filename, '--child', r.kind, String(count)]);
  return { count, rounds, rows: ROWS.map((r, i) => ({ id: r.id, label: r.label, samples: samples[i]! })) };
}

export function formatLateness(m: ReturnType<typeof measureLateness>): string {
  const med = (s: LatenessSample[], key: keyof LatenessSample) => median(s.map((x) => x[key] ?? Number.NaN));
  return [
    `${m.count.toLocaleString('en')} timers (delays 0-999 ms), lateness = fire − (scheduled + delay), medians of ${m.rounds} round(s), a fresh process each`,
    '',
    '| row | lateness p50 (ms) | p99 (ms) | latest (ms) | earliest (ms) | fired early | CPU (ms) | turns |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...m.rows.map(
      (r) =>
        `| ${r.label} | ${med(r.samples, 'p50').toFixed(3)} | ${med(r.samples, 'p99').toFixed(3)} | ${med(r.samples, 'max').toFixed(2)} | ${med(r.samples, 'min').toFixed(3)} | ` +
        `${med(r.samples, 'early').toFixed(0)} | ${med(r.samples, 'cpuMs').toFixed(0)} | ${Number.isFinite(med(r.samples, 'turns')) ? med(r.samples, 'turns').toFixed(0) : '—'} |`,
    ),
  ].join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    child(args[1] as Kind, Number(args[2])).then((r) => process.stdout.write(JSON.stringify(r)));
  } else {
    const value = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
    const m = measureLateness(value('--count', 10_000), value('--rounds', 3));
    console.log(args.includes('--json') ? JSON.stringify(m) : formatLateness(m));
  }
}
