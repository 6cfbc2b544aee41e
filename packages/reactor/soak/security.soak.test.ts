/**
 * Security, where the regular tests stop (packages/fds/test/cloexec.test.ts
 * covers epoll, eventfd, timerfd, signalfd and pidfd; net-unix-udp.test.ts
 * covers a Unix socket's mode bits, stale files, live servers and peer
 * credentials between processes of one user):
 *  - sockets and pipes are close-on-exec too: listeners, accepted and
 *    connected TCP/Unix streams, UDP, pipes — a spawned child proves it;
 *  - a Unix socket's mode is enforced on another user (uid nobody), and
 *    SO_PEERCRED names that user;
 *  - a symlink at a socket path is refused and left alone;
 *  - nothing stays behind after close(): signal dispositions and masks,
 *    Node listeners, threads, fds (in a plain Node child: jest's sandboxed
 *    `process` installs no real signal listeners).
 */
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, lstatSync, mkdtempSync, openSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPipe, EventFd, signalNumber, type FileDescriptor } from '@reactor/fds';
import { Reactor, type Connection } from '@reactor/reactor';
import pino from 'pino';
import { bindingName, fdCount, fixture, JsonChild, record, resetRecord, waitFor } from './helpers';

const quiet = pino({ level: 'silent' });
const NOBODY = 65534;

beforeAll(() => resetRecord('security'));

/** The fds of a fresh child process, as fd → readlink target. */
async function childFds(): Promise<Map<number, string>> {
  const script = `const fs = require('node:fs'); const o = {};
    for (const n of fs.readdirSync('/proc/self/fd')) { try { o[n] = fs.readlinkSync('/proc/self/fd/' + n); } catch {} }
    process.stdout.write(JSON.stringify(o));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => child.on('exit', resolve));
  return new Map(Object.entries(JSON.parse(out) as Record<string, string>).map(([fd, target]) => [Number(fd), target]));
}

/** Run `node -e script` as uid/gid nobody; resolve with its stdout. */
function runAsNobody(script: string): Promise<string> {
  const child = spawn(process.execPath, ['-e', script], { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('exit', () => resolve(out.trim())));
}

describe(`security (${bindingName()})`, () => {
  test('every socket and pipe the reactor makes is close-on-exec: a spawned child inherits none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'soak-cloexec-'));
    // Push our fds above the dozen a fresh Node child opens for itself, so a
    // match in the child can only mean inheritance.
    const fillers: number[] = [];
    for (;;) {
      const fd = openSync('/dev/null', 'r');
      fillers.push(fd);
      if (fd >= 64) break;
    }
    const loop = new Reactor({ logger: quiet });
    const accepted: Connection[] = [];
    try {
      const tcp = loop.listen({ port: 0 }, (c) => accepted.push(c));
      const unix = loop.listen({ path: join(dir, 's.sock') }, (c) => accepted.push(c));
      const udp = loop.udp({ port: 0 });
      const [readEnd, writeEnd] = createPipe();
      const running = loop.run();
      const tcpClient = await loop.connect({ host: '127.0.0.1', port: (tcp.address() as { port: number }).port });
      const unixClient = await loop.connect({ path: join(dir, 's.sock') });
      await waitFor(() => accepted.length === 2, 5000, 'both accepted');
      const ours: Array<[string, FileDescriptor | { fd: number }]> = [
        ['TCP listener', tcp.socket], ['Unix listener', unix.socket], ['UDP socket', udp.socket],
        ['TCP client', tcpClient.socket], ['Unix client', unixClient.socket],
        ['TCP accepted', accepted[0]!.socket], ['Unix accepted', accepted[1]!.socket],
        ['pipe read end', readEnd], ['pipe write end', writeEnd],
      ];
      for (const [, f] of ours) expect(f.fd).toBeGreaterThan(64);
      const targets = new Map(ours.map(([name, f]) => [name, readlinkSync(`/proc/self/fd/${f.fd}`)]));
      // The control: an fd made without close-on-exec shows that the method sees inheritance.
      const control = new EventFd(0, { closeOnExec: false });
      const inChild = await childFds();
      const controlSeen = inChild.get(control.fd) === readlinkSync(`/proc/self/fd/${control.fd}`);
      control.close();
      expect(controlSeen).toBe(true);
      const inherited = ours.filter(([name, f]) => inChild.get(f.fd) === targets.get(name)).map(([name]) => name);
      expect(inherited).toEqual([]);
      readEnd.close();
      writeEnd.close();
      loop.stop();
      await running;
      record('security', { closeOnExec: { kinds: ours.map(([name]) => name), inheritedByChild: inherited.length } });
    } finally {
      loop.close();
      for (const fd of fillers) closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a Unix socket's mode is enforced on another user; SO_PEERCRED names that user", async () => {
    if (process.getuid!() !== 0) throw new Error('this test runs as root (it spawns a child as uid nobody)');
    const dir = mkdtempSync(join(tmpdir(), 'soak-mode-'));
    chmodSync(dir, 0o755);
    const loop = new Reactor({ logger: quiet });
    try {
      const seen: Array<{ uid: number; gid: number; pid: number }> = [];
      const open = loop.listen({ path: join(dir, 'open.sock'), mode: 0o666 }, (c) => seen.push(c.peerCredentials()));
      const closed = loop.listen({ path: join(dir, 'owner-only.sock'), mode: 0o600 }, () => seen.push({ uid: -1, gid: -1, pid: -1 }));
      expect(lstatSync(join(dir, 'open.sock')).mode & 0o777).toBe(0o666);
      expect(lstatSync(join(dir, 'owner-only.sock')).mode & 0o777).toBe(0o600);
      const running = loop.run();
      const attempt = (path: string) => runAsNobody(`
        const c = require('node:net').connect(${JSON.stringify(path)});
        c.on('connect', () => { console.log('connected ' + process.pid); c.end(); });
        c.on('error', (e) => console.log(e.code));`);
      const [toOpen, toClosed] = await Promise.all([attempt(join(dir, 'open.sock')), attempt(join(dir, 'owner-only.sock'))]);
      expect(toOpen).toMatch(/^connected \d+$/);
      expect(toClosed).toBe('EACCES');
      await waitFor(() => seen.length >= 1, 5000, 'the peer seen');
      expect(seen).toEqual([{ uid: NOBODY, gid: NOBODY, pid: Number(toOpen.split(' ')[1]) }]);
      open.close();
      closed.close();
      loop.stop();
      await running;
      record('security', { unixMode: { '0o666 as nobody': 'connected', '0o600 as nobody': toClosed, peerCredentials: seen[0] } });
    } finally {
      loop.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a symlink at a socket path is refused and left alone, as is its target', () => {
    const dir = mkdtempSync(join(tmpdir(), 'soak-link-'));
    using loop = new Reactor({ logger: quiet });
    try {
      // A stale socket file (its server gone) and a symlink to it.
      const stale = join(dir, 'stale.sock');
      loop.listen({ path: stale }).socket.close(); // bound, then the fd closed: the file stays, nobody accepts
      expect(lstatSync(stale).isSocket()).toBe(true);
      const link = join(dir, 'link.sock');
      symlinkSync(stale, link);
      expect(() => loop.listen({ path: link })).toThrow(expect.objectContaining({ code: 'EADDRINUSE', syscall: 'bind' }));
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(existsSync(stale)).toBe(true);
      record('security', { staleSocket: { symlinkRefused: true, symlinkAndTargetKept: true } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('nothing stays behind after close(): signal dispositions and masks, listeners, threads, fds', async () => {
    const fdsBefore = fdCount();
    const child = new JsonChild(fixture('leftovers.js'), []);
    const report = (await child.message((m) => 'after' in m, 20000, 'the report')) as Record<string, { sigCgt: string; sigIgn: string; sigBlk: string; listeners: number[]; threads: number; fds: number }> & { handled: number };
    expect((await child.exited).code).toBe(0);
    const { before, during, after } = report;
    const mask = (hex: string) => BigInt(`0x${hex}`);
    const bit = (signo: number) => 1n << BigInt(signo - 1);
    const carrier = bit(64); // SIGRTMAX (docs/signals.md)
    expect(report.handled).toBeGreaterThan(0);
    // While it ran, each handled signal was caught (libuv's handler: the
    // loop hears it through Node's own machinery) and the loop's thread
    // blocked the carrier; no process.on listener was added.
    for (const signo of [1, 12, 15, signalNumber('SIGRTMIN+3')]) expect(mask(during.sigCgt) & bit(signo)).toBe(bit(signo));
    expect(mask(during.sigBlk)).toBe(mask(before.sigBlk) | carrier);
    expect(during.listeners).toEqual([0, 0, 0]);
    // After close() every disposition is the one before, exactly: the same
    // signals caught (Node's own SIGTERM handler is back) and none caught that
    // was not. The carrier stays blocked in the thread and ignored by the
    // process (a forward still on its way must never kill it).
    expect(after.sigCgt).toBe(before.sigCgt);
    expect(mask(after.sigIgn)).toBe(mask(before.sigIgn) | carrier);
    expect(mask(after.sigBlk)).toBe(mask(before.sigBlk) | carrier);
    expect(after.listeners).toEqual([0, 0, 0]);
    expect(after.threads).toBe(before.threads);
    expect(after.fds).toBe(before.fds);
    expect(fdCount()).toBe(fdsBefore);
    record('security', { leftoversAfterClose: { before, during, after } });
  });
});
