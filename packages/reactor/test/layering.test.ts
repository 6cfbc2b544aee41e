import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The core (src/*.ts) knows no protocol; networking (src/net/) is built on
// what the core exports to users. Read from the sources, since the rule is
// about how the code is put together.
const SRC = join(__dirname, '..', 'src');

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)[^'"]*from\s+'([^']+)'|^import\s+'([^']+)'/gm)].map((m) => m[1] ?? m[2]!);
}

test('no core file imports networking (except the index, which installs it)', () => {
  const offenders: string[] = [];
  for (const name of readdirSync(SRC)) {
    if (!name.endsWith('.ts') || name === 'index.ts') continue;
    for (const spec of importsOf(join(SRC, name))) if (spec.startsWith('./net')) offenders.push(`${name} → ${spec}`);
  }
  expect(offenders).toEqual([]);
});

test('networking uses only modules whose classes the package exports (no core internals)', () => {
  const publicCore = new Set(['../reactor', '../io-watch', '../timers', '../errors', '../wakeup', '../index']);
  const offenders: string[] = [];
  for (const name of readdirSync(join(SRC, 'net'))) {
    for (const spec of importsOf(join(SRC, 'net', name))) {
      if (spec.startsWith('../') && !publicCore.has(spec)) offenders.push(`net/${name} → ${spec}`);
    }
  }
  expect(offenders).toEqual([]);
});
