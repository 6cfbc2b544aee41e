import { accessSync, constants, existsSync, rmdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Why a test cannot make real memory pressure here, or undefined when it
 * can: it needs PSI, root, a writable cgroup v1 memory group (its limit
 * makes the kernel reclaim) and a cgroup2 group under /sys/fs/cgroup/unified
 * (its memory.pressure counts only the test's child), the hybrid layout.
 */
export function memoryCgroupSkipReason(): string | undefined {
  // Real memory pressure slows every test running beside it on a 2-core
  // machine (a timer test took 30-40 s instead of 3; a restart under wrk
  // failed): .ci/run runs these tests in a pass of their own.
  if (process.env.REACTOR_PRESSURE_TESTS === 'alone') return 'REACTOR_PRESSURE_TESTS=alone: .ci/run runs it in a pass of its own';
  if (!existsSync('/proc/pressure/memory')) return 'no /proc/pressure (kernel without PSI)';
  if (process.getuid?.() !== 0) return 'not root: cannot make cgroups';
  try {
    accessSync('/sys/fs/cgroup/memory/cgroup.procs', constants.W_OK);
    accessSync('/sys/fs/cgroup/unified/cgroup.procs', constants.W_OK);
  } catch {
    return 'no writable cgroup v1 memory hierarchy with a cgroup2 hierarchy at /sys/fs/cgroup/unified (the hybrid layout)';
  }
  return undefined;
}

/**
 * Remove test cgroups once their processes are gone: a group empties only
 * after its killed processes have exited (rmdir says EBUSY until then), so
 * each is retried every 20 ms for up to 5 s.
 */
export async function removeCgroups(dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) {
    for (let i = 0; ; i++) {
      try {
        rmdirSync(dir);
        break;
      } catch (error) {
        if (i === 250) throw error;
        await sleep(20);
      }
    }
  }
}
