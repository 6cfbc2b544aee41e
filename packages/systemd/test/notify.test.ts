import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { clockNow, Socket, socketInfo } from '@reactor/fds';
import { formatNotifyState, notify, notifyAddress, Notifier } from '@reactor/systemd';
import { binding, expectNoFdLeaks, NotifyReceiver } from './helpers';

expectNoFdLeaks();

describe(`notify (sd_notify over NOTIFY_SOCKET) [${binding}]`, () => {
  test('NOTIFY_SOCKET: an absolute path, an @abstract name, unset or empty; anything else is ERR_REACTOR_NOTIFY_SOCKET', () => {
    expect(notifyAddress({ NOTIFY_SOCKET: '/run/systemd/notify' })).toEqual({ family: 'unix', path: '/run/systemd/notify' });
    expect(notifyAddress({ NOTIFY_SOCKET: '@name' })).toEqual({ family: 'unix', path: 'name', abstract: true });
    expect(notifyAddress({})).toBeUndefined();
    expect(notifyAddress({ NOTIFY_SOCKET: '' })).toBeUndefined();
    for (const bad of ['relative/path', '@', 'vsock:2:1234']) {
      expect(() => notifyAddress({ NOTIFY_SOCKET: bad })).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_NOTIFY_SOCKET' }));
    }
  });

  test.each(['path', 'abstract'] as const)('messages arrive as single datagrams (%s address)', (kind) => {
    using receiver = new NotifyReceiver(kind);
    const env = { NOTIFY_SOCKET: receiver.env };
    expect(notify({ ready: true, status: 'serving on :8080' }, { env })).toBe(true);
    expect(notify('STATUS=plain text', { env })).toBe(true);
    expect(notify({ stopping: true }, { env })).toBe(true);
    expect(notify({ mainPid: 4242, ready: true }, { env })).toBe(true);
    expect(notify({ watchdog: true }, { env })).toBe(true);
    expect(receiver.drain()).toEqual(['READY=1\nSTATUS=serving on :8080', 'STATUS=plain text', 'STOPPING=1', 'READY=1\nMAINPID=4242', 'WATCHDOG=1']);
  });

  test('RELOADING=1 carries MONOTONIC_USEC, the CLOCK_MONOTONIC time of the reload in microseconds', () => {
    using receiver = new NotifyReceiver();
    const before = clockNow('monotonic') / 1000n;
    notify({ reloading: true, status: 'reloading' }, { env: { NOTIFY_SOCKET: receiver.env } });
    const after = clockNow('monotonic') / 1000n;
    const [message] = receiver.drain();
    const match = /^RELOADING=1\nMONOTONIC_USEC=(\d+)\nSTATUS=reloading$/.exec(message!);
    expect(match).not.toBeNull();
    const usec = BigInt(match![1]!);
    expect(usec >= before && usec <= after).toBe(true);
  });

  test('unset NOTIFY_SOCKET: nothing is sent and false is returned; unsetEnvironment removes the variable', () => {
    expect(notify({ ready: true }, { env: {} })).toBe(false);
    using receiver = new NotifyReceiver();
    const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: receiver.env };
    expect(notify({ ready: true }, { env, unsetEnvironment: true })).toBe(true);
    expect(env.NOTIFY_SOCKET).toBeUndefined();
    expect(notify({ ready: true }, { env })).toBe(false);
    expect(receiver.drain()).toEqual(['READY=1']);
  });

  test('errors: no listener at the path is a SystemError; a value with a newline or an empty message is ERR_REACTOR_NOTIFY_STATE', () => {
    const env = { NOTIFY_SOCKET: join('/tmp', `no-such-${process.pid}.sock`) };
    expect(() => notify({ ready: true }, { env })).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'sendto' }));
    using receiver = new NotifyReceiver();
    const ok = { NOTIFY_SOCKET: receiver.env };
    expect(() => notify({ status: 'two\nlines' }, { env: ok })).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_NOTIFY_STATE' }));
    expect(() => notify({}, { env: ok })).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_NOTIFY_STATE' }));
    expect(() => notify({ mainPid: 0 }, { env: ok })).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_NOTIFY_STATE' }));
    expect(() => notify({ extra: { 'bad key': 1 } }, { env: ok })).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_NOTIFY_STATE' }));
    expect(receiver.drain()).toEqual([]);
  });

  test('FDSTORE=1 with fds: the manager receives the datagram and the fds (close-on-exec), named by FDNAME', () => {
    using receiver = new NotifyReceiver();
    const env = { NOTIFY_SOCKET: receiver.env };
    using listening = Socket.create('tcp4');
    listening.bind({ family: 'ipv4', address: '127.0.0.1', port: 0 });
    listening.listen();
    expect(notify({ fdStore: true, fdName: 'web' }, { env, fds: [listening] })).toBe(true);
    const buf = Buffer.alloc(256);
    const got = receiver.socket.receiveWithFds(buf, 4)!;
    expect(buf.toString('utf8', 0, got.bytes)).toBe('FDSTORE=1\nFDNAME=web');
    expect(got.fds).toHaveLength(1);
    expect(got.fds[0]!.closeOnExec).toBe(true);
    expect(socketInfo(got.fds[0]!.fd)).toEqual({ family: 'ipv4', type: 'stream', listening: true, kind: 'tcp4' });
    got.fds[0]!.close();
    expect(listening.closed).toBe(false); // the sender keeps its own
    expect(() => notify({ ready: true }, { env, fds: [listening] })).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_NOTIFY_STATE' }));
    for (const bad of ['a:b', 'has space', '', 'x'.repeat(256)]) {
      expect(() => notify({ fdStore: true, fdName: bad }, { env, fds: [listening] })).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_NOTIFY_STATE' }));
    }
    expect(receiver.drain()).toEqual([]);
  });

  test('a Notifier keeps one socket for many messages', () => {
    using receiver = new NotifyReceiver('abstract');
    using notifier = new Notifier(notifyAddress({ NOTIFY_SOCKET: receiver.env })!);
    for (let i = 0; i < 3; i++) notifier.send({ status: `turn ${i}`, extra: { X_COUNT: i } });
    expect(receiver.drain()).toEqual(['STATUS=turn 0\nX_COUNT=0', 'STATUS=turn 1\nX_COUNT=1', 'STATUS=turn 2\nX_COUNT=2']);
  });

  test('a plain node process notifies the socket the test bound, as a service would', async () => {
    using receiver = new NotifyReceiver();
    const script = `const s = require(${JSON.stringify(join(__dirname, '../dist/index.js'))});
      s.notify({ ready: true, status: 'pid ' + process.pid }, { unsetEnvironment: true });
      process.stdout.write(String(process.env.NOTIFY_SOCKET));`;
    const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, NOTIFY_SOCKET: receiver.env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    expect(await new Promise((r) => child.on('exit', r))).toBe(0);
    expect(await receiver.take(1)).toEqual([`READY=1\nSTATUS=pid ${child.pid}`]);
    expect(out).toBe('undefined');
  });

  const systemdNotify = ['/usr/bin/systemd-notify', '/bin/systemd-notify'].find(existsSync);
  (systemdNotify ? test : test.skip)('the bytes match what systemd-notify sends for the same state (systemd-notify installed)', async () => {
    using receiver = new NotifyReceiver();
    // --no-block: systemd-notify otherwise waits on a BARRIER=1 reply only a real manager gives.
    await new Promise<void>((resolve, reject) =>
      execFile(systemdNotify!, ['--no-block', '--ready', '--status=hello there'], { env: { ...process.env, NOTIFY_SOCKET: receiver.env } }, (e) => (e ? reject(e) : resolve())),
    );
    const [theirs] = await receiver.take(1);
    expect(theirs).toBe(formatNotifyState({ ready: true, status: 'hello there' }));
  });
});
