import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PidFd, Epoll, EPOLLIN, SystemError, ClosedFdError, kill, type ProcessExit } from '@reactor/fds';
import { binding, expectNoFdLeaks, sleep } from './helpers';

expectNoFdLeaks();

interface ExitEvent {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The child's 'exit' event (libuv's own waitpid), also when it already happened. */
function exited(child: ChildProcess): Promise<ExitEvent> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * Block in epoll until the pidfd is readable. Blocking keeps libuv from
 * running its SIGCHLD handling (on this same thread), so the child is still
 * a zombie, not reaped, when this returns.
 */
function waitReadableBlocking(ep: Epoll, limitMs = 5000): void {
  const t0 = performance.now();
  while (ep.wait(50) === 0) {
    if (performance.now() - t0 > limitMs) throw new Error('the pidfd did not become readable');
  }
  expect(ep.eventsAt(0) & EPOLLIN).toBe(EPOLLIN);
}

/** Poll the pidfd without blocking Node's loop, which lets libuv reap the child whenever it likes. */
async function waitReadableAsync(ep: Epoll, limitMs = 5000): Promise<void> {
  const t0 = performance.now();
  while (ep.wait(0) === 0) {
    if (performance.now() - t0 > limitMs) throw new Error('the pidfd did not become readable');
    await sleep(2);
  }
}

/**
 * Peek at the exit with WNOWAIT. libuv reaps its children itself, so when it
 * got there first, waitid says ECHILD: then the process must be gone and the
 * 'exit' event must tell the same story.
 */
async function peekOrExitEvent(pidfd: PidFd, child: ChildProcess, expected: ProcessExit): Promise<'pidfd' | 'libuv'> {
  let status: ProcessExit | null;
  try {
    status = pidfd.wait({ noWait: true });
  } catch (e) {
    expect(e).toBeInstanceOf(SystemError);
    expect(e).toMatchObject({ code: 'ECHILD', syscall: 'waitid' });
    const ev = await exited(child);
    expect(existsSync(`/proc/${child.pid}`)).toBe(false);
    expect(ev).toEqual(expected.code === 'exited'
      ? { code: expected.status, signal: null }
      : { code: null, signal: expected.signal });
    return 'libuv';
  }
  expect(status).toEqual(expected);
  return 'pidfd';
}

describe(`PidFd (${binding})`, () => {
  test('pidfd_open gives a close-on-exec, blocking fd; a running child is not readable and wait() is null', async () => {
    // The child runs until its stdin closes, so "still running" does not depend on timing.
    const child = spawn('sh', ['-c', 'read line; exit 0'], { stdio: ['pipe', 'ignore', 'ignore'] });
    using pidfd = PidFd.open(child.pid!);
    using ep = new Epoll();
    ep.add(pidfd, EPOLLIN);
    expect(pidfd.pid).toBe(child.pid);
    // pidfd_open(2): "the close-on-exec flag is set on the file descriptor"
    expect(pidfd.closeOnExec).toBe(true);
    expect(pidfd.nonBlocking).toBe(false);
    expect(ep.wait(0)).toBe(0);
    expect(pidfd.wait({ noWait: true })).toBeNull();
    expect(pidfd.wait()).toBeNull(); // WNOHANG: nothing to reap yet, nothing reaped
    expect(ep.wait(0)).toBe(0);
    child.stdin!.end();
    await waitReadableAsync(ep);
    await peekOrExitEvent(pidfd, child, { pid: child.pid!, code: 'exited', status: 0 });
    expect(await exited(child)).toEqual({ code: 0, signal: null });
  });

  test('`sleep 0.1`: the pidfd becomes readable at exit; WNOWAIT peeks leave the zombie for libuv', async () => {
    const child = spawn('sleep', ['0.1'], { stdio: 'ignore' });
    {
      using pidfd = PidFd.open(child.pid!);
      using ep = new Epoll();
      ep.add(pidfd, EPOLLIN);
      waitReadableBlocking(ep);
      const expected: ProcessExit = { pid: child.pid!, code: 'exited', status: 0 };
      // libuv had no chance to run since the child exited: the peek wins.
      expect(pidfd.wait({ noWait: true })).toEqual(expected);
      // WNOWAIT left it a zombie: a second peek sees the same
      expect(pidfd.wait({ noWait: true })).toEqual(expected);
      // still readable: the zombie stays until it is reaped
      expect(ep.wait(0)).toBe(1);
    }
    // ... and libuv still reaps it and reports the exit
    expect(await exited(child)).toEqual({ code: 0, signal: null });
  });

  test('a child that exits with code 3', async () => {
    const child = spawn('sh', ['-c', 'exit 3'], { stdio: 'ignore' });
    using pidfd = PidFd.open(child.pid!);
    using ep = new Epoll();
    ep.add(pidfd, EPOLLIN);
    waitReadableBlocking(ep);
    expect(await peekOrExitEvent(pidfd, child, { pid: child.pid!, code: 'exited', status: 3 })).toBe('pidfd');
    expect(await exited(child)).toEqual({ code: 3, signal: null });
  });

  test('a child killed by SIGKILL', async () => {
    const child = spawn('sleep', ['10'], { stdio: 'ignore' });
    using pidfd = PidFd.open(child.pid!);
    using ep = new Epoll();
    ep.add(pidfd, EPOLLIN);
    expect(pidfd.wait({ noWait: true })).toBeNull();
    kill(child.pid!, 'SIGKILL');
    waitReadableBlocking(ep);
    const expected: ProcessExit = { pid: child.pid!, code: 'killed', status: 9, signal: 'SIGKILL' };
    expect(await peekOrExitEvent(pidfd, child, expected)).toBe('pidfd');
    expect(await exited(child)).toEqual({ code: null, signal: 'SIGKILL' });
  });

  test('polling without blocking Node: the pidfd still becomes readable; the peek may lose the race to libuv (ECHILD)', async () => {
    const outcomes: string[] = [];
    for (const [args, expected] of [
      [['-c', 'exit 3'], { code: 'exited', status: 3 }],
      [['-c', 'kill -KILL $$'], { code: 'killed', status: 9, signal: 'SIGKILL' }],
    ] as const) {
      const child = spawn('sh', args, { stdio: 'ignore' });
      using pidfd = PidFd.open(child.pid!);
      using ep = new Epoll();
      ep.add(pidfd, EPOLLIN);
      await waitReadableAsync(ep);
      outcomes.push(await peekOrExitEvent(pidfd, child, { pid: child.pid!, ...expected }));
      await exited(child);
    }
    expect(outcomes).toHaveLength(2);
  });

  test('a process that is not our child: readable when it exits, but waitid says ECHILD', async () => {
    // sh starts `sleep` in the background and exits: the sleep is a grandchild.
    const sh = spawn('sh', ['-c', 'sleep 30 & echo $!'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    sh.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await exited(sh);
    const pid = Number(out.trim());
    expect(Number.isInteger(pid) && pid > 0).toBe(true);
    using pidfd = PidFd.open(pid);
    using ep = new Epoll();
    ep.add(pidfd, EPOLLIN);
    expect(() => pidfd.wait({ noWait: true })).toThrow(expect.objectContaining({ code: 'ECHILD', syscall: 'waitid', fd: pidfd.fd }));
    expect(ep.wait(0)).toBe(0);
    kill(pid, 'SIGTERM');
    waitReadableBlocking(ep);
    expect(() => pidfd.wait()).toThrow(expect.objectContaining({ code: 'ECHILD' }));
  });

  test('this process itself: a pidfd opens, is not readable, and is not waitable', () => {
    using pidfd = PidFd.open(process.pid);
    using ep = new Epoll();
    ep.add(pidfd, EPOLLIN);
    expect(ep.wait(0)).toBe(0);
    expect(() => pidfd.wait({ noWait: true })).toThrow(expect.objectContaining({ code: 'ECHILD' }));
  });

  test('a nonexistent pid is ESRCH', () => {
    let caught: unknown;
    try {
      PidFd.open(0x7ffffff0);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SystemError);
    expect(caught).toMatchObject({ code: 'ESRCH', errno: -3, syscall: 'pidfd_open' });
  });

  test('a reaped child is ESRCH too', async () => {
    const child = spawn('sh', ['-c', 'exit 0'], { stdio: 'ignore' });
    await exited(child);
    expect(() => PidFd.open(child.pid!)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  test('bad arguments are refused before any syscall; close semantics', () => {
    expect(() => PidFd.open(0)).toThrow(RangeError);
    expect(() => PidFd.open(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => PidFd.open(1.5)).toThrow(RangeError);
    expect(() => PidFd.open(NaN)).toThrow(RangeError);
    expect(() => PidFd.open(2 ** 31)).toThrow(RangeError);
    expect(() => PidFd.open('1' as never)).toThrow(TypeError);
    const pidfd = PidFd.open(process.pid);
    expect(() => pidfd.wait({ noWait: 1 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => pidfd.wait('x' as never)).toThrow(TypeError);
    pidfd.close();
    pidfd.close();
    expect(pidfd.closed).toBe(true);
    expect(() => pidfd.wait()).toThrow(ClosedFdError);
    expect(() => pidfd.fd).toThrow(ClosedFdError);
  });
});
