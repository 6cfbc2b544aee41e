/**
 * What an idle loop costs: CPU used by a running reactor with nothing to do
 * (one referenced timer far in the future) over a window, in the default run
 * mode. Busy polling would show as ~100% of a core.
 *
 *   node benchmarks/dist/idle.js [--quick]
 */
import { Reactor } from '@reactor/reactor';

export async function runIdle(quick: boolean): Promise<string> {
  const seconds = quick ? 2 : 10;
  const loop = new Reactor();
  loop.after(3_600_000, () => undefined);
  const running = loop.run();
  await new Promise((r) => setTimeout(r, 200));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  loop.stop();
  await running;
  const stats = loop.stats();
  loop.close();
  const pct = ((cpu.user + cpu.system) / 1000 / wallMs) * 100;
  return [
    `Idle reactor, default run mode, ${seconds} s window`,
    '',
    '| CPU used | % of one core | loop turns in the window |',
    '|---:|---:|---:|',
    `| ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms | ${pct.toFixed(3)}% | ${stats.turns} |`,
  ].join('\n');
}

if (require.main === module) runIdle(process.argv.includes('--quick')).then(console.log);
