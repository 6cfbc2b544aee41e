import { connect } from 'node:net';
import { Reactor } from '@reactor/reactor';

// Reactor bug found while writing the kv example (node run mode): a callback
// deferred from inside a deferred callback is not run until some unrelated
// fd event arrives. #requestTurn() returns early while #dispatching, and
// #nodeTurn() does not look at #deferred after the turn (runBlocking does:
// it waits with timeout 0 when #deferred is not empty).
// Seen as: the kv example's 'drain' handler ran the client's waiting
// pipelined commands and wrote their replies — when that 'drain' came from
// a deferred flush, the replies' flush was stranded and the client stalled.
// (Workaround in kv/chat: act on 'drain' in a setImmediate, outside the turn.)

async function within<T>(ms: number, p: Promise<T>): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

test('reactor: defer() inside a deferred callback runs (node run mode)', async () => {
  const loop = new Reactor();
  let ran = false;
  loop.defer(() => loop.defer(() => {
    ran = true;
    loop.stop();
  }));
  const result = await within(1000, loop.run());
  if (result === 'timeout') loop.stop();
  expect(ran).toBe(true);
  loop.close();
});

/** Serve one connection with `onConnection`; return what a node:net client received before 'end' (or 'timeout'). */
async function serveOne(
  onConnection: (conn: import('@reactor/reactor').Connection, loop: Reactor) => void,
  ): Promise<{ received: Buffer | 'timeout'; errors: Error[] }> {
  const loop = new Reactor();
  const errors: Error[] = [];
  const server = loop.listen({ port: 0 }, (conn) => {
    conn.on('error', (e) => errors.push(e));
    onConnection(conn, loop);
  });
  const address = server.address();
  const port = 'port' in address ? address.port : 0;
  const running = loop.run();
  const socket = connect({ port, host: '127.0.0.1' });
  const received = await within(2000, new Promise<Buffer>((resolve) => {
    const parts: Buffer[] = [];
    socket.on('data', (c: Buffer) => {
      parts.push(c);
    });
    socket.on('end', () => resolve(Buffer.concat(parts)));
  }));
  socket.destroy();
  server.close();
  loop.stop();
  await running;
  loop.close();
  return { received, errors };
}

test("reactor: end(data) in a 'drain' handler sends data before the FIN", async () => {
  // #flush emits 'drain', then goes on to `if (#ending && !#writeShut) shutdown('write')`
  // without looking at the queue again: the write half is shut down with 'END'
  // still queued, and the next flush fails with EPIPE.
  const { received, errors } = await serveOne((conn) => {
    expect(conn.write(Buffer.alloc(100 * 1024, 1))).toBe(false);
    conn.once('drain', () => conn.end('END'));
  });
  expect(errors.map((e) => e.message)).toEqual([]);
  expect(received === 'timeout' ? 'timeout' : received.subarray(-3).toString()).toBe('END');
});

test("reactor: write(data) + close() in a 'drain' handler sends data before closing", async () => {
  // Same spot in #flush: after 'drain' it sees #closing and destroys, dropping the queue.
  const { received, errors } = await serveOne((conn) => {
    expect(conn.write(Buffer.alloc(100 * 1024, 1))).toBe(false);
    conn.once('drain', () => {
      conn.write('END');
      conn.close();
    });
  });
  expect(errors.map((e) => e.message)).toEqual([]);
  expect(received === 'timeout' ? 'timeout' : received.subarray(-3).toString()).toBe('END');
});

test("reactor: a write to connection B from connection A's 'close' handler is sent", async () => {
  // Found in the chat example: A's peer hangs up, A's 'end' handler calls close(),
  // the deferred flush destroys A and emits 'close', whose handler tells B
  // "A left" — that write's flush is deferred from a deferred callback and
  // waits for some unrelated event.
  const loop = new Reactor();
  const conns: import('@reactor/reactor').Connection[] = [];
  const server = loop.listen({ port: 0 }, (conn) => {
    conns.push(conn);
    conn.on('end', () => conn.close());
    if (conns.length === 2) conns[0]!.on('close', () => conns[1]!.write('A left\n'));
  });
  const address = server.address();
  const port = 'port' in address ? address.port : 0;
  const running = loop.run();
  const a = connect({ port, host: '127.0.0.1' });
  await new Promise((r) => a.once('connect', r));
  const b = connect({ port, host: '127.0.0.1' });
  let got = '';
  b.setEncoding('utf8').on('data', (c: string) => (got += c));
  await new Promise((r) => b.once('connect', r));
  const deadline = Date.now() + 2000;
  while (conns.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  a.end();
  while (!got.includes('A left') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  a.destroy();
  b.destroy();
  server.close();
  loop.stop();
  await running;
  loop.close();
  expect(got).toBe('A left\n');
});
