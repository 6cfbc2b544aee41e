/**
 * The kv server again, on plain node:net (libuv), for side-by-side
 * comparison with kv.ts: the same RESP parser, command table and replies.
 *
 *   pnpm --silent example kv-node --port 6381 [--host 127.0.0.1]
 */
import { createServer, type Socket } from 'node:net';
import { flag, intFlag } from './args';
import { EMPTY, KvSession, KvStore } from './kv-commands';
import { ReplyWriter } from './resp';

export async function main(args: string[]): Promise<number> {
  const port = intFlag(args, 'port', 6381);
  const host = flag(args, 'host') ?? '127.0.0.1';
  const store = new KvStore();
  const out = new ReplyWriter();
  const sockets = new Set<Socket>();

  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    const session = new KvSession(store, out);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    const pump = (chunk: Buffer): void => {
      for (;;) {
        const { reply, close, more } = session.feed(chunk);
        if (socket.destroyed) return;
        if (close) {
          if (reply !== null) socket.end(reply);
          else socket.end();
          socket.destroySoon();
          return;
        }
        if (reply !== null && !socket.write(reply)) {
          // Back-pressure, as in kv.ts: stop reading and running commands until drained.
          if (!socket.isPaused()) {
            socket.pause();
            socket.once('drain', () => {
              socket.resume();
              pump(EMPTY);
            });
          }
          return;
        }
        if (!more) return;
        chunk = EMPTY;
      }
    };
    socket.on('data', pump);
  });
  server.listen({ host, port, backlog: 4096 });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const sweeper = setInterval(() => store.sweep(), 100).unref();
  // Signal handlers first, then the line that says we are ready.
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      clearInterval(sweeper);
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const address = server.address();
  console.log(`kv-node listening on ${host}:${address !== null && typeof address === 'object' ? address.port : port}`);
  await stopped;
  return 0;
}
