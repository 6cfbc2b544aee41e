import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Epoll, EPOLLPRI, parsePressure, PressureTrigger } from '@reactor/fds';
import { memoryCgroupSkipReason, removeCgroups } from '@reactor/testing';
import { binding, expectNoFdLeaks, sleep } from './helpers';

expectNoFdLeaks();

const havePsi = existsSync('/proc/pressure/memory');

(havePsi ? describe : describe.skip)(`PressureTrigger (PSI) [${binding}]`, () => {
  test('parsePressure reads the system files; the trigger fd is close-on-exec and non-blocking', () => {
    const stats = parsePressure(readFileSync('/proc/pressure/memory', 'utf8'));
    expect(stats.some.totalUs).toBeGreaterThanOrEqual(0);
    expect(stats.full).toBeDefined();
    using trigger = PressureTrigger.open('memory', { thresholdUs: 150_000, windowUs: 2_000_000 });
    expect([trigger.closeOnExec, trigger.nonBlocking, trigger.spec, trigger.path]).toEqual([true, true, 'some 150000 2000000', '/proc/pressure/memory']);
    expect(trigger.read().some.totalUs).toBeGreaterThanOrEqual(stats.some.totalUs);
  });

  test('arguments are checked before the kernel; what the kernel refuses is a SystemError with the path', () => {
    expect(() => PressureTrigger.open('disk' as never, { thresholdUs: 1, windowUs: 2_000_000 })).toThrow(RangeError);
    expect(() => PressureTrigger.open('memory', { thresholdUs: 3_000_000, windowUs: 2_000_000 })).toThrow(/^options.thresholdUs/);
    expect(() => PressureTrigger.open('memory', { thresholdUs: 1, windowUs: 100_000 })).toThrow(/^options.windowUs/);
    expect(() => PressureTrigger.open('memory', { kind: 'most' as never, thresholdUs: 1, windowUs: 2_000_000 })).toThrow(/^options.kind/);
    expect(() => PressureTrigger.open('memory', { thresholdUs: 1, windowUs: 2_000_000, path: '/nonexistent/memory.pressure' })).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'open', path: '/nonexistent/memory.pressure' }),
    );
    expect(() => parsePressure('some avg10=x')).toThrow(RangeError);
  });

  const reason = memoryCgroupSkipReason();
  if (reason !== undefined) test.skip(`real memory pressure (skipped: ${reason})`, () => undefined);
  else
    test('real memory pressure from a child thrashing its page cache in a small cgroup fires EPOLLPRI on its group\'s trigger', async () => {
      const name = `reactor-psi-${process.pid}`;
      const unified = `/sys/fs/cgroup/unified/${name}`;
      const memory = `/sys/fs/cgroup/memory/${name}`;
      const file = `/var/tmp/${name}.bin`;
      mkdirSync(unified);
      mkdirSync(memory);
      writeFileSync(`${memory}/memory.limit_in_bytes`, String(16 * 1024 * 1024));
      const trigger = PressureTrigger.open('memory', { thresholdUs: 20_000, windowUs: 2_000_000, path: `${unified}/memory.pressure` });
      const ep = new Epoll();
      ep.add(trigger, EPOLLPRI);
      // Before the child: the new group has no stall at all.
      expect(ep.wait(0)).toBe(0);
      expect(trigger.read().some.totalUs).toBe(0);
      // A 96 MiB file written and read again and again inside a 16 MiB limit: reclaim, then refaults of evicted pages.
      const script = `echo $$ > ${unified}/cgroup.procs && echo $$ > ${memory}/cgroup.procs && dd if=/dev/urandom of=${file} bs=1M count=96 status=none && while :; do cat ${file} > /dev/null; done`;
      // Its own process group, so that the cat it runs goes with it.
      const child = spawn('sh', ['-c', script], { stdio: 'ignore', detached: true });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      const start = Date.now();
      let fired = false;
      try {
        while (!fired && Date.now() - start < 20_000) {
          fired = ep.wait(0) > 0;
          if (!fired) await sleep(20);
        }
        expect(fired).toBe(true);
        expect(trigger.read().some.totalUs).toBeGreaterThanOrEqual(20_000);
        // Reported once: the event is consumed by the wait that saw it.
        expect(ep.wait(0)).toBe(0);
      } finally {
        process.kill(-child.pid!, 'SIGKILL');
        await exited;
        ep.close();
        trigger.close();
        rmSync(file, { force: true });
        await removeCgroups([unified, memory]);
      }
    }, 30_000);
});
