/**
 * One million timers: scheduled with delays spread over 0-1000 ms, 10%
 * cancelled, the rest fired. The reactor (one timerfd, indexed heap) under
 * each binding, at its default slack (1 ms) and exact, vs Node's setTimeout,
 * each in a fresh process, alternating rounds. Wall time, CPU time and peak RSS (the kernel's high-water mark).
 *
 *   node benchmarks/dist/timers.js [--quick] [--count N] [--json]
 *
 * --json prints the raw figures (every round) for `pnpm bench` instead of the table.
 */
import { childRounds } from './child-rounds';
import { median, type TimersSection } from './results';

type Sample = TimersSection['rows'][number]['samples'][number];

/** `reactor`: the default (`timerSlackMs` 1, the granularity of Node's own timers); `reactor-exact`: `timerSlackMs: 0`. */
type Kind = 'reactor' | 'reactor-exact' | 'node';

async function child(kind: Kind, count: number): Promise<Sample> {
  const delays = new Float64Array(count);
  for (let i = 0; i < count; i++) delays[i] = (i * 7919) % 1000; // deterministic spread
  let fired = 0;
  // Load and construct before the clock starts: module loading is not timer cost.
  const { Reactor } = await import('@reactor/reactor');
  const loop = new Reactor(kind === 'reactor-exact' ? { timerSlackMs: 0 } : {});
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let scheduleMs: number;
  if (kind !== 'node') {
    const timers = new Array(count);
    for (let i = 0; i < count; i++) timers[i] = loop.after(delays[i]!, () => fired++);
    for (let i = 0; i < count; i += 10) timers[i].cancel();
    scheduleMs = performance.now() - t0;
    await loop.run();
  } else {
    const timers = new Array(count);
    for (let i = 0; i < count; i++) timers[i] = setTimeout(() => fired++, delays[i]!);
    for (let i = 0; i < count; i += 10) clearTimeout(timers[i]);
    scheduleMs = performance.now() - t0;
    await new Promise<void>((resolve) => {
      const check = () => (fired === count - Math.ceil(count / 10) ? resolve() : setTimeout(check, 5).unref());
      setTimeout(check, 1000);
    });
  }
  const totalMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  loop.close();
  // maxRSS is the kernel's peak (KiB) for the whole process life: sampling would miss spikes.
  return { scheduleMs, totalMs, cpuMs: (cpu.user + cpu.system) / 1000, fired, peakRssMiB: process.resourceUsage().maxRSS / 1024 };
}

const ROWS = [
  { id: 'reactor-ffi-rs', label: 'reactor (ffi-rs)', kind: 'reactor', binding: 'ffi-rs' },
  { id: 'reactor-koffi', label: 'reactor (koffi)', kind: 'reactor', binding: 'koffi' },
  { id: 'reactor-ffi-rs-exact', label: 'reactor (ffi-rs, exact: timerSlackMs 0)', kind: 'reactor-exact', binding: 'ffi-rs' },
  { id: 'reactor-koffi-exact', label: 'reactor (koffi, exact: timerSlackMs 0)', kind: 'reactor-exact', binding: 'koffi' },
  { id: 'node', label: 'Node setTimeout', kind: 'node', binding: 'ffi-rs' },
] as const;

export function measureTimers(quick: boolean, count = quick ? 200_000 : 1_000_000): TimersSection {
  const rounds = quick ? 1 : 5; // CPU time includes GC threads and swings ±15% a run: more rounds than the others
  const samples = childRounds<(typeof ROWS)[number], Sample>(ROWS, rounds, (r) => ['--max-old-space-size=4096', __filename, '--child', r.kind, String(count)]);
  return { count, rounds, rows: ROWS.map((r, i) => ({ id: r.id, label: r.label, samples: samples[i]! })) };
}

export function formatTimers(t: TimersSection): string {
  const med = (samples: Sample[], key: keyof Sample) => median(samples.map((x) => x[key]));
  const node = t.rows.find((r) => r.id === 'node')!.samples;
  const lines = [
    `${t.count.toLocaleString('en')} timers (delays 0-999 ms, 10% cancelled), median of ${t.rounds} round(s), a fresh process each`,
    '',
    '| implementation | schedule+cancel (ms) | until the last fired (ms) | CPU (ms) | peak RSS (MiB) | fired | wall ÷ setTimeout | RSS ÷ setTimeout |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of t.rows) {
    const s = row.samples;
    lines.push(
      `| ${row.label} | ${med(s, 'scheduleMs').toFixed(0)} | ${med(s, 'totalMs').toFixed(0)} | ${med(s, 'cpuMs').toFixed(0)} | ${med(s, 'peakRssMiB').toFixed(0)} | ${s[0]!.fired} | ` +
        `${(med(s, 'totalMs') / med(node, 'totalMs')).toFixed(2)}× | ${(med(s, 'peakRssMiB') / med(node, 'peakRssMiB')).toFixed(2)}× |`,
    );
  }
  return lines.join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    child(args[1] as Kind, Number(args[2])).then((r) => process.stdout.write(JSON.stringify(r)));
  } else {
    const i = args.indexOf('--count');
    const t = measureTimers(args.includes('--quick'), i >= 0 ? Number(args[i + 1]) : undefined);
    console.log(args.includes('--json') ? JSON.stringify(t) : formatTimers(t));
  }
}
