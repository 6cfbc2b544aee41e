/**
 * Wake-up latency from a worker thread to the loop: a worker stamps the time
 * (CLOCK_MONOTONIC, shared by all threads), wakes the loop, and waits for the
 * loop to acknowledge; one-way latency and round trips per second. The
 * reactor's eventfd (Waker.wake) vs MessagePort.postMessage, same process
 * shape, alternating.
 *
 *   node benchmarks/dist/wakeup.js [--quick]
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

interface Shared {
  mode: 'reactor' | 'postMessage';
  rounds: number;
  sab: SharedArrayBuffer;
  handle?: import('@reactor/reactor').WakeupHandle;
}

// sab: [0] ack counter (Int32), [8] stamp (BigInt64)
function workerMain(data: Shared): void {
  const ack = new Int32Array(data.sab, 0, 1);
  const stamp = new BigInt64Array(data.sab, 8, 1);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const waker = data.mode === 'reactor' ? new (require('@reactor/reactor').Waker)(data.handle) : undefined;
  for (let i = 0; i < data.rounds; i++) {
    Atomics.store(stamp, 0, process.hrtime.bigint());
    if (waker) waker.wake();
    else parentPort!.postMessage(0);
    Atomics.wait(ack, 0, i); // until the loop acknowledges round i
  }
}

async function measure(mode: Shared['mode'], rounds: number): Promise<{ p50us: number; p99us: number; perSec: number }> {
  const sab = new SharedArrayBuffer(16);
  const ack = new Int32Array(sab, 0, 1);
  const stamp = new BigInt64Array(sab, 8, 1);
  const latencies = new Float64Array(rounds);
  let n = 0;
  const onWake = () => {
    latencies[n++] = Number(process.hrtime.bigint() - Atomics.load(stamp, 0)) / 1000;
    Atomics.add(ack, 0, 1);
    Atomics.notify(ack, 0);
  };
  const t0 = performance.now();
  if (mode === 'reactor') {
    const { Reactor } = await import('@reactor/reactor');
    const loop = new Reactor({ keepAlive: true });
    loop.onWake(() => {
      onWake();
      if (n === rounds) loop.stop();
    });
    const worker = new Worker(__filename, { workerData: { mode, rounds, sab, handle: loop.wakeupHandle() } satisfies Shared });
    // Listen for 'exit' now: the worker may end before run() settles, and an
    // 'exit' emitted before anyone listens would leave nothing to wait on.
    const exited = new Promise((r) => worker.once('exit', r));
    await loop.run();
    await exited;
    loop.close();
  } else {
    const worker = new Worker(__filename, { workerData: { mode, rounds, sab } satisfies Shared });
    worker.on('message', onWake);
    await new Promise((r) => worker.once('exit', r));
  }
  const seconds = (performance.now() - t0) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50us: sorted[Math.floor(rounds * 0.5)]!, p99us: sorted[Math.floor(rounds * 0.99)]!, perSec: rounds / seconds };
}

export async function runWakeup(quick: boolean): Promise<string> {
  const rounds = quick ? 2000 : 20000;
  const reps = quick ? 1 : 3;
  const out: Record<string, Array<{ p50us: number; p99us: number; perSec: number }>> = { reactor: [], postMessage: [] };
  for (let r = 0; r < reps; r++) for (const mode of ['reactor', 'postMessage'] as const) out[mode]!.push(await measure(mode, rounds));
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const row = (name: string, xs: Array<{ p50us: number; p99us: number; perSec: number }>) =>
    `| ${name} | ${med(xs.map((x) => x.p50us)).toFixed(1)} | ${med(xs.map((x) => x.p99us)).toFixed(1)} | ${med(xs.map((x) => x.perSec)).toFixed(0)} |`;
  const ratio = med(out.postMessage!.map((x) => x.p50us)) / med(out.reactor!.map((x) => x.p50us));
  return [
    `Worker → loop wake-up, ${rounds} ping-pongs × ${reps} (median), default run mode`,
    '',
    '| path | one-way p50 (µs) | one-way p99 (µs) | round trips/s |',
    '|---|---:|---:|---:|',
    row(`Waker.wake → eventfd → loop (${process.env.REACTOR_FFI || 'ffi-rs'})`, out.reactor!),
    row('MessagePort.postMessage', out.postMessage!),
    '',
    `p50 latency: postMessage ÷ eventfd wake = ${ratio.toFixed(2)}×`,
  ].join('\n');
}

if (!isMainThread) workerMain(workerData as Shared);
else if (require.main === module) runWakeup(process.argv.includes('--quick')).then(console.log);
