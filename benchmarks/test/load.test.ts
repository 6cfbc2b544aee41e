/**
 * The load record and the "disturbed" rule: the parsers on real /proc
 * formats, the rule on made-up readings, and the split between the
 * benchmark's own CPU and others' on real processes (a spinner in the tree,
 * a spinner outside it).
 */
import { execFileSync, spawn } from 'node:child_process';
import { DISTURBED, judgeLoad, othersCores, parsePidStat, parsePressure, parseProcStat, readCpu, sameTree, treeOf, treeSeconds, watchLoad, type CpuReading, type PidStat } from '../src/load';

describe('parsers', () => {
  it('reads busy and irq time from the "cpu " line of /proc/stat (USER_HZ ticks → seconds)', () => {
    const text = 'cpu  41855 10 32606 97288 405 20 7484 300 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n';
    // user+nice+system+irq+softirq+steal; idle and iowait are not busy
    expect(parseProcStat(text)).toEqual({ busy: (41855 + 10 + 32606 + 20 + 7484 + 300) / 100, irq: (20 + 7484) / 100 });
    expect(() => parseProcStat('intr 1 2 3\n')).toThrow(/cpu/);
  });

  it('reads pid, ppid and CPU ticks of /proc/<pid>/stat, with a command name holding ") " and spaces', () => {
    const text = '4242 (we ird) (name) S 17 4242 17 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 500 1000 200 18446744073709551615\n';
    expect(parsePidStat(text)).toEqual({ pid: 4242, ppid: 17, ticks: 300, childTicks: 10 });
  });

  it('reads this process from the real /proc', () => {
    const row = parsePidStat(execFileSync('cat', [`/proc/${process.pid}/stat`], { encoding: 'utf8' }));
    expect(row?.pid).toBe(process.pid);
    expect(row?.ppid).toBe(process.ppid);
  });

  it('reads the "some" total of /proc/pressure/cpu', () => {
    expect(parsePressure('some avg10=38.12 avg60=59.19 avg300=42.42 total=236145559\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n')).toBe(236145559);
    expect(parsePressure('')).toBeUndefined();
  });
});

describe('the process tree', () => {
  const rows: PidStat[] = [
    { pid: 1, ppid: 0, ticks: 1000, childTicks: 0 },
    { pid: 10, ppid: 1, ticks: 100, childTicks: 50 }, // the root: its reaped children are in childTicks
    { pid: 11, ppid: 10, ticks: 20, childTicks: 0 },
    { pid: 12, ppid: 11, ticks: 5, childTicks: 0 },
    { pid: 13, ppid: 1, ticks: 700, childTicks: 0 }, // a sibling: not ours
  ];

  it('is the root and all its live descendants, each with what it reaped', () => {
    expect(treeOf(rows, 10).map((r) => r.pid).sort()).toEqual([10, 11, 12]);
    expect(treeSeconds(treeOf(rows, 10))).toBeCloseTo((100 + 50 + 20 + 5) / 100, 9);
    expect(treeOf(rows, 99)).toEqual([]);
  });

  it('two scans agree only when no child was reaped between them', () => {
    const before = treeOf(rows, 10);
    expect(sameTree(before, treeOf(rows, 10))).toBe(true);
    // pid 12 exits and 11 reaps it: gone from the tree, its time in 11's childTicks.
    const after = treeOf(
      rows.filter((r) => r.pid !== 12).map((r) => (r.pid === 11 ? { ...r, childTicks: 5 } : r)),
      10,
    );
    expect(sameTree(before, after)).toBe(false);
    expect(treeSeconds(after)).toBeCloseTo(treeSeconds(before), 9);
  });
});

/** Readings one second apart: others' and own CPU (cores) during each second. */
function readings(others: number[], own = 1): CpuReading[] {
  const out: CpuReading[] = [{ atMs: 0, busy: 0, irq: 0, own: 0 }];
  others.forEach((o, i) => {
    const last = out[out.length - 1]!;
    out.push({ atMs: (i + 1) * 1000, busy: last.busy + o + own, irq: 0, own: last.own + own });
  });
  return out;
}

describe('judgeLoad (the disturbed rule)', () => {
  it('calls a section quiet when others stay under both limits', () => {
    const v = judgeLoad(readings(Array(20).fill(0.05)));
    expect(v.disturbed).toBe(false);
    expect(v.reasons).toEqual([]);
    expect(v.mean).toBeCloseTo(0.05, 9);
  });

  it('calls it disturbed when others average over the mean limit', () => {
    const v = judgeLoad(readings(Array(20).fill(DISTURBED.meanCores + 0.05)));
    expect(v.disturbed).toBe(true);
    expect(v.reasons.join()).toMatch(/on average/);
    expect(v.reasons.join()).not.toMatch(/window/);
  });

  it('calls it disturbed for a burst in one window that the mean over a long section hides', () => {
    // 60 quiet seconds and a 5 s burst of a whole core: mean 1/13 of a core, under the mean limit.
    const v = judgeLoad(readings([...Array(30).fill(0), ...Array(5).fill(1), ...Array(30).fill(0)]));
    expect(v.mean).toBeLessThan(DISTURBED.meanCores);
    expect(v.peak).toBeCloseTo(1, 9);
    expect(v.disturbed).toBe(true);
    expect(v.reasons.join()).toMatch(/5 s window/);
  });

  it('judges a section shorter than the window as one window', () => {
    const v = judgeLoad(readings([0.3, 0.3]));
    expect(v.peak).toBeCloseTo(0.3, 9);
    expect(v.disturbed).toBe(true); // 30% on average
  });

  it('needs the start and the end', () => {
    expect(() => judgeLoad(readings([]))).toThrow(/start and the end/);
  });

  it('never counts negative others (a child reaped between two reads)', () => {
    expect(othersCores({ atMs: 0, busy: 10, irq: 0, own: 0 }, { atMs: 1000, busy: 10.5, irq: 0, own: 1 })).toBe(0);
  });
});

describe('own vs others on real processes', () => {
  const spin = (ms: number) => `const t = Date.now(); while (Date.now() - t < ${ms});`;
  jest.setTimeout(20000);

  it('counts a busy child and grandchild as the benchmark\'s own, not as others', async () => {
    const before = readCpu();
    await new Promise((resolve) => spawn(process.execPath, ['-e', `require('node:child_process').execFileSync(process.execPath, ['-e', ${JSON.stringify(spin(1500))}])`]).on('exit', resolve));
    const after = readCpu();
    // 1.5 s of spinning on a shared 2-core machine: at least a third of it, whatever the neighbours do.
    expect(after.own - before.own).toBeGreaterThan(0.5);
  });

  it('counts a busy process outside the tree as others', async () => {
    const { load } = await watchLoad(async () => {
      // setsid in a shell that exits at once: the spinner is re-parented away from this process.
      execFileSync('sh', ['-c', `setsid ${process.execPath} -e "${spin(1500)}" >/dev/null 2>&1 &`]);
      await new Promise((resolve) => setTimeout(resolve, 1800));
    }, { beforeMs: 100, everyMs: 500 });
    expect(load.ownCores).toBeLessThan(0.2);
    expect(load.othersCores).toBeGreaterThan(0.3);
    expect(load.disturbed).toBe(true);
  });
});
