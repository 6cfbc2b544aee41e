/**
 * What the HTTP and Redis comparisons share: the rows whose tools are
 * missing are skipped with the reason, and each round starts every row's
 * server fresh on a free port, measures it, and stops it.
 */
import { freePort, startServer } from './procs';
import type { Skipped } from './results';
import type { ServerRow } from './servers';
import type { Tool, ToolStatus } from './tools';

/** The rows that `client` and their own needs can run; the others go to `skipped` with the reason. */
export function rowsWithTools(rows: ServerRow[], client: Tool, tools: Partial<Record<Tool, ToolStatus>>, skipped: Skipped[]): ServerRow[] {
  return rows.filter((row) => {
    const missing = [client, ...row.needs].find((t) => !tools[t]?.available);
    if (missing !== undefined) skipped.push({ id: row.id, label: row.label, reason: tools[missing]?.reason ?? `${missing} unavailable` });
    return missing === undefined;
  });
}

/**
 * `rounds` rounds over `rows` (Node rows run by the binary `node`), alternating, in reverse order every other round: each row's server is started for
 * its turn, `measure`d (given its pid, whose CPU the measurement reads), and stopped. A server that does not start is skipped
 * from then on; a measurement that fails is logged under `section` and the
 * rounds go on.
 */
export async function alternateRounds<R extends ServerRow>(
  rows: R[],
  rounds: number,
  skipped: Skipped[],
  section: string,
  node: string,
  log: (line: string) => void,
  measure: (row: R, port: number, round: number, serverPid: number) => Promise<void>,
): Promise<void> {
  for (let round = 1; round <= rounds; round++) {
    // Every other round in reverse: a host whose speed drifts within a round
    // then favours neither the rows that run first nor those that run last.
    for (const row of round % 2 === 1 ? rows : [...rows].reverse()) {
      if (skipped.some((s) => s.id === row.id)) continue;
      const port = await freePort();
      let server;
      try {
        server = await startServer(row.spec(port, node));
      } catch (error) {
        skipped.push({ id: row.id, label: row.label, reason: `did not start: ${(error as Error).message.split('\n')[0]}` });
        continue;
      }
      try {
        await measure(row, port, round, server.pid);
      } catch (error) {
        log(`[${section}] ${row.label}: ${(error as Error).message.split('\n')[0]}`);
      } finally {
        await server.stop();
      }
    }
  }
}
