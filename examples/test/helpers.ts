import { join } from 'node:path';
import { startNodeServer, type ServerProcess } from '@reactor/testing';

/** The examples run as `pnpm --silent example …` does: `node examples/dist/run.js …`. */
export const RUN = join(__dirname, '..', 'dist', 'run.js');

/** Start `run.js name --port 0 …` and read its port. */
export function startServer(name: string, extra: string[] = []): Promise<ServerProcess> {
  return startNodeServer([RUN, name, '--port', '0', ...extra], name);
}
