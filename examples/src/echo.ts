/**
 * An echo server: every byte comes back.
 *
 *   pnpm --silent example echo --port 7000 [--host 127.0.0.1] [--owned-chunks]
 */
import { Reactor } from '@reactor/reactor';
import { flag, intFlag } from './args';

export async function main(args: string[]): Promise<number> {
  const port = intFlag(args, 'port', 7000);
  const host = flag(args, 'host') ?? '127.0.0.1';
  // --owned-chunks: Node's default (a Buffer per read) instead of the loan, to measure what the loan saves.
  const ownedChunks = args.includes('--owned-chunks');
  const loop = new Reactor();
  // loanChunks: write() copies a loaned chunk it queues, so echoing one is safe.
  const server = loop.listen({ host, port, loanChunks: !ownedChunks }, (conn) => {
    conn.setNoDelay(true);
    conn.on('data', (chunk) => {
      // Back-pressure: stop reading from a peer that does not read our replies.
      if (!conn.write(chunk)) {
        conn.pause();
        conn.once('drain', () => conn.resume());
      }
    });
    conn.on('error', () => undefined);
  });
  const stop = () => {
    server.close();
    loop.stop();
  };
  loop.onSignal('SIGINT', stop);
  loop.onSignal('SIGTERM', stop);
  const address = server.address();
  console.log(`echo listening on ${host}:${'port' in address ? address.port : port}`);
  await loop.run();
  loop.close();
  return 0;
}
