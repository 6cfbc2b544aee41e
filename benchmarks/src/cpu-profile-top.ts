/**
 * The top functions of a V8 CPU profile (`node --cpu-prof`) by self time,
 * to see what limits a server under load without a GUI.
 *
 *   node benchmarks/dist/cpu-profile-top.js <file.cpuprofile> [count]
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface TopEntry {
  name: string;
  selfPercent: number;
  selfMs: number;
}

/** Self time per function (name + file:line), largest first. */
export function topFunctions(profile: Profile, count: number): TopEntry[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    totalUs += delta;
    if (node === undefined) return;
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url === '' ? '' : `${basename(f.url)}:${f.lineNumber + 1}`}`.trim();
    selfUs.set(key, (selfUs.get(key) ?? 0) + delta);
  });
  return [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, selfMs: us / 1000, selfPercent: totalUs > 0 ? (us / totalUs) * 100 : 0 }));
}

if (require.main === module) {
  const [file, count] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: node benchmarks/dist/cpu-profile-top.js <file.cpuprofile> [count]\n');
    process.exit(2);
  }
  const top = topFunctions(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(count ?? 15));
  for (const e of top) console.log(`${e.selfPercent.toFixed(1).padStart(5)}%  ${e.selfMs.toFixed(0).padStart(6)} ms  ${e.name}`);
}
