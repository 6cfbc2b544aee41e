import { createServer } from 'node:http';
import { connect as netConnect } from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Reactor, toDuplex, type ConnectionDuplex } from '@reactor/reactor';
import { bindingName, expectNoFdLeaks, quietLogger, sleep } from './helpers';

expectNoFdLeaks();

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

function portOf(address: ReturnType<ReturnType<Reactor['listen']>['address']>): number {
  return 'port' in address ? address.port : 0;
}

describe(`toDuplex() in step with its connection, under node:http (${bindingName()})`, () => {
  for (const how of ['destroy()', 'loop.close()'] as const) {
    test(`a connection closed without error by ${how}: the Duplex emits 'end' and 'close', pipeline() calls back`, async () => {
      const loop = new Reactor({ logger: quietLogger });
      const events: string[] = [];
      let done: Promise<string> | undefined;
      let duplex!: ConnectionDuplex;
      const server = loop.listen({ port: 0 }, (conn) => {
        duplex = toDuplex(conn);
        duplex.on('end', () => events.push('end'));
        duplex.on('close', () => events.push('close'));
        done = pipeline(duplex, sink()).then(() => 'ok', (e: NodeJS.ErrnoException) => e.code ?? e.message);
        conn.on('data', () => {
          if (how === 'destroy()') conn.destroy();
          else loop.stop();
        });
      });
      const running = loop.run();
      const client = netConnect(portOf(server.address()), '127.0.0.1');
      client.on('error', () => undefined);
      client.write('x');
      if (how === 'destroy()') {
        while (done === undefined || !duplex.destroyed) await sleep(5);
        server.close();
        await running;
      } else {
        await running;
        loop.close();
      }
      expect(await done).toBe('ok');
      expect(events).toEqual(['end', 'close']);
      client.destroy();
      if (how === 'destroy()') loop.close();
    });
  }

  test('node:http over reactor connections: keep-alive, remoteAddress, and keepAliveTimeout closes an idle connection', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const seen: string[] = [];
    const http = createServer((req, res) => {
      seen.push(`${req.socket.remoteAddress} ${req.socket.remoteFamily} ${typeof req.socket.remotePort}`);
      res.end(`hello ${req.url}`);
    });
    // Above 1 s: node:http advertises `Keep-Alive: timeout=<s>`, which a client would act on first.
    http.keepAliveTimeout = 300;
    const closedAt: number[] = [];
    const server = loop.listen({ port: 0 }, (conn) => {
      conn.on('close', () => closedAt.push(performance.now()));
      http.emit('connection', toDuplex(conn));
    });
    const port = portOf(server.address());
    const running = loop.run();
    // A raw client, so only the server decides when the connection closes.
    const client = netConnect(port, '127.0.0.1');
    let received = '';
    client.setEncoding('latin1').on('data', (d: string) => (received += d));
    const ended = new Promise((r) => client.on('end', r));
    const ask = async (path: string) => {
      const before = received.length;
      client.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`);
      while (!received.slice(before).includes(`hello ${path}`)) await sleep(5);
    };
    await ask('/a');
    await ask('/b'); // the same connection, kept alive
    const idleSince = performance.now();
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Connection: keep-alive[^]*hello \/a[^]*HTTP\/1\.1 200 OK[^]*hello \/b$/);
    expect(seen).toEqual(['127.0.0.1 IPv4 number', '127.0.0.1 IPv4 number']);
    // Without setTimeout on the Duplex, node:http never closes an idle connection.
    await Promise.race([ended, sleep(3000)]);
    expect(closedAt).toHaveLength(1);
    expect(closedAt[0]! - idleSince).toBeGreaterThanOrEqual(250);
    client.destroy();
    server.close();
    await running;
    loop.close();
    http.close();
  });
});
