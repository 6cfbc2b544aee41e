/**
 * CPU time from /proc, so a comparison can say what each side spent: a
 * running server's (all its threads), read before and after a measurement,
 * and a load generator's whole run (a shell waits for it and reads its own
 * children's times, which the kernel adds up at the wait).
 *
 * /proc/<pid>/stat counts in clock ticks of USER_HZ, which Linux fixes at 100
 * for what it reports to user space whatever its internal HZ (proc(5),
 * times(2)): 10 ms a tick, so a 5 s window at one busy core is ~500 ticks.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const MS_PER_TICK = 10;

export interface CpuTimes {
  userMs: number;
  sysMs: number;
}

/** The fields after "(comm)" of a /proc/<pid>/stat line: index 0 is field 3 (state); comm may hold spaces and parentheses. */
function fieldsAfterComm(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ');
}

/** CPU used so far by a live process, all its threads (utime and stime, fields 14 and 15). */
export function processCpu(pid: number): CpuTimes {
  const f = fieldsAfterComm(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  return { userMs: Number(f[11]) * MS_PER_TICK, sysMs: Number(f[12]) * MS_PER_TICK };
}

/** CPU used by the waited-for children of the process whose stat line this is (cutime and cstime, fields 16 and 17). */
export function childrenCpu(stat: string): CpuTimes {
  const f = fieldsAfterComm(stat);
  return { userMs: Number(f[13]) * MS_PER_TICK, sysMs: Number(f[14]) * MS_PER_TICK };
}

export const totalMs = (t: CpuTimes): number => t.userMs + t.sysMs;

export const cpuBetween = (before: CpuTimes, after: CpuTimes): CpuTimes => ({ userMs: after.userMs - before.userMs, sysMs: after.sysMs - before.sysMs });

export interface TimedRun {
  stdout: string;
  /** What the command used, its threads and children included. */
  cpu: CpuTimes;
  wallMs: number;
}

/** What sh prints after the command's output: a newline (the output may not end in one), this, its stat line. */
const MARK = '\n@children-cpu ';

/**
 * Runs `command` to completion under sh, which waits for it and then prints
 * its own stat line: its children's times are then the command's whole CPU.
 * A failing command rejects, as execFile does.
 */
export async function runMeasured(command: string, args: string[], timeoutMs: number): Promise<TimedRun> {
  const script = `"$@"; status=$?; read -r stat < /proc/$$/stat; printf '${MARK.replace('\n', '\\n')}%s\\n' "$stat"; exit $status`;
  const started = performance.now();
  const { stdout } = await promisify(execFile)('sh', ['-c', script, 'sh', command, ...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  const wallMs = performance.now() - started;
  const at = stdout.lastIndexOf(MARK);
  if (at < 0) throw new Error(`${command}: no CPU line after its output`);
  return { stdout: stdout.slice(0, at), cpu: childrenCpu(stdout.slice(at + MARK.length)), wallMs };
}

/** What a server spent while a load ran, per operation, and how busy each side was. */
export interface LoadCost {
  /** Server CPU (user + sys, all threads) per operation, µs. */
  serverUsPerOp: number;
  /** Server CPU ÷ wall time: 1 is one core kept busy. */
  serverCores: number;
  /** The load generator's CPU ÷ wall time. */
  clientCores: number;
}

/**
 * Runs a load generator against the server `pid` and measures both sides:
 * `parse` reads its output, `ops` counts the operations in what it read.
 */
export async function measureLoad<T>(
  pid: number,
  command: string,
  args: string[],
  timeoutMs: number,
  parse: (stdout: string) => T,
  ops: (result: T) => number,
): Promise<{ result: T; cost: LoadCost }> {
  const before = processCpu(pid);
  const run = await runMeasured(command, args, timeoutMs);
  const server = totalMs(cpuBetween(before, processCpu(pid)));
  const result = parse(run.stdout);
  const count = ops(result);
  return {
    result,
    cost: { serverUsPerOp: count > 0 ? (server * 1000) / count : Number.NaN, serverCores: server / run.wallMs, clientCores: totalMs(run.cpu) / run.wallMs },
  };
}
