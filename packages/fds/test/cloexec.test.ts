import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { Epoll, EventFd, PidFd, SignalFd, TimerFd, type FileDescriptor } from '@reactor/fds';
import { binding, expectNoFdLeaks, openFds } from './helpers';

expectNoFdLeaks();

/** A Node child that prints its open fds as { fd: readlink target }. */
const LIST_FDS = `
  const fs = require('node:fs');
  const fds = {};
  for (const n of fs.readdirSync('/proc/self/fd')) {
    try { fds[n] = fs.readlinkSync('/proc/self/fd/' + n); } catch {}
  }
  process.stdout.write(JSON.stringify(fds));
`;

async function childFds(): Promise<Map<number, string>> {
  const child = spawn(process.execPath, ['-e', LIST_FDS], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  // 'close', not 'exit': the stdout socket (and the last of the output) may still be open at 'exit'.
  const code = await new Promise((resolve) => child.on('close', resolve));
  expect(code).toBe(0);
  return new Map(Object.entries(JSON.parse(out) as Record<string, string>).map(([fd, target]) => [Number(fd), target]));
}

/**
 * A Node child opens a dozen anon-inode fds of its own (epoll, eventfd) at
 * low numbers; ours are pushed above 64 so that a match in the child can only
 * mean the fd was inherited.
 */
const FLOOR = 64;

describe(`close-on-exec (${binding})`, () => {
  test('no fd this package makes reaches a child process; one made with closeOnExec: false does', async () => {
    const fillers: number[] = [];
    const ours: FileDescriptor[] = [];
    try {
      for (;;) {
        const fd = openSync('/dev/null', 'r');
        fillers.push(fd);
        if (fd >= FLOOR) break;
      }
      ours.push(new TimerFd(), new SignalFd(['SIGUSR2']), PidFd.open(process.pid), new EventFd(), new Epoll());
      const control = new EventFd(0, { closeOnExec: false });
      ours.push(control);
      const parent = openFds();
      const expected = ['anon_inode:[timerfd]', 'anon_inode:[signalfd]', 'anon_inode:[pidfd]', 'anon_inode:[eventfd]', 'anon_inode:[eventpoll]', 'anon_inode:[eventfd]'];
      expect(ours.map((f) => parent.get(f.fd))).toEqual(expected);
      for (const f of ours) expect(f.fd).toBeGreaterThan(FLOOR);

      const inChild = await childFds();
      const inherited = ours.filter((f) => inChild.get(f.fd) === parent.get(f.fd)).map((f) => `${f.fd} → ${parent.get(f.fd)}`);
      // the control proves the method sees an inherited fd
      expect(inherited).toEqual([`${control.fd} → anon_inode:[eventfd]`]);
    } finally {
      for (const f of ours) f.close();
      for (const fd of fillers) closeSync(fd);
    }
  });
});
