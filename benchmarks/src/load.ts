/**
 * The machine's load while a section runs, and the rule that calls a
 * section disturbed.
 *
 * The benchmark's clients and servers share the cores with whatever else
 * runs on the machine, and a competitor changes the ratios without any
 * error (a second run on a busy machine gave koffi node mode 0.68× its own
 * thread mode). The kernel says how much CPU was used in all (/proc/stat:
 * every CPU of the machine or VM, including processes this one cannot see
 * in its own /proc, and time stolen by the hypervisor), and how much the
 * benchmark's own processes used (/proc/<pid>/stat of this process and its
 * descendants, with the children they already reaped). The difference is
 * what other work took.
 *
 * The rule ({@link judgeLoad}): a section is disturbed when other work used
 * more than {@link DISTURBED.meanCores} of one core on average over the
 * section, or more than {@link DISTURBED.peakCores} of one core in any
 * window of {@link DISTURBED.windowSeconds} s.
 */
import { readdirSync, readFileSync } from 'node:fs';

export const DISTURBED = {
  /** Others' CPU averaged over the whole section, in cores. */
  meanCores: 0.1,
  /** Others' CPU in any window of `windowSeconds`, in cores: a burst that swung one round. */
  peakCores: 0.5,
  windowSeconds: 5,
} as const;

/** The rule in words, for the report. */
export const DISTURBED_RULE =
  `a section is **disturbed** when processes other than the benchmark's own (its servers, clients and child processes) used more than ` +
  `${DISTURBED.meanCores * 100}% of one core on average over the section, or more than ${DISTURBED.peakCores * 100}% of one core in any ${DISTURBED.windowSeconds} s window ` +
  '(CPU time of the whole machine from /proc/stat, user+nice+system+irq+softirq+steal, minus the CPU time of the benchmark\'s process tree from /proc/<pid>/stat)';

/** Clock ticks per second of /proc/stat and /proc/<pid>/stat (USER_HZ: 100 on every Linux ABI Node runs on). */
const USER_HZ = 100;

/** One reading of the CPU counters, in seconds of CPU since boot. */
export interface CpuReading {
  /** Monotonic ms (performance.now()) when it was taken. */
  atMs: number;
  /** Busy CPU time of the whole machine: user+nice+system+irq+softirq+steal. */
  busy: number;
  /** Of `busy`, irq+softirq (network processing on loopback lands here). */
  irq: number;
  /** CPU time of the process tree under the root pid, children already reaped included. */
  own: number;
  /** /proc/pressure/cpu "some" total (µs some task waited for a CPU), undefined where PSI is off. */
  pressureUs?: number;
}

/** busy and irq seconds from the first ("cpu ") line of /proc/stat. */
export function parseProcStat(text: string): { busy: number; irq: number } {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) throw new Error('/proc/stat has no "cpu " line');
  // user nice system idle iowait irq softirq steal guest guest_nice (guest is already inside user)
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  return { busy: (user + nice + system + irq + softirq + steal) / USER_HZ, irq: (irq + softirq) / USER_HZ };
}

/** One /proc/<pid>/stat: pid, ppid, its own CPU ticks (utime+stime) and its reaped children's (cutime+cstime). */
export interface PidStat {
  pid: number;
  ppid: number;
  ticks: number;
  childTicks: number;
}

export function parsePidStat(text: string): PidStat | undefined {
  // The command name (field 2) is in parentheses and may hold spaces and ')': split after the last ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14-17.
  const pid = Number(text.slice(0, text.indexOf(' ')));
  return { pid, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), childTicks: Number(f[13]) + Number(f[14]) };
}

/** `root` and its live descendants, from (pid, ppid) rows. */
export function treeOf(rows: readonly PidStat[], root: number): PidStat[] {
  const children = new Map<number, PidStat[]>();
  for (const r of rows) {
    const list = children.get(r.ppid);
    if (list === undefined) children.set(r.ppid, [r]);
    else list.push(r);
  }
  const self = rows.find((r) => r.pid === root);
  const out: PidStat[] = [];
  const stack = self === undefined ? [] : [self];
  while (stack.length > 0) {
    const r = stack.pop()!;
    out.push(r);
    stack.push(...(children.get(r.pid) ?? []));
  }
  return out;
}

/** Seconds of CPU of a tree: each member's own and the children it already reaped. */
export function treeSeconds(tree: readonly PidStat[]): number {
  let ticks = 0;
  for (const r of tree) ticks += r.ticks + r.childTicks;
  return ticks / USER_HZ;
}

/**
 * Whether two scans of a tree saw the same processes with the same reaped
 * children's time. A child reaped while /proc is being read is counted twice
 * or not at all (its own entry and its parent's cutime are read at different
 * moments); two scans that agree had no reaping between them.
 */
export function sameTree(a: readonly PidStat[], b: readonly PidStat[]): boolean {
  if (a.length !== b.length) return false;
  const childTicks = new Map(a.map((r) => [r.pid, r.childTicks]));
  return b.every((r) => childTicks.get(r.pid) === r.childTicks);
}

/** "some ... total=N" of /proc/pressure/cpu. */
export function parsePressure(text: string): number | undefined {
  const m = /^some .*total=(\d+)/m.exec(text);
  return m === null ? undefined : Number(m[1]);
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // a process that exited between readdir and read; PSI off
  }
}

function scanTree(root: number): PidStat[] {
  const rows: PidStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 0x30 || name.charCodeAt(0) > 0x39) continue;
    const text = readOr(`/proc/${name}/stat`);
    const row = text === undefined ? undefined : parsePidStat(text);
    if (row !== undefined) rows.push(row);
  }
  return treeOf(rows, root);
}

/** Read the counters now. */
export function readCpu(root = process.pid): CpuReading {
  let tree = scanTree(root);
  for (let i = 0; i < 5; i++) {
    const again = scanTree(root);
    const agreed = sameTree(tree, again);
    tree = again;
    if (agreed) break;
  }
  const { busy, irq } = parseProcStat(readFileSync('/proc/stat', 'utf8'));
  const pressure = readOr('/proc/pressure/cpu');
  const pressureUs = pressure === undefined ? undefined : parsePressure(pressure);
  return { atMs: performance.now(), busy, irq, own: treeSeconds(tree), ...(pressureUs === undefined ? {} : { pressureUs }) };
}

/** What one section's load record holds (results.json `load[section]`). */
export interface SectionLoad {
  /** /proc/loadavg (1, 5, 15 min) when the section started and when it ended. */
  loadavgBefore: number[];
  loadavgAfter: number[];
  /** Others' CPU (cores) in a short window just before the section started. */
  othersBeforeCores: number;
  seconds: number;
  /** The benchmark's own CPU, in cores, averaged over the section. */
  ownCores: number;
  /** Others' CPU, in cores: averaged over the section, and the highest window. */
  othersCores: number;
  othersPeakCores: number;
  /** irq+softirq of the whole machine, in cores (counted in `busy`, so in "others" unless charged to the benchmark's own processes). */
  irqCores: number;
  /** Share of the section's wall time some task waited for a CPU (PSI "some"), when the kernel has PSI. */
  pressurePercent?: number;
  disturbed: boolean;
  /** Which part of the rule was broken, in words; empty when not disturbed. */
  reasons: string[];
}

/** Others' CPU in cores between two readings (clamped at 0: a child reaped between two /proc reads can make one interval slightly negative). */
export function othersCores(a: CpuReading, b: CpuReading): number {
  const seconds = (b.atMs - a.atMs) / 1000;
  if (seconds <= 0) return 0;
  return Math.max(0, (b.busy - a.busy - (b.own - a.own)) / seconds);
}

/**
 * Judge a section from its readings (the first at its start, the last at its
 * end, one every second or so between): the mean over the whole section,
 * and the highest mean over any `windowSeconds` of consecutive readings (a
 * section shorter than the window is one window).
 */
export function judgeLoad(readings: readonly CpuReading[], rule: { meanCores: number; peakCores: number; windowSeconds: number } = DISTURBED) {
  if (readings.length < 2) throw new Error('judgeLoad needs readings at the start and the end of a section');
  const first = readings[0]!;
  const last = readings[readings.length - 1]!;
  const mean = othersCores(first, last);
  let peak = 0;
  for (let i = 0; i < readings.length - 1; i++) {
    // The smallest j whose window from i spans windowSeconds (or the last reading).
    let j = i + 1;
    while (j < readings.length - 1 && readings[j]!.atMs - readings[i]!.atMs < rule.windowSeconds * 1000) j++;
    peak = Math.max(peak, othersCores(readings[i]!, readings[j]!));
    if (j === readings.length - 1) break;
  }
  const reasons: string[] = [];
  if (mean > rule.meanCores) reasons.push(`others used ${(mean * 100).toFixed(0)}% of a core on average (limit ${rule.meanCores * 100}%)`);
  if (peak > rule.peakCores) reasons.push(`others used ${(peak * 100).toFixed(0)}% of a core in one ${rule.windowSeconds} s window (limit ${rule.peakCores * 100}%)`);
  return { mean, peak, disturbed: reasons.length > 0, reasons };
}

export function loadavg(): number[] {
  return (readOr('/proc/loadavg') ?? '').split(' ').slice(0, 3).map(Number);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Watch the load while `work` runs: a reading every `everyMs` (the
 * benchmark's main process stays free while sections run, in child
 * processes or behind awaits), plus a short window before it starts.
 */
export async function watchLoad<T>(work: () => Promise<T>, o: { beforeMs: number; everyMs?: number }): Promise<{ value: T; load: SectionLoad }> {
  const loadavgBefore = loadavg();
  const pre = readCpu();
  await sleep(o.beforeMs);
  const readings = [readCpu()];
  const timer = setInterval(() => readings.push(readCpu()), o.everyMs ?? 1000);
  let value: T;
  try {
    value = await work();
  } finally {
    clearInterval(timer);
  }
  readings.push(readCpu());
  const first = readings[0]!;
  const last = readings[readings.length - 1]!;
  const seconds = (last.atMs - first.atMs) / 1000;
  const verdict = judgeLoad(readings);
  const load: SectionLoad = {
    loadavgBefore,
    loadavgAfter: loadavg(),
    othersBeforeCores: othersCores(pre, first),
    seconds,
    ownCores: seconds > 0 ? (last.own - first.own) / seconds : 0,
    othersCores: verdict.mean,
    othersPeakCores: verdict.peak,
    irqCores: seconds > 0 ? (last.irq - first.irq) / seconds : 0,
    ...(first.pressureUs !== undefined && last.pressureUs !== undefined && seconds > 0
      ? { pressurePercent: ((last.pressureUs - first.pressureUs) / 1e6 / seconds) * 100 }
      : {}),
    disturbed: verdict.disturbed,
    reasons: verdict.reasons,
  };
  return { value, load };
}
