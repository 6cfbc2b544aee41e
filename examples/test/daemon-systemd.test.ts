import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket as NetSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bindingName, Socket } from '@reactor/fds';
import { memoryCgroupSkipReason, removeCgroups, waitFor } from '@reactor/testing';

// The daemon behind `pnpm start` under a service manager's protocol, with
// real peers: a notify socket this test binds and reads (what systemd does
// with NOTIFY_SOCKET), systemd-socket-activate and curl, wrk across a restart.
const MAIN = join(__dirname, '..', 'dist', 'daemon', 'main.js');
const binding = bindingName();

interface LogLine {
  level: number;
  msg: string;
  pid: number;
  [key: string]: unknown;
}

const CONFIG = {
  logLevel: 'info',
  heartbeatMs: 100,
  drainTimeoutMs: 3000,
  idleTimeoutMs: 0,
  worker: { intervalMs: 200, hashRounds: 1000 },
  child: { probeIntervalMs: 3_600_000, restartMinMs: 50, restartMaxMs: 400 },
};

/**
 * The service manager's end of NOTIFY_SOCKET: a Unix datagram socket bound in
 * a fresh directory, read all the time as a manager does (a datagram queue
 * left unread fills up, and the daemon's next message fails with EAGAIN).
 */
class NotifyReceiver {
  readonly socket = Socket.create('unix-dgram');
  readonly path: string;
  readonly messages: string[] = [];
  readonly #buf = Buffer.alloc(4096);
  readonly #reader: NodeJS.Timeout;

  constructor(dir: string) {
    this.path = join(dir, 'notify.sock');
    this.socket.bind({ family: 'unix', path: this.path });
    this.#reader = setInterval(() => this.#drain(), 5);
  }

  close(): void {
    clearInterval(this.#reader);
    this.socket.close();
  }

  #drain(): void {
    for (let got; (got = this.socket.recvFrom(this.#buf)) !== null; ) this.messages.push(this.#buf.toString('utf8', 0, got.bytes));
  }

  /** The first message (from `from` on) for which `predicate` holds; its index. */
  async wait(predicate: (m: string) => boolean, what: string, from = 0, ms = 10000): Promise<number> {
    let index = -1;
    await waitFor(() => {
      this.#drain();
      index = this.messages.findIndex((m, i) => i >= from && predicate(m));
      return index >= 0;
    }, ms, `${what} (got ${JSON.stringify(this.messages.filter((m) => m !== 'WATCHDOG=1'))})`);
    return index;
  }
}

const dirs: string[] = [];
const pids = new Set<number>();
const receivers: NotifyReceiver[] = [];

function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

afterEach(async () => {
  // Whatever a test started and did not stop (the instance a restart made included).
  for (const pid of pids) {
    try {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await waitFor(() => [...pids].every((pid) => !alive(pid)), 5000, 'the daemons gone');
  pids.clear();
  for (const r of receivers.splice(0)) r.close();
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'daemon-systemd-'));
  dirs.push(dir);
  return dir;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(file, args, { maxBuffer: 1 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr }),
    ),
  );
}

async function curlJson(port: number, path: string): Promise<any> {
  const r = await run('curl', ['-s', '--fail', '--max-time', '15', `http://127.0.0.1:${port}${path}`]);
  if (r.code !== 0) throw new Error(`curl ${path}: exit ${r.code} ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Start `command args`, its stdout read as the daemon's JSON log lines. */
function start(command: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  pids.add(child.pid!);
  const logs: LogLine[] = [];
  let rest = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) logs.push(JSON.parse(line) as LogLine);
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitLog = async (predicate: (l: LogLine) => boolean, what: string, ms = 10000): Promise<LogLine> => {
    await waitFor(() => logs.some(predicate), ms, `${what} (log so far: ${logs.map((l) => l.msg).join(', ')}; stderr: ${err})`);
    return logs.find(predicate)!;
  };
  return { child, logs, exited, waitLog, stderr: () => err };
}

function daemon(dir: string, extraArgs: string[], env: NodeJS.ProcessEnv = {}) {
  const configPath = join(dir, 'daemon.config.json');
  writeFileSync(configPath, JSON.stringify(CONFIG));
  const d = start(process.execPath, [MAIN, ...extraArgs, '--config', configPath], { ...process.env, ...env });
  return { ...d, configPath };
}

describe(`the daemon under the systemd protocol (${binding})`, () => {
  test('READY=1 with STATUS once listening, watchdog pings, RELOADING=1/READY=1 around SIGHUP and around a config saved by rename, STOPPING=1 on SIGTERM', async () => {
    const dir = tempDir();
    const receiver = new NotifyReceiver(dir);
    receivers.push(receiver);
    const d = daemon(dir, ['--port', '0'], { NOTIFY_SOCKET: receiver.path, WATCHDOG_USEC: '200000' });
    const listening = await d.waitLog((l) => l.msg.startsWith('listening on '), 'listening');
    const ready = await receiver.wait((m) => m.startsWith('READY=1\n'), 'READY=1');
    expect(receiver.messages[ready]).toBe(`READY=1\nSTATUS=serving on 127.0.0.1:${listening.port}: 0 requests, 0 connections open, 0 reloads`);
    // WATCHDOG_USEC 200 ms: a ping every 100 ms from the loop's timer.
    const firstPing = await receiver.wait((m) => m === 'WATCHDOG=1', 'a watchdog ping');
    await receiver.wait((m) => m === 'WATCHDOG=1', 'a second watchdog ping', firstPing + 1);
    // The heartbeat refreshes the STATUS with the counters.
    await curlJson(listening.port as number, '/stats');
    await receiver.wait((m) => /^STATUS=serving on .*: [1-9]\d* requests/.test(m), 'a STATUS with the request counted');

    let from = receiver.messages.length;
    d.child.kill('SIGHUP');
    const reloading = await receiver.wait((m) => m.startsWith('RELOADING=1\n'), 'RELOADING=1 on SIGHUP', from);
    expect(receiver.messages[reloading]).toMatch(/^RELOADING=1\nMONOTONIC_USEC=\d+\nSTATUS=reloading /);
    await receiver.wait((m) => m.startsWith('READY=1\n') && m.includes('1 reloads'), 'READY=1 after the reload', reloading);
    await d.waitLog((l) => l.msg === 'config reloaded' && l.cause === 'SIGHUP', 'the SIGHUP reload');

    // An editor's save: a new file renamed over the old one. A file beside it changing does not reload.
    writeFileSync(join(dir, 'other.json'), '{}');
    from = receiver.messages.length;
    const next = join(dir, '.daemon.config.json.swp');
    writeFileSync(next, JSON.stringify({ ...CONFIG, logLevel: 'debug' }));
    renameSync(next, d.configPath);
    await d.waitLog((l) => l.msg === 'config reloaded' && l.cause === 'file changed', 'the reload on rename');
    await receiver.wait((m) => m.startsWith('READY=1\n') && m.includes('2 reloads'), 'READY=1 after the second reload', from);
    expect((await curlJson(listening.port as number, '/stats')).config.logLevel).toBe('debug');
    // A second save by rename: the directory watch still sees it (a watch on the file would be gone).
    writeFileSync(next, JSON.stringify({ ...CONFIG, logLevel: 'info' }));
    renameSync(next, d.configPath);
    await d.waitLog((l) => l.msg === 'config reloaded' && l.reloads === 3, 'the second reload on rename');
    expect(d.logs.find((l) => l.reloads === 3)).toMatchObject({ cause: 'file changed', config: { logLevel: 'info' } });
    // A bad file is refused, and the manager still hears READY=1 (the old config serves on).
    from = receiver.messages.length;
    writeFileSync(next, '{"logLevel": "loud"}');
    renameSync(next, d.configPath);
    await receiver.wait((m) => m.startsWith('READY=1\nSTATUS=config rejected'), 'READY=1 after a rejected file', from);
    expect(d.logs.filter((l) => l.msg === 'config reloaded')).toHaveLength(3);

    from = receiver.messages.length;
    d.child.kill('SIGTERM');
    await receiver.wait((m) => m === 'STOPPING=1\nSTATUS=stopping', 'STOPPING=1', from);
    expect(await d.exited).toBe(0);
    expect(d.logs.filter((l) => l.msg === 'notify failed')).toEqual([]);
  });

  const activate = ['/usr/bin/systemd-socket-activate', '/bin/systemd-socket-activate'].find(existsSync);
  (activate ? test : test.skip)('serves on the socket systemd-socket-activate made (curl), and its children do not inherit LISTEN_*', async () => {
    const dir = tempDir();
    const port = await freePort();
    const configPath = join(dir, 'daemon.config.json');
    writeFileSync(configPath, JSON.stringify({ ...CONFIG, child: { ...CONFIG.child, probeIntervalMs: 100 } }));
    // It passes its child only PATH, HOME, USER, TERM, LISTEN_* and what -E names.
    const d = start(activate!, ['-l', `127.0.0.1:${port}`, '-E', `REACTOR_FFI=${binding}`, process.execPath, MAIN, '--config', configPath], process.env);
    await waitFor(() => d.stderr().includes('Listening on'), 10000, 'systemd-socket-activate listening');
    // It execs the daemon on the first connection: this curl waits in the backlog meanwhile.
    const stats = await curlJson(port, '/stats');
    expect(stats.pid).toBe(d.child.pid); // exec'd, not forked: LISTEN_PID is this pid
    const listening = await d.waitLog((l) => l.msg.startsWith('listening on '), 'listening');
    expect(listening).toMatchObject({ activated: 1, port, addresses: `127.0.0.1:${port}` });
    // The supervised prober (a child) reaches /healthz on the activated socket, and has no LISTEN_* of its own.
    let withProbes = await curlJson(port, '/stats');
    for (const until = Date.now() + 10000; withProbes.child.probesOk === 0; withProbes = await curlJson(port, '/stats')) {
      if (Date.now() > until) throw new Error(`no probe through the activated socket: ${JSON.stringify(withProbes.child)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const childPid = withProbes.child.pid as number;
    expect(readFileSync(`/proc/${childPid}/environ`, 'utf8').split('\0').filter((v) => v.startsWith('LISTEN_'))).toEqual([]);
    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  });
});

describe(`the restart on SIGUSR2 (${binding})`, () => {
  const wrk = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find(existsSync);
  (wrk ? test : test.skip)('wrk across the restart: no socket errors, no non-2xx; the new instance notifies MAINPID and READY, serves (pid in /stats), the old one exits 0', async () => {
    const dir = tempDir();
    const receiver = new NotifyReceiver(dir);
    receivers.push(receiver);
    const d = daemon(dir, ['--port', '0'], { NOTIFY_SOCKET: receiver.path });
    const listening = await d.waitLog((l) => l.msg.startsWith('listening on '), 'listening');
    const port = listening.port as number;
    const oldPid = d.child.pid!;
    expect((await curlJson(port, '/stats')).pid).toBe(oldPid);
    await receiver.wait((m) => m.startsWith('READY=1\n'), 'READY=1 of the first instance');

    const load = run(wrk!, ['-t1', '-c50', '-d6s', `http://127.0.0.1:${port}/healthz`]);
    await new Promise((r) => setTimeout(r, 2000));
    const from = receiver.messages.length;
    d.child.kill('SIGUSR2');
    const handed = await d.waitLog((l) => l.msg === 'restarting: new instance started, sockets handed over', 'the hand-over');
    const newPid = handed.successorPid as number;
    pids.add(newPid);
    expect(newPid).not.toBe(oldPid);
    const ready = await receiver.wait((m) => m.includes(`MAINPID=${newPid}`), 'MAINPID of the new instance', from);
    expect(receiver.messages[ready]).toMatch(new RegExp(`^READY=1\\nSTATUS=serving on 127\\.0\\.0\\.1:${port}: .*\\nMAINPID=${newPid}$`));
    // The old one drains and exits 0 while wrk still runs; no STOPPING=1 from it (the service goes on).
    expect(await d.exited).toBe(0);
    const result = await load;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\d+ requests in /);
    expect(result.stdout).not.toMatch(/Socket errors/);
    expect(result.stdout).not.toMatch(/Non-2xx/);
    expect(receiver.messages.slice(from).some((m) => m.includes('STOPPING=1'))).toBe(false);
    const requests = Number(/(\d+) requests in /.exec(result.stdout)![1]);
    expect(requests).toBeGreaterThan(1000);

    const after = await curlJson(port, '/stats');
    expect(after.pid).toBe(newPid);
    expect(d.logs.find((l) => l.pid === newPid && l.msg.startsWith('listening on '))).toMatchObject({ handedOver: true, port });
    // The new instance is the service now: SIGTERM stops it with STOPPING=1, and nothing is left behind.
    const stopFrom = receiver.messages.length;
    process.kill(newPid, 'SIGTERM');
    await receiver.wait((m) => m.startsWith('STOPPING=1'), 'STOPPING=1 from the new instance', stopFrom);
    await waitFor(() => !alive(newPid), 10000, 'the new instance gone');
    expect(d.logs.filter((l) => l.msg === 'notify failed')).toEqual([]);
  }, 40000);
});

describe('the example unit files (examples/systemd/)', () => {
  const UNITS = join(__dirname, '..', 'systemd');
  const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find(existsSync);

  test('the service is Type=notify with NotifyAccess=all, a watchdog, a HUP reload, and runs this daemon; the socket listens on its port', () => {
    const service = readFileSync(join(UNITS, 'reactor-daemon.service'), 'utf8');
    const socket = readFileSync(join(UNITS, 'reactor-daemon.socket'), 'utf8');
    const settings = (text: string) => new Map(text.split('\n').filter((l) => /^\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const s = settings(service);
    expect(s.get('Type')).toBe('notify');
    expect(s.get('NotifyAccess')).toBe('all');
    expect(s.get('WatchdogSec')).toMatch(/^\d+s$/);
    expect(s.get('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(s.get('ExecStart')).toMatch(/ \/opt\/reactor\/examples\/dist\/daemon\/main\.js /);
    expect(settings(socket).get('ListenStream')).toBe('127.0.0.1:8080');
  });

  // systemd's own parser (Debian package systemd): unknown directives, bad values and unsafe settings are reported.
  (analyze ? test : test.skip)('systemd-analyze verify finds nothing to report', async () => {
    const r = await run(analyze!, ['verify', join(UNITS, 'reactor-daemon.socket'), join(UNITS, 'reactor-daemon.service')]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  });
});

/** A keep-alive client that made one request and now sits idle; `closed` once the server closed it. */
async function idleClient(port: number): Promise<{ socket: NetSocket; closed: () => boolean }> {
  const socket = connect({ host: '127.0.0.1', port });
  let data = '';
  let closed = false;
  socket.setEncoding('latin1').on('data', (c: string) => (data += c));
  socket.on('close', () => (closed = true)).on('error', () => undefined);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor(() => data.endsWith('ok\n'), 5000, 'the first response');
  return { socket, closed: () => closed };
}


describe(`the daemon under memory pressure (${binding})`, () => {
  test('MEMORY_PRESSURE_WATCH=/dev/null turns the watch off; a pressure file it cannot use is logged and the daemon serves on', async () => {
    const off = daemon(tempDir(), ['--port', '0'], { MEMORY_PRESSURE_WATCH: '/dev/null' });
    const listening = await off.waitLog((l) => l.msg.startsWith('listening on '), 'listening');
    expect(off.logs.some((l) => /memory pressure/.test(l.msg))).toBe(false);
    off.child.kill('SIGTERM');
    expect(await off.exited).toBe(0);
    expect(listening.port).toBeGreaterThan(0);

    const bad = daemon(tempDir(), ['--port', '0'], { MEMORY_PRESSURE_WATCH: '/nonexistent/memory.pressure' });
    const refused = await bad.waitLog((l) => l.msg === 'memory pressure not watched', 'the refusal');
    expect(String((refused.err as { code?: string }).code)).toBe('ENOENT');
    const port = (await bad.waitLog((l) => l.msg.startsWith('listening on '), 'listening')).port as number;
    expect((await curlJson(port, '/stats')).pid).toBe(bad.child.pid);
    bad.child.kill('SIGTERM');
    expect(await bad.exited).toBe(0);
  });

  const reason = memoryCgroupSkipReason();
  if (reason !== undefined) test.skip(`real memory pressure sheds idle keep-alive connections (skipped: ${reason})`, () => undefined);
  else
    test('real memory pressure in the watched cgroup (MEMORY_PRESSURE_WATCH/WRITE, as systemd sets them) closes the idle keep-alive connections and logs it', async () => {
      // A group whose memory.pressure the daemon watches, and a child thrashing its page cache in it under a 16 MiB limit.
      const name = `reactor-daemon-psi-${process.pid}`;
      const unified = `/sys/fs/cgroup/unified/${name}`;
      const memory = `/sys/fs/cgroup/memory/${name}`;
      const file = `/var/tmp/${name}.bin`;
      mkdirSync(unified);
      mkdirSync(memory);
      writeFileSync(`${memory}/memory.limit_in_bytes`, String(16 * 1024 * 1024));
      let hog: ChildProcess | undefined;
      let hogExited: Promise<unknown> = Promise.resolve();
      try {
        const d = daemon(tempDir(), ['--port', '0'], {
          MEMORY_PRESSURE_WATCH: `${unified}/memory.pressure`,
          MEMORY_PRESSURE_WRITE: Buffer.from('some 20000 2000000').toString('base64'),
        });
        const watching = await d.waitLog((l) => l.msg === 'watching memory pressure', 'the watch');
        expect(watching).toMatchObject({ path: `${unified}/memory.pressure`, kind: 'some', thresholdUs: 20000, windowUs: 2000000 });
        const port = (await d.waitLog((l) => l.msg.startsWith('listening on '), 'listening')).port as number;
        const clients = await Promise.all([1, 2, 3].map(() => idleClient(port)));
        expect(clients.some((c) => c.closed())).toBe(false);

        const script = `echo $$ > ${unified}/cgroup.procs && echo $$ > ${memory}/cgroup.procs && dd if=/dev/urandom of=${file} bs=1M count=96 status=none && while :; do cat ${file} > /dev/null; done`;
        hog = spawn('sh', ['-c', script], { stdio: 'ignore', detached: true });
        hogExited = new Promise((resolve) => hog!.on('exit', resolve));
        const shed = await d.waitLog((l) => l.msg === 'memory pressure: closed idle keep-alive connections', 'shedding', 20000);
        expect(shed.closed).toBeGreaterThanOrEqual(3);
        expect((shed.pressure as { totalUs: number }).totalUs).toBeGreaterThanOrEqual(20000);
        await waitFor(() => clients.every((c) => c.closed()), 5000, 'the idle clients closed');
        // It goes on serving.
        expect((await curlJson(port, '/stats')).pid).toBe(d.child.pid);
        d.child.kill('SIGTERM');
        expect(await d.exited).toBe(0);
      } finally {
        if (hog !== undefined) process.kill(-hog.pid!, 'SIGKILL');
        await hogExited;
        rmSync(file, { force: true });
        await removeCgroups([unified, memory]);
      }
    }, 40000);
});
