/**
 * The external programs the comparisons need. A missing one is installed
 * with apt-get when we are root; otherwise the rows needing it are skipped
 * with the reason, and the rest still run.
 */
import { spawnSync } from 'node:child_process';

export type Tool = 'wrk' | 'redis-benchmark' | 'redis-server' | 'gcc';

/** The Debian package that provides each tool. */
const PACKAGE: Record<Tool, string> = { wrk: 'wrk', 'redis-benchmark': 'redis-tools', 'redis-server': 'redis-server', gcc: 'gcc' };

export interface ToolStatus {
  available: boolean;
  /** Why it is not available (and what to install), when it is not. */
  reason?: string;
}

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

function tryInstall(packages: string[], log: (line: string) => void): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0 || !onPath('apt-get')) return;
  log(`installing with apt-get: ${packages.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'ignore', env });
  if (r.status !== 0) {
    // The package lists may be missing on a fresh machine.
    spawnSync('apt-get', ['update'], { stdio: 'ignore', env });
    r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'ignore', env });
  }
}

/** Check (and when possible install) every tool the selected sections need. */
export function checkTools(needed: Tool[], log: (line: string) => void): Record<Tool, ToolStatus> {
  const missing = needed.filter((t) => !onPath(t));
  if (missing.length > 0) tryInstall([...new Set(missing.map((t) => PACKAGE[t]))], log);
  const status = {} as Record<Tool, ToolStatus>;
  for (const tool of needed) {
    status[tool] = onPath(tool) ? { available: true } : { available: false, reason: `${tool} not found (install the Debian package ${PACKAGE[tool]})` };
  }
  return status;
}
