import { promises as fsp } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EPOLLIN, EventFd } from '@reactor/fds';
import { Reactor } from '@reactor/reactor';
import { bindingName, expectNoFdLeaks, quietLogger } from './helpers';

expectNoFdLeaks();

describe(`Node keeps working while the reactor runs (${bindingName()})`, () => {
  test('promises, setTimeout, fs.promises and node:net progress during run()', async () => {
    using loop = new Reactor({ logger: quietLogger, keepLoopAlive: true });
    using efd = new EventFd();
    let reactorEvents = 0;
    loop.watch(efd, EPOLLIN, () => {
      efd.read();
      reactorEvents++;
    });
    const ticker = loop.every(2, () => efd.write(1));
    const running = loop.run();

    let chain = 0;
    for (let i = 0; i < 100; i++) await Promise.resolve().then(() => chain++);
    await new Promise((r) => setTimeout(r, 20));
    const file = join(tmpdir(), `reactor-coexist-${process.pid}`);
    await fsp.writeFile(file, 'hello');
    const content = await fsp.readFile(file, 'utf8');
    await fsp.unlink(file);
    const server = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const echoed = await new Promise<string>((resolve) => {
      const c = connect(port, '127.0.0.1', () => c.write('ping'));
      c.on('data', (d) => {
        c.end();
        c.on('close', () => resolve(d.toString()));
      });
    });
    await new Promise((r) => server.close(r));
    // The reactor's own events went on meanwhile; on a loaded machine the
    // ticks may lag the Node work above, so give them time instead of a fixed window.
    for (const deadline = Date.now() + 10_000; reactorEvents <= 3 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 5));

    ticker.cancel();
    loop.stop();
    await running;
    expect(chain).toBe(100);
    expect(content).toBe('hello');
    expect(echoed).toBe('ping');
    expect(reactorEvents).toBeGreaterThan(3);
  });
});
