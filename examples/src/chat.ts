/**
 * A line chat: every complete line a client sends goes to every other
 * client as `[id] line`. Try it with `nc 127.0.0.1 7001` from a few shells.
 *
 *   pnpm --silent example chat --port 7001 [--host H] [--max-queue 262144] [--max-line 8192]
 *
 * Slow readers lose messages, not the server's memory: a client whose
 * outbound queue (bytes not yet taken by the kernel) is past --max-queue
 * gets no more messages until it has caught up; then it is told
 * `* N messages dropped (you read too slowly)`. Drops are counted per
 * client and in total (printed on exit). So each client costs at most
 * max-queue + one batch of lines, whatever the others send.
 * A line longer than --max-line bytes gets `* error: line too long` and the
 * connection is closed.
 */
import { Reactor, type Connection } from '@reactor/reactor';
import { flag, intFlag } from './args';
import { LineSplitter } from './lines';

interface Client {
  id: number;
  conn: Connection;
  /** Splits what the client sends into lines, holding an unfinished one. */
  lines: LineSplitter;
  dropped: number;
  /** The peer sent EOF and the connection is closing after its queue: write nothing more. */
  leaving: boolean;
}

export async function main(args: string[]): Promise<number> {
  const port = intFlag(args, 'port', 7001);
  const host = flag(args, 'host') ?? '127.0.0.1';
  const maxQueue = intFlag(args, 'max-queue', 256 * 1024, 1024, 2 ** 30);
  const maxLine = intFlag(args, 'max-line', 8192, 16, 2 ** 24);
  const loop = new Reactor();
  const clients = new Set<Client>();
  let nextId = 1;
  let droppedTotal = 0;

  /** Send to one client unless its queue is full; count what it missed. */
  const deliver = (to: Client, message: Buffer): void => {
    if (to.conn.destroyed || to.leaving) return; // write() would throw 'write after end'
    if (to.conn.writableLength > maxQueue) {
      to.dropped++;
      droppedTotal++;
      return;
    }
    to.conn.write(message);
  };
  const broadcast = (from: Client | undefined, message: Buffer): void => {
    for (const c of clients) if (c !== from) deliver(c, message);
  };

  const server = loop.listen({ host, port, backlog: 1024 }, (conn) => {
    const client: Client = { id: nextId++, conn, lines: new LineSplitter(maxLine), dropped: 0, leaving: false };
    clients.add(client);
    conn.setNoDelay(true);
    conn.write(`* you are [${client.id}]; ${clients.size - 1} other(s) here\n`);
    broadcast(client, Buffer.from(`* [${client.id}] joined\n`));
    conn.on('error', () => undefined);
    conn.on('drain', () => {
      if (client.dropped > 0 && !conn.destroyed && !client.leaving && clients.has(client)) {
        conn.write(`* ${client.dropped} messages dropped (you read too slowly)\n`);
        client.dropped = 0;
      }
    });
    conn.on('end', () => {
      client.leaving = true;
      conn.close();
    });
    conn.on('close', () => {
      if (!clients.delete(client)) return;
      broadcast(client, Buffer.from(`* [${client.id}] left\n`));
    });
    const prefix = Buffer.from(`[${client.id}] `);
    conn.on('data', (chunk) => {
      if (!clients.has(client)) return; // refused already; the close is on its way
      const lines = client.lines.push(chunk);
      if (lines === null) return refuse(client);
      // All complete lines of this read become one message per recipient.
      const parts: Buffer[] = [];
      for (const line of lines) parts.push(prefix, line, NEWLINE);
      if (parts.length > 0) broadcast(client, Buffer.concat(parts)); // a copy: chunk is only valid now
    });
  });

  const refuse = (client: Client): void => {
    clients.delete(client);
    client.conn.write(`* error: line too long (max ${maxLine} bytes)\n`);
    client.conn.close();
    broadcast(client, Buffer.from(`* [${client.id}] left\n`));
  };

  const stop = () => {
    server.close();
    for (const c of clients) c.conn.destroy();
    loop.stop();
  };
  loop.onSignal('SIGINT', stop);
  loop.onSignal('SIGTERM', stop);
  const address = server.address();
  console.log(`chat listening on ${host}:${'port' in address ? address.port : port}`);
  await loop.run();
  loop.close();
  console.log(`chat: ${droppedTotal} messages dropped in total`);
  return 0;
}

const NEWLINE = Buffer.from('\n');
