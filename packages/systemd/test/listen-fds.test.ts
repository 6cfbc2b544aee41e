import { execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenFds } from '@reactor/systemd';
import { binding, expectNoFdLeaks, fixture, NotifyReceiver } from './helpers';

expectNoFdLeaks();

/** A port that was free a moment ago (systemd-socket-activate binds it itself). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('curl', ['-s', '--max-time', '15', ...args], (error, stdout) => (error ? reject(error) : resolve(stdout))),
  );
}

/**
 * systemd-socket-activate running `args`, its stdout split into lines. It
 * passes its children only PATH, HOME, USER, TERM, LISTEN_* and what -E
 * names, so the variables the daemon needs go through -E.
 */
function activated(activate: string, args: string[], env: Record<string, string>) {
  const pass = Object.entries({ REACTOR_FFI: binding, ...env }).flatMap(([k, v]) => ['-E', `${k}=${v}`]);
  const child = spawn(activate, [...pass, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    child,
    exited,
    /** Until systemd-socket-activate listens on all its sockets. */
    async listening(count = 1): Promise<void> {
      for (let i = 0; i < 500 && (err.match(/Listening on/g) ?? []).length < count; i++) await new Promise((r) => setTimeout(r, 10));
    },
    async firstLine(): Promise<Record<string, unknown>> {
      for (let i = 0; i < 2000 && !out.includes('\n'); i++) await new Promise((r) => setTimeout(r, 5));
      if (!out.includes('\n')) throw new Error(`no output; stderr: ${err}`);
      return JSON.parse(out.split('\n')[0]!) as Record<string, unknown>;
    },
  };
}

function probe(env: NodeJS.ProcessEnv): Promise<unknown> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [fixture('listen-fds-probe.js')], { env: { ...process.env, REACTOR_FFI: binding, ...env } }, (error, stdout) =>
      error ? reject(error) : resolve(JSON.parse(stdout)),
    ),
  );
}

describe(`listenFds (sd_listen_fds) [${binding}]`, () => {
  test('no LISTEN_PID or no LISTEN_FDS: no fds', () => {
    expect(listenFds({ env: {} })).toEqual([]);
    expect(listenFds({ env: { LISTEN_FDS: '2' } })).toEqual([]);
    expect(listenFds({ env: { LISTEN_PID: String(process.pid) } })).toEqual([]);
  });

  test('a LISTEN_PID of another process is ERR_REACTOR_LISTEN_PID; unsetEnvironment clears the variables either way', () => {
    const env: NodeJS.ProcessEnv = { LISTEN_PID: String(process.pid + 1), LISTEN_FDS: '1', LISTEN_FDNAMES: 'web', KEEP: '1' };
    expect(() => listenFds({ env, unsetEnvironment: true })).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_LISTEN_PID' }));
    expect(env).toEqual({ KEEP: '1' });
    expect(() => listenFds({ env: { LISTEN_PID: 'abc', LISTEN_FDS: '1' } })).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_LISTEN_PID' }));
  });

  test('counts that do not add up are ERR_REACTOR_LISTEN_FDS (checked in a process of its own)', async () => {
    expect(await probe({ LISTEN_PID: 'self', LISTEN_FDS: 'two' })).toEqual({ error: 'ERR_REACTOR_LISTEN_FDS' });
    expect(await probe({ LISTEN_PID: 'self', LISTEN_FDS: '2', LISTEN_FDNAMES: 'only-one' })).toEqual({ error: 'ERR_REACTOR_LISTEN_FDS' });
    // Far more fds than a fresh node process has open.
    expect(await probe({ LISTEN_PID: 'self', LISTEN_FDS: '5000' })).toEqual({ error: 'ERR_REACTOR_LISTEN_FDS' });
    expect(await probe({ LISTEN_PID: 'self', LISTEN_FDS: '0' })).toEqual([]);
  });

  const activate = ['/usr/bin/systemd-socket-activate', '/bin/systemd-socket-activate'].find(existsSync);
  const withActivate = activate ? describe : describe.skip;
  withActivate('under systemd-socket-activate (Debian package systemd)', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'activate-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test('a TCP and a Unix listener, named: the daemon starts on the first connection, serves curl on both, notifies READY', async () => {
      const port = await freePort();
      const path = join(dir, 'admin.sock');
      using receiver = new NotifyReceiver();
      const run = activated(activate!, ['-l', `127.0.0.1:${port}`, '-l', path, '--fdname=web:admin', process.execPath, fixture('activated-server.js')], {
        SERVE: '2',
        NOTIFY_SOCKET: receiver.env,
      });
      await run.listening(2);
      // Socket activation starts the program when the first client comes; curl waits in the backlog meanwhile.
      const web = curl([`http://127.0.0.1:${port}/`]);
      const info = await run.firstLine();
      expect(info).toEqual({
        pid: run.child.pid, // systemd-socket-activate execs the program: LISTEN_PID is its pid
        env: [null, null, null], // unsetEnvironment: the daemon's children do not inherit LISTEN_*
        fds: [
          { fd: 3, name: 'web', kind: 'tcp', address: { family: 'ipv4', address: '127.0.0.1', port } },
          { fd: 4, name: 'admin', kind: 'unix', address: { family: 'unix', path } },
        ],
      });
      expect(await web).toBe(`web ${run.child.pid}\n`);
      expect(await curl(['--unix-socket', path, 'http://localhost/'])).toBe(`admin ${run.child.pid}\n`);
      expect(await run.exited).toBe(0);
      expect(await receiver.take(1)).toEqual(['READY=1\nSTATUS=serving 2 sockets']);
    });

    test('--datagram: a UDP socket, and the datagram that started the daemon is answered', async () => {
      const port = await freePort();
      const run = activated(activate!, ['--datagram', '-l', `127.0.0.1:${port}`, '--fdname=dns', process.execPath, fixture('activated-server.js')], { SERVE: '1' });
      await run.listening();
      const peer = createSocket('udp4');
      const reply = new Promise<string>((resolve) => peer.on('message', (m) => resolve(m.toString())));
      peer.send('query', port, '127.0.0.1');
      const info = await run.firstLine();
      expect(info.fds).toEqual([{ fd: 3, name: 'dns', kind: 'udp', address: { family: 'ipv4', address: '127.0.0.1', port } }]);
      expect(await reply).toBe(`dns ${info.pid as number} query`);
      peer.close();
      expect(await run.exited).toBe(0);
    });

    test('a program started through a shell that forks: LISTEN_PID names the shell, ERR_REACTOR_LISTEN_PID', async () => {
      const port = await freePort();
      // "; exit $?" keeps sh from exec'ing node in its place.
      const script = `${JSON.stringify(process.execPath)} ${JSON.stringify(fixture('activated-server.js'))}; exit $?`;
      const run = activated(activate!, ['-l', `127.0.0.1:${port}`, '/bin/sh', '-c', script], {});
      await run.listening();
      const client = curl([`http://127.0.0.1:${port}/`]).catch(() => 'refused');
      expect(await run.firstLine()).toEqual(expect.objectContaining({ error: 'ERR_REACTOR_LISTEN_PID' }));
      expect(await run.exited).toBe(2);
      await client;
    });

    test('--accept hands over a connected socket, not a listener: ERR_REACTOR_SOCKET_KIND', async () => {
      const port = await freePort();
      const run = activated(activate!, ['--accept', '-l', `127.0.0.1:${port}`, process.execPath, fixture('activated-server.js')], {});
      await run.listening();
      const client = curl([`http://127.0.0.1:${port}/`]).catch(() => 'closed');
      expect(await run.firstLine()).toEqual(expect.objectContaining({ error: 'ERR_REACTOR_SOCKET_KIND' }));
      await client;
      run.child.kill('SIGTERM'); // --accept keeps listening for more connections
      await run.exited;
    });
  });
});
