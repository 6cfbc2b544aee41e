/**
 * A Redis-protocol (RESP2) key-value server on the reactor: redis-cli and
 * redis-benchmark talk to it. Strings only: PING ECHO SET (EX PX NX XX GET)
 * GET DEL EXISTS INCR DECR INCRBY DECRBY MGET MSET TTL PTTL DBSIZE FLUSHALL
 * SELECT 0 QUIT, and what clients ask on connect (COMMAND, CONFIG GET,
 * CLIENT …). Pipelined requests of one read are answered in one write
 * (up to 1 MiB of replies; then the rest of the pipeline waits for 'drain').
 * Request limits (64 MiB bulk, 1M arguments, 64 KiB inline): see resp.ts.
 *
 *   pnpm --silent example kv --port 6380 [--host 127.0.0.1]
 */
import { Reactor, type Connection } from '@reactor/reactor';
import { flag, intFlag } from './args';
import { EMPTY, KvSession, KvStore } from './kv-commands';
import { ReplyWriter } from './resp';

/** How long a closing connection's input is read and dropped before it is cut. */
const LINGER_MS = 2000;

export async function main(args: string[]): Promise<number> {
  const port = intFlag(args, 'port', 6380);
  const host = flag(args, 'host') ?? '127.0.0.1';
  const loop = new Reactor();
  const store = new KvStore();
  // One scratch buffer for every connection's replies: a data handler builds
  // its replies, takes them out as one Buffer and writes them, all before
  // the next handler runs.
  const out = new ReplyWriter();

  const serve = (conn: Connection): void => {
    const session = new KvSession(store, out);
    conn.setNoDelay(true);
    conn.on('error', () => undefined);
    // Run what arrived; stop while the client does not read its replies.
    const pump = (chunk: Buffer): void => {
      for (;;) {
        const { reply, close, more } = session.feed(chunk);
        if (conn.destroyed) return;
        const ok = reply === null || conn.write(reply);
        if (close) {
          lingerClose(conn);
          return;
        }
        if (!ok) {
          // Back-pressure: a client that does not read its replies stops being
          // read, and its pipelined commands wait, until its queue drains.
          if (!conn.isPaused) {
            conn.pause();
            conn.once('drain', () => {
              if (conn.destroyed) return;
              conn.resume();
              pump(EMPTY);
            });
          }
          return;
        }
        if (!more) return;
        chunk = EMPTY;
      }
    };
    conn.on('data', pump);
  };

  /**
   * After QUIT or a protocol error: the replies, then FIN, and what the client
   * still sends is read and dropped until it closes too (or 2 s pass), as
   * nginx's lingering close. Closing with unread input would send a reset,
   * and a reset that reaches the client before it read the error reply
   * destroys the reply in its kernel.
   */
  const lingerClose = (conn: Connection): void => {
    conn.removeAllListeners('data');
    conn.on('data', () => undefined);
    if (conn.isPaused) conn.resume();
    conn.end(); // both halves done: the connection closes itself
    const deadline = loop.after(LINGER_MS, () => conn.destroy(), { ref: false });
    conn.once('close', () => deadline.cancel());
  };

  // loanChunks: the RESP parser copies only an unfinished command, so zero-copy reads are safe here.
  const server = loop.listen({ host, port, backlog: 4096, loanChunks: true }, serve);
  // Active expiry: keys with a TTL that nobody reads again still go.
  loop.every(100, () => void store.sweep(), { ref: false });
  const stop = () => {
    server.close();
    loop.stop();
  };
  loop.onSignal('SIGINT', stop);
  loop.onSignal('SIGTERM', stop);
  const address = server.address();
  console.log(`kv listening on ${host}:${'port' in address ? address.port : port}`);
  await loop.run();
  loop.close();
  return 0;
}
