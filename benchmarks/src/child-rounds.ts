import { execFileSync } from 'node:child_process';

/**
 * Alternating rounds over `rows`, each measurement in a fresh Node process
 * (`argsFor(row)`: Node's flags, the script and its arguments) with
 * REACTOR_FFI set to the row's binding; the child prints one JSON sample on
 * stdout. Returns each row's samples in round order.
 */
export function childRounds<R extends { binding: string }, S>(rows: readonly R[], rounds: number, argsFor: (row: R) => string[]): S[][] {
  const samples = rows.map((): S[] => []);
  for (let round = 0; round < rounds; round++) {
    rows.forEach((row, i) => {
      const out = execFileSync(process.execPath, argsFor(row), { env: { ...process.env, REACTOR_FFI: row.binding } });
      samples[i]!.push(JSON.parse(out.toString()) as S);
    });
  }
  return samples;
}
