import { execFileSync, spawnSync } from 'node:child_process';
import { Reactor } from '@reactor/reactor';
import { bindingName, expectNoFdLeaks, fixture, quietLogger } from './helpers';

expectNoFdLeaks();

describe(`UdpSocket as node:dgram (${bindingName()})`, () => {
  test("'message' Buffers are the handler's to keep; loanChunks: true lends the loop's read buffer", async () => {
    for (const loanChunks of [false, true]) {
      const loop = new Reactor({ logger: quietLogger });
      const rx = loop.udp({ loanChunks });
      const tx = loop.udp();
      const kept: Buffer[] = [];
      rx.on('message', (data) => {
        kept.push(data);
        if (kept.length === 3) {
          rx.close();
          tx.close();
        }
      });
      for (const text of ['aaaa', 'bbbb', 'cccc']) tx.send(text, rx.address());
      await loop.run();
      loop.close();
      if (loanChunks) {
        // Views of one buffer, each overwritten by the next datagram.
        expect(kept.map(String)).toEqual(['cccc', 'cccc', 'cccc']);
        expect(new Set(kept.map((b) => b.buffer)).size).toBe(1);
      } else {
        expect(kept.map(String)).toEqual(['aaaa', 'bbbb', 'cccc']);
      }
    }
  });

  test('send(): a callback hears of success (bytes) and failure (code); a send on a closed socket is ERR_SOCKET_DGRAM_NOT_RUNNING', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const tx = loop.udp();
    const rx = loop.udp();
    const results: Array<[string | null, number]> = [];
    const record = (error: Error | null, bytes: number) => results.push([error === null ? null : (error as NodeJS.ErrnoException).code ?? 'none', bytes]);
    expect(tx.send('hello', rx.address(), record)).toBe(true);
    // Past UDP's 65,507-byte limit: EMSGSIZE, reported to the callback rather than thrown.
    expect(tx.send(Buffer.alloc(70000), rx.address(), record)).toBe(false);
    expect(() => tx.send(Buffer.alloc(70000), rx.address())).toThrow(expect.objectContaining({ code: 'EMSGSIZE' }));
    expect(() => tx.send('x', rx.address(), 5 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    tx.close();
    tx.send('late', rx.address(), record);
    expect(() => tx.send('late', rx.address())).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' }));
    await new Promise((r) => setImmediate(r));
    expect(results).toEqual([[null, 5], ['EMSGSIZE', 0], ['ERR_SOCKET_DGRAM_NOT_RUNNING', 0]]);
    rx.close();
    loop.close();
  });
});

/**
 * A full send buffer needs datagrams that stay charged to the socket: on a
 * plain loopback they are delivered (or dropped) inside sendto(2). In a
 * network namespace of its own (root), a token-bucket qdisc on its loopback
 * holds them, as a busy link does, so sendto(2) says EAGAIN.
 */
const slowLoopback = (() => {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && tc qdisc add dev lo root tbf rate 2mbit burst 2000 limit 1000000'], { stdio: 'ignore' }).status === 0;
})();

(slowLoopback ? describe : describe.skip)(`UdpSocket.send() with a full socket buffer (${bindingName()})`, () => {
  test('EAGAIN queues the datagram (send() returns false) and it goes out on writability: all 60 arrive, in order, each callback says sent', () => {
    const out = execFileSync(
      'unshare',
      ['-n', 'sh', '-c', 'ip link set lo up && tc qdisc add dev lo root tbf rate 2mbit burst 2000 limit 1000000 && exec "$0" "$1"', process.execPath, fixture('udp-send-queue.js')],
      { encoding: 'utf8', timeout: 20000, env: process.env },
    );
    const result = JSON.parse(out) as { queuedNow: number; maxQueued: number; received: number[]; callbacks: unknown[]; queueAfter: number };
    expect(result.queuedNow).toBeGreaterThan(10);
    expect(result.maxQueued).toBe(result.queuedNow);
    expect(result.received).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(result.callbacks).toEqual(Array.from({ length: 60 }, () => 1000));
    expect(result.queueAfter).toBe(0);
  });
});
