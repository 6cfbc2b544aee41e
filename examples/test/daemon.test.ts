import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@reactor/testing';

// `pnpm start` is `node examples/dist/daemon/main.js`: the daemon runs here as
// that subprocess (REACTOR_FFI passes through), every signal comes from this
// process with kill(2), and every check goes through its HTTP port or its log.
const MAIN = join(__dirname, '..', 'dist', 'daemon', 'main.js');

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

interface Daemon {
  child: ChildProcess;
  port: number;
  configPath: string;
  logs: LogLine[];
  stderr: () => string;
  exited: Promise<number | null>;
  waitLog(predicate: (line: LogLine) => boolean, what: string, ms?: number): Promise<LogLine>;
}

const dirs: string[] = [];
const daemons: Daemon[] = [];

/** Fast settings so the timers, the worker and the prober show up within a test. */
const FAST = {
  logLevel: 'info',
  heartbeatMs: 100,
  drainTimeoutMs: 3000,
  idleTimeoutMs: 0,
  worker: { intervalMs: 50, hashRounds: 1000 },
  child: { probeIntervalMs: 100, restartMinMs: 50, restartMaxMs: 400 },
};

/** The same, with the prober quiet: for tests that count connections (each probe is one). */
const QUIET = { ...FAST, child: { ...FAST.child, probeIntervalMs: 3_600_000 } };

function writeConfig(dir: string, config: unknown): string {
  const path = join(dir, 'daemon.config.json');
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config));
  return path;
}

async function startDaemon(config: object = FAST, extraArgs: string[] = ['--port', '0'], env: NodeJS.ProcessEnv = {}): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), 'daemon-test-'));
  dirs.push(dir);
  const configPath = writeConfig(dir, config);
  const child = spawn(process.execPath, [MAIN, ...extraArgs, '--config', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const logs: LogLine[] = [];
  let rest = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    // stdout is a pipe, not a terminal: one JSON object a line, nothing else.
    for (const line of lines) logs.push(JSON.parse(line) as LogLine);
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitLog = async (predicate: (line: LogLine) => boolean, what: string, ms = 10000) => {
    await waitFor(() => logs.some(predicate) || child.exitCode !== null, ms, `${what} (log so far: ${logs.map((l) => l.msg).join(', ')}; stderr: ${err})`);
    const found = logs.find(predicate);
    if (found === undefined) throw new Error(`daemon exited before logging ${what}: ${err}`);
    return found;
  };
  const listening = await waitLog((l) => l.msg.startsWith('listening on '), 'listening');
  const daemon: Daemon = { child, port: listening.port as number, configPath, logs, stderr: () => err, exited, waitLog };
  daemons.push(daemon);
  return daemon;
}

async function get(port: number, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function stats(port: number): Promise<any> {
  const r = await get(port, '/stats');
  expect(r.status).toBe(200);
  return JSON.parse(r.body);
}

/** /stats, fetched again until `predicate` holds. */
async function statsUntil(port: number, predicate: (s: any) => boolean, what: string, ms = 10000): Promise<any> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await stats(port);
    if (predicate(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A raw keep-alive client: one socket, requests written by hand, responses read by Content-Length. */
class RawClient {
  readonly socket: Socket;
  #buffer = '';
  ended = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('latin1').on('data', (c: string) => (this.#buffer += c));
    socket.on('end', () => (this.ended = true));
    socket.on('close', () => (this.ended = true));
    socket.on('error', () => undefined);
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawClient(socket);
  }

  /** The next whole response (head + body). */
  async response(ms = 5000): Promise<{ head: string; body: string }> {
    let parsed: { head: string; body: string; length: number } | undefined;
    await waitFor(() => {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end < 0) return false;
      const head = this.#buffer.slice(0, end);
      const length = Number(/content-length: (\d+)/i.exec(head)![1]);
      if (this.#buffer.length < end + 4 + length) return false;
      parsed = { head, body: this.#buffer.slice(end + 4, end + 4 + length), length: end + 4 + length };
      return true;
    }, ms, `a response (have ${JSON.stringify(this.#buffer)})`);
    this.#buffer = this.#buffer.slice(parsed!.length);
    return parsed!;
  }

  async get(path: string): Promise<{ head: string; body: string }> {
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    return this.response();
  }
}

/** Alive means not gone and not a zombie. */
function processAlive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function terminate(daemon: Daemon, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  const began = Date.now();
  daemon.child.kill(signal);
  const code = await daemon.exited;
  // The bound: drain (idle here) + the child's and worker's grace periods.
  expect(Date.now() - began).toBeLessThan(5000);
  return code;
}

afterEach(async () => {
  for (const d of daemons.splice(0)) {
    if (d.child.exitCode === null && d.child.signalCode === null) {
      d.child.kill('SIGKILL');
      await d.exited;
    }
  }
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the pnpm start daemon', () => {
  test('serves the status page and /stats with live loop counters, beats, works, probes; SIGTERM exits 0', async () => {
    const d = await startDaemon();
    const page = await get(d.port, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<meta http-equiv="refresh" content="2">');
    expect(page.body).toContain('loop.stats()');
    expect(page.body).toContain(`pid ${d.child.pid}`);

    // The heartbeat timer, the worker's eventfd posts and the child's probes all arrive.
    await d.waitLog((l) => l.msg === 'heartbeat', 'a heartbeat');
    const s = await statsUntil(d.port, (x) => x.worker.results >= 3 && x.child.probesOk >= 1, 'worker results and probes');
    expect(s.pid).toBe(d.child.pid);
    expect(s.binding).toBe(process.env.REACTOR_FFI === 'koffi' ? 'koffi' : 'ffi-rs');
    expect(s.loop.turns).toBeGreaterThan(0);
    expect(s.loop.timersFired).toBeGreaterThan(0);
    expect(s.loop.messages).toBeGreaterThanOrEqual(s.worker.results);
    expect(s.loop.wakeups).toBeGreaterThan(0);
    expect(s.worker.last).toMatch(/^[0-9a-f]{16}$/);
    expect(s.child.pid).toBeGreaterThan(0);
    expect(processAlive(s.child.pid)).toBe(true);
    expect(s.http.requests).toBeGreaterThanOrEqual(2);
    const beat = d.logs.find((l) => l.msg === 'heartbeat')!;
    expect(beat).toEqual(expect.objectContaining({ turns: expect.any(Number), workResults: expect.any(Number), requests: expect.any(Number) }));

    expect((await get(d.port, '/healthz')).body).toBe('ok\n');
    expect((await get(d.port, '/nope')).status).toBe(404);
    expect((await get(d.port, '/', 'POST')).status).toBe(405);
    const head = await get(d.port, '/stats', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');

    expect(await terminate(d)).toBe(0);
    expect(d.stderr()).toBe('');
    expect(processAlive(s.child.pid)).toBe(false);
    const stopped = d.logs.find((l) => l.msg === 'stopped')!;
    expect(stopped).toEqual(expect.objectContaining({ forced: 0, workerExitCode: 0 }));
  });

  test('each part logs through its own child logger: the loop (made by Reactor), main, http, the worker, the supervisor', async () => {
    const d = await startDaemon({ ...FAST, logLevel: 'debug' });
    const running = await d.waitLog((l) => l.msg === 'reactor running', 'the loop running');
    expect(running).toEqual(expect.objectContaining({ name: 'daemon', component: 'reactor' }));
    expect(d.logs.find((l) => l.msg.startsWith('listening on '))).toEqual(expect.objectContaining({ name: 'daemon', component: 'main' }));
    expect(await d.waitLog((l) => l.msg === 'worker result', 'a worker result')).toEqual(expect.objectContaining({ component: 'worker' }));
    expect(await d.waitLog((l) => l.msg === 'child started', 'child started')).toEqual(expect.objectContaining({ component: 'supervisor' }));
    expect(await d.waitLog((l) => l.msg === 'probe', 'a probe')).toEqual(expect.objectContaining({ component: 'prober' }));
    expect(await terminate(d)).toBe(0);
    expect(d.logs.filter((l) => l.component === undefined).map((l) => l.msg)).toEqual([]);
  });

  test('SIGHUP reloads the config (log level, heartbeat) with a keep-alive connection open; a bad file is refused and the old config kept', async () => {
    // The file watch off: this test rewrites the file in place and reloads by SIGHUP alone.
    const d = await startDaemon(QUIET, ['--port', '0', '--watch-config', 'off']);
    const client = await RawClient.open(d.port);
    const first = await client.get('/healthz');
    expect(first.head).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(first.head).not.toMatch(/connection: close/i);
    await d.waitLog((l) => l.msg === 'heartbeat', 'a heartbeat');
    expect(d.logs.some((l) => l.level === 20)).toBe(false); // info: no debug lines yet

    writeConfig(join(d.configPath, '..'), { ...QUIET, logLevel: 'debug', heartbeatMs: 60_000 });
    process.kill(d.child.pid!, 'SIGHUP');
    const reloaded = await d.waitLog((l) => l.msg === 'config reloaded', 'config reloaded');
    expect(reloaded.reloads).toBe(1);
    // debug now: the worker's results are logged as they arrive through the eventfd.
    await d.waitLog((l) => l.level === 20 && l.msg === 'worker result', 'a debug line');
    const beatsAfterReload = () => d.logs.filter((l) => l.msg === 'heartbeat' && (l.time as number) > (reloaded.time as number)).length;

    // The same connection still serves, and sees the new config.
    const after = await client.get('/stats');
    expect(after.head).toMatch(/^HTTP\/1\.1 200 OK/);
    const s = JSON.parse(after.body);
    expect(s.reloads).toBe(1);
    expect(s.config.logLevel).toBe('debug');
    expect(s.config.heartbeatMs).toBe(60_000);

    // A broken file: logged, ignored.
    writeConfig(join(d.configPath, '..'), '{ "logLevel": "loud" }');
    process.kill(d.child.pid!, 'SIGHUP');
    const rejected = await d.waitLog((l) => l.msg === 'config rejected; keeping the running one', 'config rejected');
    expect(String(rejected.err)).toMatch(/logLevel must be one of/);
    writeConfig(join(d.configPath, '..'), '{ not json');
    process.kill(d.child.pid!, 'SIGHUP');
    await waitFor(() => d.logs.filter((l) => l.msg.startsWith('config rejected')).length === 2, 5000, 'second rejection');
    const still = JSON.parse((await client.get('/stats')).body);
    expect(still.reloads).toBe(1);
    expect(still.config.logLevel).toBe('debug');
    // The 60 s heartbeat replaced the 100 ms one.
    expect(beatsAfterReload()).toBe(0);
    expect(client.ended).toBe(false);

    client.socket.destroy();
    expect(await terminate(d)).toBe(0);
  });

  test('the supervised child, killed from outside, is restarted (new pid, pidfd exit seen); none is left after SIGTERM', async () => {
    const d = await startDaemon();
    let s = await statsUntil(d.port, (x) => x.child.pid !== undefined, 'a child');
    const firstPid: number = s.child.pid;
    process.kill(firstPid, 'SIGKILL');
    const died = await d.waitLog((l) => l.msg === 'child died: restarting', 'child died');
    expect(died).toEqual(expect.objectContaining({ childPid: firstPid, signal: 'SIGKILL', exitCode: null }));
    await d.waitLog((l) => l.msg === 'child started' && l.childPid !== firstPid, 'child restarted');
    s = await stats(d.port);
    expect(s.child.restarts).toBe(1);
    expect(s.child.pid).not.toBe(firstPid);
    expect(s.child.lastExit).toEqual(expect.objectContaining({ pid: firstPid, signal: 'SIGKILL' }));
    expect(s.loop.childrenExited).toBe(1);
    expect(processAlive(firstPid)).toBe(false);
    const secondPid: number = s.child.pid;
    // It is a real prober: it reaches /healthz again.
    const okBefore = s.child.probesOk;
    await statsUntil(d.port, (x) => x.child.probesOk > okBefore, 'a probe from the new child');

    // Dying again soon after the start doubles the back-off.
    process.kill(secondPid, 'SIGKILL');
    const diedAgain = await d.waitLog((l) => l.msg === 'child died: restarting' && l.childPid === secondPid, 'second death');
    expect(diedAgain.restartInMs).toBe(2 * (died.restartInMs as number));
    await d.waitLog((l) => l.msg === 'child started' && l.starts === 3, 'third start');
    s = await stats(d.port);
    const thirdPid: number = s.child.pid;

    expect(await terminate(d)).toBe(0);
    // SIGTERM: the prober exits 0 from its handler, or dies of the signal if it came before node installed it.
    const stopped = d.logs.find((l) => l.msg === 'child stopped')!;
    expect(stopped.childPid).toBe(thirdPid);
    expect([stopped.exitCode, stopped.signal]).toContainEqual(stopped.exitCode === 0 ? 0 : 'SIGTERM');
    for (const pid of [firstPid, secondPid, thirdPid]) expect(processAlive(pid)).toBe(false);
  });

  test('a Ctrl-C to the process group reaches the daemon, not the child (its own group); SIGKILL of the daemon does not orphan the child for long', async () => {
    const d = await startDaemon();
    const s = await statsUntil(d.port, (x) => x.child.probesOk >= 1, 'a probe');
    expect(readFileSync(`/proc/${s.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]).toBe(String(s.child.pid)); // pgid = its pid
    d.child.kill('SIGKILL');
    await d.exited;
    // The prober's next line meets a closed pipe and it exits.
    await waitFor(() => !processAlive(s.child.pid), 5000, 'the orphaned prober to exit');
  });

  test('SIGTERM drains: idle keep-alive closed at once, a request in flight completes with Connection: close, new connects refused, exit 0', async () => {
    const d = await startDaemon(QUIET);
    const idle = await RawClient.open(d.port);
    await idle.get('/healthz');
    const busy = await RawClient.open(d.port);
    busy.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'); // half a request head
    // The daemon has both (the /stats connection is the third).
    await statsUntil(d.port, (x) => x.http.connectionsOpen >= 3, 'three connections');

    d.child.kill('SIGTERM');
    await d.waitLog((l) => l.msg === 'shutting down', 'shutting down');
    await waitFor(() => idle.ended, 2000, 'the idle connection closed');
    await expect(RawClient.open(d.port)).rejects.toThrow(/ECONNREFUSED/);
    expect(busy.ended).toBe(false);

    busy.socket.write('\r\n'); // the rest of it
    const response = await busy.response();
    expect(response.head).toMatch(/^HTTP\/1\.1 503 /); // healthz says it is stopping
    expect(response.head).toMatch(/\r\nConnection: close/);
    expect(response.body).toBe('stopping\n');
    expect(await d.exited).toBe(0);
    expect(d.logs.find((l) => l.msg === 'stopped')).toEqual(expect.objectContaining({ closed: 2, forced: 0 }));
  });

  test('a connection that never finishes its request is closed when drainTimeoutMs runs out; the exit is still 0', async () => {
    const d = await startDaemon({ ...QUIET, drainTimeoutMs: 300 });
    const stuck = await RawClient.open(d.port);
    stuck.socket.write('GET / HTTP/1.1\r\n');
    await statsUntil(d.port, (x) => x.http.connectionsOpen >= 2, 'two connections');
    const began = Date.now();
    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(Date.now() - began).toBeGreaterThanOrEqual(290);
    expect(stuck.ended).toBe(true);
    expect(d.logs.find((l) => l.msg === 'stopped')).toEqual(expect.objectContaining({ forced: 1 }));
  });

  test('a second SIGTERM during the drain closes what is left at once', async () => {
    const d = await startDaemon({ ...QUIET, drainTimeoutMs: 60_000 });
    const stuck = await RawClient.open(d.port);
    stuck.socket.write('GET / HTTP/1.1\r\n');
    await statsUntil(d.port, (x) => x.http.connectionsOpen >= 2, 'two connections');
    const began = Date.now();
    d.child.kill('SIGTERM');
    await d.waitLog((l) => l.msg === 'shutting down', 'shutting down');
    expect(stuck.ended).toBe(false);
    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(stuck.ended).toBe(true);
    expect(d.logs.some((l) => l.msg === 'second signal: closing every connection now')).toBe(true);
  });

  test('Ctrl-C (SIGINT) stops it as SIGTERM does', async () => {
    const d = await startDaemon();
    expect((await get(d.port, '/healthz')).status).toBe(200);
    expect(await terminate(d, 'SIGINT')).toBe(0);
    expect(d.logs.find((l) => l.msg === 'shutting down')!.signal).toBe('SIGINT');
  });

  test('in a terminal the log is pretty-printed (pino-pretty), not JSON', async () => {
    // script(1) gives the daemon a pseudo-terminal as stdout.
    const dir = mkdtempSync(join(tmpdir(), 'daemon-test-'));
    dirs.push(dir);
    const config = writeConfig(dir, QUIET);
    const tty = spawn('script', ['-qfec', `${process.execPath} ${MAIN} --port 0 --config ${config}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    tty.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    const exited = new Promise<number | null>((resolve) => tty.once('exit', resolve));
    await waitFor(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(out), 10000, `the pretty listening line (have ${JSON.stringify(out)})`);
    const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
    const s = await stats(port);
    process.kill(s.pid, 'SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/\[\d\d:\d\d:\d\d\.\d{3}\] .*INFO.*: .*listening on/);
    expect(out).toMatch(/INFO.*: .*stopped/);
    expect(out).not.toContain('{"level"');
  });

  test('the port comes from --port, else PORT or REACTOR_DAEMON_PORT; bad values and bad config files fail the start', async () => {
    const fromEnv = await startDaemon(FAST, [], { PORT: '0' });
    expect(fromEnv.port).toBeGreaterThan(0);
    expect(fromEnv.port).not.toBe(8080);
    expect(await terminate(fromEnv)).toBe(0);

    const dir = mkdtempSync(join(tmpdir(), 'daemon-test-'));
    dirs.push(dir);
    const good = writeConfig(dir, FAST);
    const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 10000, env: { ...process.env, PORT: '', ...env } });
    let r = run(['--config', good], { REACTOR_DAEMON_PORT: 'eighty' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/PORT must be an integer in \[0, 65535\]; got eighty/);
    r = run(['--port', '70000', '--config', good]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--port must be an integer/);
    r = run(['--port', '0', '--config', join(dir, 'missing.json')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/missing\.json: ENOENT/);
    r = run(['--port', '0', '--config', writeConfig(dir, { ...FAST, heartbeatMs: 'often' })]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/heartbeatMs must be an integer/);
    r = run(['--port', '0', '--config', writeConfig(dir, { ...FAST, hartbeatMs: 5 })]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown field "hartbeatMs"/);
  });

  test('a port already taken: a clear error naming bind and EADDRINUSE, exit 1, no child left', async () => {
    const d = await startDaemon();
    const s = await stats(d.port);
    const r = spawnSync(process.execPath, [MAIN, '--port', String(d.port), '--config', d.configPath], { encoding: 'utf8', timeout: 10000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bind.*EADDRINUSE/);
    expect(await terminate(d)).toBe(0);
    expect(processAlive(s.child.pid)).toBe(false);
  });
});
