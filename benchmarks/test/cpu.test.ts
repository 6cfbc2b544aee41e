/** CPU accounting from /proc, against real processes: this one, a busy shell, a sleeping one. */
import { childrenCpu, measureLoad, processCpu, runMeasured, totalMs } from '../src/cpu';
import { pairedRatio } from '../src/run-chunks';

/** Node arguments that keep one core busy in that one process for about `ms` of wall time. */
const busy = (ms: number) => ['-e', `const end = Date.now() + ${ms}; while (Date.now() < end);`];

describe('CPU from /proc', () => {
  it("reads this process's CPU as process.cpuUsage() counts it, to the tick", () => {
    const start = Date.now();
    while (Date.now() - start < 300); // burn ~300 ms
    const mine = process.cpuUsage();
    const proc = totalMs(processCpu(process.pid));
    // Both count every thread; /proc in 10 ms ticks, read after cpuUsage.
    expect(proc).toBeGreaterThanOrEqual((mine.user + mine.system) / 1000 - 20);
    expect(proc).toBeLessThan((mine.user + mine.system) / 1000 + 200);
  });

  it("gets a command's whole CPU after it exits, children included, and keeps its output", async () => {
    // The busy process is a grandchild: sh runs it.
    const run = await runMeasured('sh', ['-c', `"${process.execPath}" -e "${busy(400)[1]}"; echo done`], 30_000);
    expect(run.stdout).toBe('done\n');
    expect(totalMs(run.cpu)).toBeGreaterThan(200);
    expect(totalMs(run.cpu)).toBeLessThanOrEqual(run.wallMs + 20);
    const idle = await runMeasured('sh', ['-c', 'echo hello; sleep 0.3'], 30_000);
    expect(idle.stdout.trim()).toBe('hello');
    expect(totalMs(idle.cpu)).toBeLessThan(100);
    expect(idle.wallMs).toBeGreaterThanOrEqual(290);
  });

  it('rejects a failing command as execFile does', async () => {
    await expect(runMeasured('sh', ['-c', 'exit 3'], 30_000)).rejects.toMatchObject({ code: 3 });
  });

  it('parses a stat line whose command name holds spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    // Field 16 (cutime) and 17 (cstime) are at index 13 and 14 after the name.
    fields[13] = '250';
    fields[14] = '7';
    expect(childrenCpu(`1234 (a) (b c) ${fields.join(' ')}`)).toEqual({ userMs: 2500, sysMs: 70 });
  });

  it("measures a server's CPU per operation while a load runs, and how busy each side was", async () => {
    // The "server" is a child kept busy for the whole load, which only sleeps.
    const { spawn } = await import('node:child_process');
    const server = spawn(process.execPath, busy(3000), { stdio: 'ignore' });
    try {
      const { cost } = await measureLoad(server.pid!, 'sh', ['-c', 'sleep 1; echo 1000'], 30_000, (out) => Number(out.trim()), (n) => n);
      expect(cost.serverCores).toBeGreaterThan(0.5);
      expect(cost.serverCores).toBeLessThan(1.2);
      expect(cost.clientCores).toBeLessThan(0.2);
      // ~1 s of server CPU over 1000 operations: ~1000 µs each.
      expect(cost.serverUsPerOp).toBeGreaterThan(500);
      expect(cost.serverUsPerOp).toBeLessThan(1300);
    } finally {
      server.kill('SIGKILL');
    }
  });
});

describe('pairedRatio', () => {
  it('takes the median of the per-round ratios, so a drift that moves both rows of a round cancels', () => {
    // The host got 2× slower in round 2: each round's pair still says 1.02.
    expect(pairedRatio([10.2, 20.4, 10.2], [10, 20, 10])).toBeCloseTo(1.02, 9);
  });

  it('falls back to the ratio of the medians when the rounds do not pair up', () => {
    expect(pairedRatio([12, 12], [10, 10, 10])).toBeCloseTo(1.2, 9);
    expect(pairedRatio([], [])).toBeNaN();
  });
});
