/**
 * The benchmark's own peers answer like the reactor example (same response
 * bytes, keep-alive, pipelining), start through procs.ts on their
 * "listening" line, and are gone after stop(). Runs the built files
 * (benchmarks/dist), as `pnpm bench` does.
 */
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { buildCResponder } from '../dist/run-http';
import { freePort, startServer } from '../dist/procs';
import { HTTP_ROWS } from '../dist/servers';

const HELLO = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!';

/** Send `requests` in one write; resolve with what came back once `expectBytes` arrived. */
function exchange(port: number, requests: string, expectBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(requests));
    let got = '';
    socket.on('data', (chunk) => {
      got += chunk.toString('latin1');
      if (got.length >= expectBytes) {
        socket.destroy();
        resolve(got);
      }
    });
    socket.on('error', reject);
    socket.setTimeout(5000, () => reject(new Error(`timeout; got ${JSON.stringify(got)}`)));
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const hasGcc = spawnSync('sh', ['-c', 'command -v gcc'], { stdio: 'ignore' }).status === 0;

describe.each(['node-http', 'node-net', 'c-epoll', 'reactor-koffi-node'])('server row %s', (id) => {
  const row = HTTP_ROWS.find((r) => r.id === id)!;
  const maybe = id === 'c-epoll' && !hasGcc ? test.skip : test;

  maybe('answers pipelined keep-alive requests with the hello response, then stops', async () => {
    if (id === 'c-epoll') expect(buildCResponder()).toBeUndefined();
    const port = await freePort();
    const server = await startServer(row.spec(port, process.execPath));
    try {
      const req = 'GET / HTTP/1.1\r\nHost: bench\r\n\r\n';
      // node:http adds Date and Connection headers: compare bodies and status only there.
      const reply = await exchange(port, req + req, id === 'node-http' ? 300 : HELLO.length * 2);
      if (id === 'node-http') expect(reply.match(/Hello, World!/g)).toHaveLength(2);
      else expect(reply).toBe(HELLO + HELLO);
    } finally {
      await server.stop();
    }
    expect(alive(server.pid)).toBe(false);
  });
});

test('startServer reports a server that exits before its ready line, with its output', async () => {
  await expect(startServer({ command: process.execPath, args: ['-e', 'console.error("boom"); process.exit(3)'], ready: /listening/ })).rejects.toThrow(/exited \(3\) before it was ready[\s\S]*boom/);
});
