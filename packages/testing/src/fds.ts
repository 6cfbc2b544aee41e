import { readdirSync, readlinkSync } from 'node:fs';

/** The open fds of this process, as `fd → target`. */
export function openFds(): Map<number, string> {
  const fds = new Map<number, string>();
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      fds.set(Number(name), readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // the fd of the directory listing itself is gone by now
    }
  }
  return fds;
}

/** Kernel objects this project makes (epoll, eventfd, timerfd, signalfd, pidfd, sockets, pipes). */
const OURS = /^(anon_inode:|socket:|pipe:)/;

/**
 * Register hooks that fail the file if it leaves an fd behind: the open fds of
 * kinds this project makes are compared before the first and after the last test.
 */
export function expectNoFdLeaks(): void {
  let before: Map<number, string>;
  beforeAll(() => {
    before = openFds();
  });
  afterAll(() => {
    const leaked: string[] = [];
    for (const [fd, target] of openFds()) {
      if (OURS.test(target) && before.get(fd) !== target) leaked.push(`${fd} → ${target}`);
    }
    expect(leaked).toEqual([]);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
