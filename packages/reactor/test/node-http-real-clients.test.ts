import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, createServer, get as httpGet, type IncomingMessage, type RequestListener, type Server as HttpServer } from 'node:http';
import { Agent as HttpsAgent, get as httpsGet } from 'node:https';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reactor, toDuplex, type Listener } from '@reactor/reactor';
import { bindingName, expectNoFdLeaks, fixture, quietLogger } from './helpers';

expectNoFdLeaks();

const has = (command: string, args: string[]): boolean => {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const hasCurl = has('curl', ['--version']);
const hasOpenssl = has('openssl', ['version']);

function portOf(listener: Listener): number {
  const address = listener.address();
  return 'port' in address ? address.port : 0;
}

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['--silent', '--show-error', '--max-time', '10', ...args], { encoding: 'utf8' }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr }),
    );
  });
}

function body(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8').on('data', (d: string) => (text += d));
    res.on('end', () => resolve(text));
    res.on('error', reject);
  });
}

/** The handler every server here runs: GET says hello; POST answers the SHA-256 of the body. */
const handler: RequestListener = (req, res) => {
  if (req.method === 'POST') {
    const hash = createHash('sha256');
    req.on('data', (d: Buffer) => hash.update(d));
    req.on('end', () => res.end(hash.digest('hex')));
    return;
  }
  res.end(`hello ${req.url} from ${req.socket.remoteAddress}`);
};

/** A loop whose listener hands every connection to `server` as if the server had accepted it. */
function serve(server: HttpServer) {
  const loop = new Reactor({ logger: quietLogger });
  const listener = loop.listen({ host: '127.0.0.1', port: 0 }, (conn) => server.emit('connection', toDuplex(conn)));
  const running = loop.run();
  return {
    loop,
    listener,
    port: portOf(listener),
    async close() {
      await listener.closeAndWait();
      await running;
      loop.close();
      server.close();
    },
  };
}

(hasCurl ? describe : describe.skip)(`node:http over reactor connections, real clients (${bindingName()})`, () => {
  test('curl: two requests on one kept-alive connection, and a 1 MiB chunked POST hashed', async () => {
    const http = createServer(handler);
    const s = serve(http);
    const base = `http://127.0.0.1:${s.port}`;
    const two = await curl(['--http1.1', `${base}/a`, `${base}/b`]);
    expect(two).toMatchObject({ code: 0, stdout: 'hello /a from 127.0.0.1hello /b from 127.0.0.1' });
    expect(s.listener.accepted).toBe(1);
    const dir = mkdtempSync(join(tmpdir(), 'reactor-curl-'));
    try {
      const payload = randomBytes(1024 * 1024);
      writeFileSync(join(dir, 'body'), payload);
      const post = await curl(['--http1.1', '-H', 'Transfer-Encoding: chunked', '--data-binary', `@${join(dir, 'body')}`, `${base}/upload`]);
      expect(post).toMatchObject({ code: 0, stdout: createHash('sha256').update(payload).digest('hex') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await s.close();
  }, 30000);

  test('http.get with a keep-alive Agent reuses one connection; fetch() in the same process works too', async () => {
    const http = createServer(handler);
    const s = serve(http);
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    const reused: boolean[] = [];
    for (const path of ['/1', '/2', '/3']) {
      const text = await new Promise<string>((resolve, reject) => {
        const req = httpGet({ host: '127.0.0.1', port: s.port, path, agent }, (res) => {
          reused.push(req.reusedSocket);
          body(res).then(resolve, reject);
        });
        req.on('error', reject);
      });
      expect(text).toBe(`hello ${path} from 127.0.0.1`);
    }
    expect(reused).toEqual([false, true, true]);
    expect(s.listener.accepted).toBe(1);
    agent.destroy();
    // fetch() keeps its connection alive: the server's keepAliveTimeout ends it.
    http.keepAliveTimeout = 100;
    const res = await fetch(`http://127.0.0.1:${s.port}/fetched`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello /fetched from 127.0.0.1');
    await s.close();
  });

  test("headersTimeout and requestTimeout apply (once the server has emitted 'listening'): a slow client gets 408 and is closed", async () => {
    const http = createServer({ headersTimeout: 300, requestTimeout: 600, connectionsCheckingInterval: 50 }, handler);
    // node:http starts the timer that enforces both when it emits 'listening'; a server fed only by reactor connections never listens itself.
    http.emit('listening');
    const s = serve(http);
    const slow = async (first: string) => {
      const client = netConnect(s.port, '127.0.0.1');
      let received = '';
      client.setEncoding('latin1').on('data', (d: string) => (received += d));
      const start = performance.now();
      client.write(first);
      await new Promise((r) => client.on('close', r));
      return { received, ms: performance.now() - start };
    };
    const [headers, request] = await Promise.all([
      slow('GET / HTTP/1.1\r\nHost: x\r\n'), // the headers never end
      slow('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab'), // the body never ends
    ]);
    for (const r of [headers, request]) expect(r.received).toBe('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
    expect(headers.ms).toBeGreaterThanOrEqual(250);
    expect(headers.ms).toBeLessThan(2000);
    expect(request.ms).toBeGreaterThanOrEqual(550);
    expect(request.ms).toBeLessThan(2500);
    await s.close();
  });
});

(hasCurl && hasOpenssl ? describe : describe.skip)(`node:https (TLS) over reactor connections, real clients (${bindingName()})`, () => {
  let dir: string;
  let cert: Buffer;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'reactor-https-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // With async_hooks on, a TLS socket reaching EOF inside the loop's turn aborted
  // the process (Node's async id check) while turns ran from libuv's poll callback.
  test.each([
    ['', []],
    [', async_hooks enabled', ['--require', fixture('enable-async-hooks.js')]],
  ])('https.createServer fed reactor connections (plain node%s): curl (two requests, one connection) and https.get with a keep-alive Agent', async (_, nodeArgs) => {
    const child = spawn(process.execPath, [...nodeArgs, fixture('https-over-reactor.js'), dir], { stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    while (!/listening \d+/.test(stdout)) await new Promise((r) => setTimeout(r, 10));
    const port = Number(/listening (\d+)/.exec(stdout)![1]);
    const base = `https://127.0.0.1:${port}`;
    const two = await curl(['--http1.1', '--cacert', join(dir, 'cert.pem'), `${base}/a`, `${base}/b`]);
    expect(two).toMatchObject({ code: 0, stdout: 'hello /a over TLShello /b over TLS' });
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: cert });
    const reused: boolean[] = [];
    for (const path of ['/x', '/y']) {
      const text = await new Promise<string>((resolve, reject) => {
        const req = httpsGet({ host: '127.0.0.1', port, path, agent }, (res) => {
          reused.push(req.reusedSocket);
          body(res).then(resolve, reject);
        });
        req.on('error', reject);
      });
      expect(text).toBe(`hello ${path} over TLS`);
    }
    expect(reused).toEqual([false, true]);
    agent.destroy();
    child.stdin.end();
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    // One connection for curl's two requests, one for the agent's two.
    expect(stdout).toMatch(/accepted 2\n$/);
  }, 30000);
});
