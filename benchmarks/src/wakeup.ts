/**
 * Wake-up latency from a worker thread to a loop: the worker stamps the time
 * (CLOCK_MONOTONIC, shared by all threads), wakes the loop, and waits for the
 * loop to acknowledge before the next round; one-way latency and round trips
 * per second. The reactor's eventfd (Waker.wake) with the loop in the default
 * run mode (main thread, libuv watches the epoll fd) and in thread mode (a
 * worker thread in runBlocking), under each binding, vs
 * MessagePort.postMessage to the main thread. Each path is measured back to
 * back (the next wake as soon as the last was acknowledged) and paced (a wake
 * every millisecond, so the loop is asleep when it comes: a daemon's case).
 * Each measurement runs in a fresh process; rows alternate.
 *
 *   node benchmarks/dist/wakeup.js [--quick] [--json]
 *
 * --json prints the raw figures (every round) for `pnpm bench` instead of the table.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { childRounds } from './child-rounds';
import { median, type WakeupSection } from './results';

type Sample = WakeupSection['rows'][number]['samples'][number];
type Mode = 'node' | 'thread' | 'postMessage';

interface WakerData {
  role: 'waker';
  rounds: number;
  /** ms the waker sleeps after each acknowledged wake (0: back to back) */
  paceMs: number;
  sab: SharedArrayBuffer;
  handle?: import('@reactor/reactor').WakeupHandle;
}
interface LoopData {
  role: 'loop';
  rounds: number;
  sab: SharedArrayBuffer;
}

// sab: [0] ack counter (Int32), [4] a slot the waker sleeps on (Int32), [8] stamp (BigInt64), [16…] round-trip µs per round (Float64)
const sabBytes = (rounds: number) => 16 + 8 * rounds;

function wakerMain(data: WakerData): void {
  const ack = new Int32Array(data.sab, 0, 1);
  const sleepSlot = new Int32Array(data.sab, 4, 1);
  const stamp = new BigInt64Array(data.sab, 8, 1);
  const rtt = new Float64Array(data.sab, 16, data.rounds);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const waker = data.handle !== undefined ? new (require('@reactor/reactor') as typeof import('@reactor/reactor')).Waker(data.handle) : undefined;
  for (let i = 0; i < data.rounds; i++) {
    const start = process.hrtime.bigint();
    Atomics.store(stamp, 0, start);
    if (waker) waker.wake();
    else parentPort!.postMessage(0);
    // Until the loop acknowledges round i. A bare Atomics.wait(ack, 0, i) can
    // return early when a notify of an earlier round arrives late: re-check.
    for (let seen = Atomics.load(ack, 0); seen <= i; seen = Atomics.load(ack, 0)) Atomics.wait(ack, 0, seen);
    rtt[i] = Number(process.hrtime.bigint() - start) / 1000;
    // Nobody notifies the slot: this is a sleep that lets the loop go idle.
    if (data.paceMs > 0) Atomics.wait(sleepSlot, 0, 0, data.paceMs);
  }
}

/** The loop side: record the one-way latency, acknowledge; stop after the last round. */
function makeOnWake(sab: SharedArrayBuffer, latencies: Float64Array, onDone: () => void): () => void {
  const ack = new Int32Array(sab, 0, 1);
  const stamp = new BigInt64Array(sab, 8, 1);
  let n = 0;
  return () => {
    latencies[n++] = Number(process.hrtime.bigint() - Atomics.load(stamp, 0)) / 1000;
    Atomics.add(ack, 0, 1);
    Atomics.notify(ack, 0);
    if (n === latencies.length) onDone();
  };
}

/** Thread mode: a worker thread owns the loop (runBlocking) and reports the latencies at the end. */
function loopThreadMain(data: LoopData): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Reactor } = require('@reactor/reactor') as typeof import('@reactor/reactor');
  const loop = new Reactor({ keepLoopAlive: true });
  const latencies = new Float64Array(data.rounds);
  loop.onWake(makeOnWake(data.sab, latencies, () => loop.stop()));
  parentPort!.postMessage({ handle: loop.wakeupHandle() });
  loop.runBlocking();
  loop.close();
  parentPort!.postMessage({ latencies });
}

const exitOf = (w: Worker) => new Promise((r) => w.once('exit', r));

async function measure(mode: Mode, rounds: number, paceMs: number): Promise<Sample> {
  // The binding must be loaded in the main thread too (docs/linux-and-node.md: ffi-rs loaded
  // only in workers crashed the process when they exited).
  const { Reactor } = await import('@reactor/reactor');
  const { rawLibc } = await import('@reactor/fds/internal');
  rawLibc();
  const sab = new SharedArrayBuffer(sabBytes(rounds));
  let latencies: Float64Array<ArrayBufferLike> = new Float64Array(rounds);
  const t0 = performance.now();
  if (mode === 'node') {
    const loop = new Reactor({ keepLoopAlive: true });
    loop.onWake(makeOnWake(sab, latencies, () => loop.stop()));
    const worker = new Worker(__filename, { workerData: { role: 'waker', rounds, paceMs, sab, handle: loop.wakeupHandle() } satisfies WakerData });
    // Listen for 'exit' now: the worker may end before run() settles.
    const exited = exitOf(worker);
    await loop.run();
    await exited;
    loop.close();
  } else if (mode === 'thread') {
    const loopThread = new Worker(__filename, { workerData: { role: 'loop', rounds, sab } satisfies LoopData });
    const loopExited = exitOf(loopThread);
    const handle = await new Promise<import('@reactor/reactor').WakeupHandle>((resolve) => loopThread.once('message', (m: { handle: import('@reactor/reactor').WakeupHandle }) => resolve(m.handle)));
    const result = new Promise<Float64Array>((resolve) => loopThread.once('message', (m: { latencies: Float64Array }) => resolve(m.latencies)));
    const waker = new Worker(__filename, { workerData: { role: 'waker', rounds, paceMs, sab, handle } satisfies WakerData });
    await exitOf(waker);
    latencies = await result;
    await loopExited;
  } else {
    const worker = new Worker(__filename, { workerData: { role: 'waker', rounds, paceMs, sab } satisfies WakerData });
    worker.on('message', makeOnWake(sab, latencies, () => undefined));
    await exitOf(worker);
  }
  const seconds = (performance.now() - t0) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  const rtt = [...new Float64Array(sab, 16, rounds)].sort((a, b) => a - b);
  return { p50us: sorted[Math.floor(rounds * 0.5)]!, p99us: sorted[Math.floor(rounds * 0.99)]!, rttP50us: rtt[Math.floor(rounds * 0.5)]!, perSec: rounds / seconds };
}

const PATHS: Array<{ id: string; label: string; mode: Mode; binding: string }> = [
  { id: 'reactor-ffi-rs-node', label: 'Waker.wake → loop, ffi-rs, node mode', mode: 'node', binding: 'ffi-rs' },
  { id: 'reactor-ffi-rs-thread', label: 'Waker.wake → loop, ffi-rs, thread mode', mode: 'thread', binding: 'ffi-rs' },
  { id: 'reactor-koffi-node', label: 'Waker.wake → loop, koffi, node mode', mode: 'node', binding: 'koffi' },
  { id: 'reactor-koffi-thread', label: 'Waker.wake → loop, koffi, thread mode', mode: 'thread', binding: 'koffi' },
  { id: 'postMessage', label: 'MessagePort.postMessage → main thread', mode: 'postMessage', binding: 'ffi-rs' },
];

/** A wake every millisecond: the loop waits in epoll_wait (libuv's, in node mode) when it comes. */
const PACE_MS = 1;

const ROWS = [
  ...PATHS.map((p) => ({ ...p, paceMs: 0 })),
  ...PATHS.map((p) => ({ ...p, id: `${p.id}-paced`, label: `${p.label}, asleep (a wake every ${PACE_MS} ms)`, paceMs: PACE_MS })),
];

export function measureWakeup(quick: boolean): WakeupSection {
  const wakes = quick ? 2000 : 20000;
  // Paced rounds take wakes × 1 ms: fewer of them.
  const pacedWakes = quick ? 300 : 3000;
  const rounds = quick ? 1 : 3;
  const samples = childRounds<(typeof ROWS)[number], Sample>(ROWS, rounds, (r) => [__filename, '--child', r.mode, String(r.paceMs > 0 ? pacedWakes : wakes), String(r.paceMs)]);
  return { wakes, pacedWakes, rounds, rows: ROWS.map((r, i) => ({ id: r.id, label: r.label, samples: samples[i]! })) };
}

export function formatWakeup(w: WakeupSection): string {
  const med = (s: Sample[], key: keyof Sample) => median(s.map((x) => x[key]));
  const pm = w.rows.find((r) => r.id === 'postMessage')!.samples;
  const pmPaced = w.rows.find((r) => r.id === 'postMessage-paced')?.samples ?? pm;
  const lines = [
    `Worker → loop wake-up, ${w.wakes} ping-pongs back to back (${w.pacedWakes ?? w.wakes} paced), median of ${w.rounds} round(s), a fresh process each; each row is compared with postMessage run the same way`,
    '',
    '| path | one-way p50 (µs) | one-way p99 (µs) | round trip p50 (µs) | round trips/s | p50 ÷ postMessage |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const row of w.rows) {
    const s = row.samples;
    const peer = row.id.endsWith('-paced') ? pmPaced : pm;
    lines.push(`| ${row.label} | ${med(s, 'p50us').toFixed(1)} | ${med(s, 'p99us').toFixed(1)} | ${med(s, 'rttP50us').toFixed(1)} | ${med(s, 'perSec').toFixed(0)} | ${(med(s, 'p50us') / med(peer, 'p50us')).toFixed(2)}× |`);
  }
  return lines.join('\n');
}

if (!isMainThread) {
  const data = workerData as WakerData | LoopData;
  if (data.role === 'loop') loopThreadMain(data);
  else wakerMain(data);
} else if (require.main === module) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    measure(args[1] as Mode, Number(args[2]), Number(args[3] ?? 0)).then((r) => process.stdout.write(JSON.stringify(r)));
  } else {
    const w = measureWakeup(args.includes('--quick'));
    console.log(args.includes('--json') ? JSON.stringify(w) : formatWakeup(w));
  }
}
