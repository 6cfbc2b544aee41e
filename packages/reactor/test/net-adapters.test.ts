import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { Socket } from '@reactor/fds';
import { Cluster, Reactor, toDuplex } from '@reactor/reactor';
import { bindingName, ChildUnderTest, expectNoFdLeaks, fixture, quietLogger } from './helpers';

expectNoFdLeaks();

function upperCase(): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, Buffer.from(chunk.toString('latin1').toUpperCase(), 'latin1'));
    },
  });
}

describe(`stream.Duplex adapter (${bindingName()})`, () => {
  test('a connection under pipeline(): 8 MB through an upper-casing Transform, back-pressure both ways', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const finished: Array<Promise<void>> = [];
    const server = loop.listen({ port: 0, highWaterMark: 64 * 1024 }, (conn) => {
      const duplex = toDuplex(conn);
      finished.push(pipeline(duplex, upperCase(), duplex));
    });
    const addr = server.address();
    const running = loop.run();
    const total = 8 * 1024 * 1024;
    const source = Buffer.alloc(total);
    for (let i = 0; i < total; i++) source[i] = 97 + (i % 26);
    const client = netConnect('port' in addr ? addr.port : 0, '127.0.0.1');
    const parts: Buffer[] = [];
    client.on('data', (d: Buffer) => parts.push(d));
    const ended = new Promise((r) => client.on('end', r));
    client.end(source);
    await ended;
    const got = Buffer.concat(parts);
    expect(got.length).toBe(total);
    expect(got.equals(Buffer.from(source.toString('latin1').toUpperCase(), 'latin1'))).toBe(true);
    await Promise.all(finished);
    client.destroy();
    server.close();
    await running;
    loop.close();
  }, 60000);

  test('a reset peer fails the pipeline with the socket error instead of hanging', async () => {
    const loop = new Reactor({ logger: quietLogger });
    let outcome: Promise<unknown> | undefined;
    const server = loop.listen({ port: 0 }, (conn) => {
      const duplex = toDuplex(conn);
      outcome = pipeline(duplex, upperCase(), duplex).then(
        () => 'finished',
        (e: NodeJS.ErrnoException) => e.code ?? e.message,
      );
    });
    const addr = server.address();
    const running = loop.run();
    const client = netConnect('port' in addr ? addr.port : 0, '127.0.0.1');
    await new Promise((r) => client.on('connect', r));
    client.write('some bytes');
    await new Promise((r) => client.once('data', r));
    client.resetAndDestroy();
    for (let i = 0; i < 100 && outcome === undefined; i++) await new Promise((r) => setTimeout(r, 5));
    const result = await outcome;
    expect(['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'connection closed']).toContain(result);
    server.close();
    await running;
    loop.close();
  });
});

describe(`EMFILE: accept survives running out of fds (${bindingName()})`, () => {
  test('under RLIMIT_NOFILE 64, the server pauses accepting, keeps serving, and recovers when fds free up', async () => {
    const server = new ChildUnderTest([fixture('emfile-server.js')]);
    const port = Number((await server.waitForLine(/^port \d+$/)).split(' ')[1]);
    // prlimit (util-linux) lowers the fd limit of the running server only.
    execFileSync('prlimit', ['--pid', String(server.process.pid), '--nofile=64:64']);
    const clients = [];
    // More clients than the server has fds for (64 minus Node's own ~25).
    for (let i = 0; i < 80; i++) {
      const c = netConnect(port, '127.0.0.1');
      c.on('error', () => undefined);
      clients.push(c);
    }
    await server.waitForLine(/^accepterror (EMFILE|ENFILE)$/);
    // While short of fds: the connections it has still echo.
    const serving = await new Promise<string>((resolve) => {
      clients[0]!.once('data', (d: Buffer) => resolve(d.toString()));
      clients[0]!.write('still serving');
    });
    expect(serving).toBe('still serving');
    // It backs off instead of spinning: few loop turns in half a second.
    const turnsAt = () => Number(/turns (\d+)/.exec(server.lines.filter((l) => l.startsWith('open ')).at(-1)!)![1]);
    await new Promise((r) => setTimeout(r, 150));
    const t0 = turnsAt();
    await new Promise((r) => setTimeout(r, 500));
    expect(turnsAt() - t0).toBeLessThan(60);
    // Free fds (the first accepted clients): every client still waiting in
    // the kernel's queue is accepted and served once the back-off retries.
    for (const c of clients.splice(0, 60)) c.destroy();
    const replies = await Promise.all(
      clients.map(
        (c, i) =>
          new Promise<string>((resolve) => {
            c.once('data', (d: Buffer) => resolve(d.toString()));
            c.write(`late ${i}`);
          }),
      ),
    );
    expect(replies).toEqual(clients.map((_, i) => `late ${i}`));
    for (const c of clients) c.destroy();
    server.kill('SIGTERM');
    const exit = await server.exited;
    expect(server.lines).toContain('exited cleanly');
    expect(exit.code).toBe(0);
  }, 30000);
});

describe(`Cluster: one loop per thread on one port (${bindingName()})`, () => {
  test('2 threads share a port with SO_REUSEPORT; both serve; stop() ends both threads', async () => {
    const probe = Socket.create('tcp4');
    probe.bind({ family: 'ipv4', address: '127.0.0.1', port: 0 });
    const a = probe.localAddress();
    probe.close();
    const port = 'port' in a ? a.port : 0;
    const cluster = await Cluster.start({ threads: 2, module: fixture('cluster-setup.js'), data: { port } });
    expect(cluster.size).toBe(2);
    const seen = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const line = await new Promise<string>((resolve, reject) => {
        let got = '';
        const c = netConnect(port, '127.0.0.1');
        c.setEncoding('utf8').on('data', (d: string) => (got += d));
        c.on('close', () => resolve(got));
        c.on('error', reject);
      });
      seen.set(line, (seen.get(line) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(['thread 0\n', 'thread 1\n']);
    cluster.broadcast('ping');
    const codes = await cluster.stop();
    expect(codes).toEqual([0, 0]);
    // The port is free again: both listeners closed.
    // (SO_REUSEADDR: the connections the threads closed first sit in TIME_WAIT;
    // a listener still open would fail the bind even so.)
    const again = Socket.create('tcp4');
    again.setReuseAddress(true);
    again.bind({ family: 'ipv4', address: '127.0.0.1', port });
    again.close();
  }, 30000);

  test('a setup module that throws fails start() with its error and leaves no thread behind', async () => {
    await expect(Cluster.start({ threads: 2, module: fixture('no-such-module.js') })).rejects.toThrow(expect.objectContaining({ code: 'ERR_REACTOR_CLUSTER_START' }));
    await expect(Cluster.start({ threads: 0, module: fixture('cluster-setup.js') })).rejects.toThrow(RangeError);
  });
});

describe(`Cluster.start({ module }) names modules as new Worker() does (${bindingName()})`, () => {
  test("'./setup.js' is the caller's (relative to process.cwd()), so are file: URLs; using and await using stop the threads", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reactor-cluster-cwd-'));
    try {
      writeFileSync(join(dir, 'setup.js'), "module.exports.setup = (loop, data) => { console.log(`setup ran: ${data} ${__filename}`); };\n");
      const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [fixture('cluster-cwd.mjs')], { cwd: dir, env: process.env, timeout: 30000 }, (error, stdout, stderr) =>
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr }),
        );
      });
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
      const lines = out.stdout.trim().split('\n').sort();
      expect(lines).toEqual(
        [
          'http URL: ERR_INVALID_ARG_VALUE',
          'started by URL object: 1 thread',
          'started by relative: 1 thread',
          'started by url string: 1 thread',
          'started by using: 1 thread',
          `setup ran: URL object ${join(dir, 'setup.js')}`,
          `setup ran: relative ${join(dir, 'setup.js')}`,
          `setup ran: url string ${join(dir, 'setup.js')}`,
          `setup ran: using ${join(dir, 'setup.js')}`,
        ].sort(),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40000);
});
