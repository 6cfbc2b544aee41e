/**
 * One million timers: scheduled with delays spread over 0-1000 ms, 10%
 * cancelled, the rest fired. The reactor (one timerfd, indexed heap) vs
 * Node's setTimeout, each in a fresh process, alternating rounds.
 *
 *   node benchmarks/dist/timers.js [--quick] [--count N]
 */
import { execFileSync } from 'node:child_process';

interface Result {
  scheduleMs: number;
  totalMs: number;
  fired: number;
  peakRssMiB: number;
}

async function child(kind: 'reactor' | 'node', count: number): Promise<Result> {
  const delays = new Float64Array(count);
  for (let i = 0; i < count; i++) delays[i] = (i * 7919) % 1000; // deterministic spread
  let fired = 0;
  let peakRss = process.memoryUsage.rss();
  const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
  // Load and construct before the clock starts: module loading is not timer cost.
  const { Reactor } = await import('@reactor/reactor');
  const loop = new Reactor();
  const t0 = performance.now();
  let scheduleMs: number;
  if (kind === 'reactor') {
    const timers = new Array(count);
    for (let i = 0; i < count; i++) timers[i] = loop.after(delays[i]!, () => fired++);
    for (let i = 0; i < count; i += 10) timers[i].cancel();
    scheduleMs = performance.now() - t0;
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    await loop.run();
  } else {
    const timers = new Array(count);
    for (let i = 0; i < count; i++) timers[i] = setTimeout(() => fired++, delays[i]!);
    for (let i = 0; i < count; i += 10) clearTimeout(timers[i]);
    scheduleMs = performance.now() - t0;
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    await new Promise<void>((resolve) => {
      const check = () => (fired === count - Math.ceil(count / 10) ? resolve() : setTimeout(check, 5).unref());
      setTimeout(check, 1000);
    });
  }
  const totalMs = performance.now() - t0;
  loop.close();
  clearInterval(sample);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  return { scheduleMs, totalMs, fired, peakRssMiB: peakRss / 2 ** 20 };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

export function runTimers(quick: boolean, count = quick ? 200_000 : 1_000_000): string {
  const rounds = quick ? 1 : 3;
  const results: Record<string, Result[]> = { reactor: [], node: [] };
  for (let r = 0; r < rounds; r++) {
    for (const kind of ['reactor', 'node'] as const) {
      const out = execFileSync(process.execPath, ['--max-old-space-size=4096', __filename, '--child', kind, String(count)], { env: process.env });
      results[kind]!.push(JSON.parse(out.toString()) as Result);
    }
  }
  const row = (name: string, rs: Result[]) =>
    `| ${name} | ${median(rs.map((x) => x.scheduleMs)).toFixed(0)} | ${median(rs.map((x) => x.totalMs)).toFixed(0)} | ${median(rs.map((x) => x.peakRssMiB)).toFixed(0)} | ${rs[0]!.fired} |`;
  const r = results.reactor!;
  const n = results.node!;
  const lines = [
    `${count.toLocaleString('en')} timers (delays 0-999 ms, 10% cancelled), median of ${rounds} round(s), a fresh process each`,
    '',
    '| implementation | schedule+cancel (ms) | until the last fired (ms) | peak RSS (MiB) | fired |',
    '|---|---:|---:|---:|---:|',
    row(`reactor (${process.env.REACTOR_FFI || 'ffi-rs'})`, r),
    row('Node setTimeout', n),
    '',
    `schedule+cancel: reactor ÷ setTimeout = ${(median(r.map((x) => x.scheduleMs)) / median(n.map((x) => x.scheduleMs))).toFixed(2)}×; ` +
      `peak RSS: ${(median(r.map((x) => x.peakRssMiB)) / median(n.map((x) => x.peakRssMiB))).toFixed(2)}×`,
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    child(args[1] as 'reactor' | 'node', Number(args[2])).then((r) => process.stdout.write(JSON.stringify(r)));
  } else {
    const i = args.indexOf('--count');
    console.log(runTimers(args.includes('--quick'), i >= 0 ? Number(args[i + 1]) : undefined));
  }
}
