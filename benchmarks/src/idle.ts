/**
 * What an idle loop costs, and what a turn of the default run mode costs.
 *
 * Idle: CPU used by a running reactor with nothing to do (one referenced
 * timer far in the future) over a window, in the default run mode. The
 * window starts after a settling time, because V8's memory reducer runs one
 * GC about 8 s after start-up: that is Node's cost, not the loop's. Busy
 * polling would show as ~100% of a core.
 *
 * Hand-off per turn: the loop wakes itself (its onWake handler calls
 * Waker.wake again), N turns, in the default mode (libuv sees the epoll fd
 * readable and calls into JS, which runs epoll_wait(0)) and in runBlocking
 * (epoll_wait on this thread): the difference is what the default mode pays
 * per turn for living inside Node's loop.
 *
 * Each binding runs in a child process of its own; the two run at the same
 * time (they are idle, and it halves the wait).
 *
 *   node benchmarks/dist/idle.js [--quick] [--json]
 *
 * --json prints the raw figures for `pnpm bench` instead of the table.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { median, type IdleSection } from './results';

type Row = IdleSection['rows'][number];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function idleCpu(settleSeconds: number, windowSeconds: number): Promise<{ cpuMs: number; cpuPercent: number; turns: number }> {
  const { Reactor } = await import('@reactor/reactor');
  const loop = new Reactor();
  loop.after(3_600_000, () => undefined);
  const running = loop.run();
  // Settle: wait until the process (not the loop) is quiet.
  await sleep(settleSeconds * 1000);
  const turns0 = loop.stats().turns;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(windowSeconds * 1000);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const turns = loop.stats().turns - turns0;
  loop.stop();
  await running;
  loop.close();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { cpuMs, cpuPercent: (cpuMs / wallMs) * 100, turns };
}

/** µs per turn of a loop that keeps waking itself, in the given run mode. */
async function selfWakeTurn(mode: 'node' | 'blocking', turns: number): Promise<number> {
  const { Reactor } = await import('@reactor/reactor');
  const loop = new Reactor({ keepLoopAlive: true });
  const waker = loop.waker();
  let n = 0;
  loop.onWake(() => {
    if (++n === turns) loop.stop();
    else waker.wake();
  });
  // Warm up (JIT) with a short run first, then measure.
  const run = async (count: number): Promise<number> => {
    n = 0;
    turns = count;
    const t0 = process.hrtime.bigint();
    waker.wake();
    if (mode === 'node') await loop.run();
    else loop.runBlocking();
    return Number(process.hrtime.bigint() - t0) / 1000 / count;
  };
  const warm = Math.min(2000, turns);
  const total = turns;
  await run(warm);
  const us = await run(total);
  loop.close();
  return us;
}

async function child(settleSeconds: number, windowSeconds: number, turns: number): Promise<Row> {
  const { bindingName } = await import('@reactor/fds');
  // Alternate the two modes a few times and keep the medians: one pass is
  // short enough for a neighbour's burst of CPU to swing it.
  const blocking: number[] = [];
  const node: number[] = [];
  for (let i = 0; i < 5; i++) {
    blocking.push(await selfWakeTurn('blocking', turns));
    node.push(await selfWakeTurn('node', turns));
  }
  const blockingUsPerTurn = median(blocking);
  const nodeModeUsPerTurn = median(node);
  const idle = await idleCpu(settleSeconds, windowSeconds);
  return { binding: bindingName(), ...idle, nodeModeUsPerTurn, blockingUsPerTurn };
}

export async function measureIdle(quick: boolean): Promise<IdleSection> {
  const settleSeconds = quick ? 1 : 9;
  const windowSeconds = quick ? 2 : 10;
  const turns = quick ? 2000 : 20000;
  const run = promisify(execFile);
  const rows = await Promise.all(
    (['ffi-rs', 'koffi'] as const).map(async (binding) => {
      const { stdout } = await run(process.execPath, [__filename, '--child', String(settleSeconds), String(windowSeconds), String(turns)], {
        env: { ...process.env, REACTOR_FFI: binding },
      });
      return JSON.parse(stdout) as Row;
    }),
  );
  return { windowSeconds, settleSeconds, rows };
}

export function formatIdle(s: IdleSection): string {
  return [
    `Idle reactor, default run mode: CPU over a ${s.windowSeconds} s window after ${s.settleSeconds} s of settling; and µs per self-woken turn`,
    '',
    '| binding | idle CPU (ms) | % of one core | turns in the window | turn, default mode (µs) | turn, runBlocking (µs) | hand-off per turn (µs) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...s.rows.map(
      (r) =>
        `| ${r.binding} | ${r.cpuMs.toFixed(1)} | ${r.cpuPercent.toFixed(3)}% | ${r.turns} | ${r.nodeModeUsPerTurn.toFixed(2)} | ${r.blockingUsPerTurn.toFixed(2)} | ${(r.nodeModeUsPerTurn - r.blockingUsPerTurn).toFixed(2)} |`,
    ),
  ].join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    child(Number(args[1]), Number(args[2]), Number(args[3])).then((r) => process.stdout.write(JSON.stringify(r)));
  } else {
    measureIdle(args.includes('--quick')).then((s) => console.log(args.includes('--json') ? JSON.stringify(s) : formatIdle(s)));
  }
}
