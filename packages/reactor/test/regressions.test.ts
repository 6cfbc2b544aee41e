import { connect } from 'node:net';
import { Reactor } from '@reactor/reactor';

// Work queued from inside a turn (a deferred callback, a write from a
// 'drain' or 'close' handler) must run without waiting for some unrelated
// fd event: in Node run mode nothing else may ever wake the loop for it.

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
  // The flush that emits 'drain' must look at the queue again before it
  // shuts the write half down: 'END' is queued by then.
  const { received, errors } = await serveOne((conn) => {
    expect(conn.write(Buffer.alloc(100 * 1024, 1))).toBe(false);
    conn.once('drain', () => conn.end('END'));
  });
  expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual([]);
  expect(received === 'timeout' ? 'timeout' : received.subarray(-3).toString()).toBe('END');
});

test("reactor: write(data) + close() in a 'drain' handler sends data before closing", async () => {
  // Likewise before it closes: the queue holds 'END'.
  const { received, errors } = await serveOne((conn) => {
    expect(conn.write(Buffer.alloc(100 * 1024, 1))).toBe(false);
    conn.once('drain', () => {
      conn.write('END');
      conn.close();
    });
  });
  expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual([]);
  expect(received === 'timeout' ? 'timeout' : received.subarray(-3).toString()).toBe('END');
});

test("reactor: a write to connection B from connection A's 'close' handler is sent", async () => {
  // A's peer hangs up, A's 'end' handler calls close(), the deferred flush
  // destroys A and emits 'close', whose handler tells B "A left": that
  // write's flush is deferred from a deferred callback.
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
