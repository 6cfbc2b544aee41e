import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { EPOLLPRI, PressureTrigger } from '@reactor/fds';
import { Reactor, resolvePressureTrigger } from '@reactor/reactor';
import { memoryCgroupSkipReason, removeCgroups } from '@reactor/testing';
import { bindingName, expectNoFdLeaks, quietLogger, sleep } from './helpers';

expectNoFdLeaks();

const havePsi = existsSync('/proc/pressure/memory');
const b64 = (text: string) => Buffer.from(text, 'latin1').toString('base64');

(havePsi ? describe : describe.skip)(`loop.memoryPressure (${bindingName()})`, () => {
  test('the trigger is chosen as sd-event chooses it: options, then MEMORY_PRESSURE_WATCH/WRITE, then the defaults', () => {
    expect(resolvePressureTrigger({ env: {} }).kind).toBe('some');
    expect(resolvePressureTrigger({ env: {} })).toMatchObject({ thresholdUs: 200_000, windowUs: 2_000_000 });
    const env = { MEMORY_PRESSURE_WATCH: '/proc/pressure/memory', MEMORY_PRESSURE_WRITE: b64('full 50000 4000000\0') };
    expect(resolvePressureTrigger({ env })).toEqual({ path: '/proc/pressure/memory', kind: 'full', thresholdUs: 50_000, windowUs: 4_000_000 });
    expect(resolvePressureTrigger({ env, thresholdUs: 70_000 })).toEqual({ path: '/proc/pressure/memory', kind: 'full', thresholdUs: 70_000, windowUs: 4_000_000 });
    expect(() => resolvePressureTrigger({ env: { MEMORY_PRESSURE_WATCH: '/dev/null' } })).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_PRESSURE_DISABLED' }));
    expect(() => resolvePressureTrigger({ env: { MEMORY_PRESSURE_WRITE: b64('most 1 2') } })).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_PRESSURE_SPEC' }));
    expect(() => resolvePressureTrigger({ env: {}, windowUs: 100 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => resolvePressureTrigger({ env: {}, kind: 'half' as never })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  test('a source like the others: does not keep the loop alive unless ref\'ed, closes its fds, survives run-mode switches', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const pressure = loop.memoryPressure({ path: '/proc/pressure/memory', thresholdUs: 150_000, windowUs: 2_000_000, priority: 3 }, () => {});
    expect([pressure.kind, pressure.priority, pressure.hasRef(), pressure.trigger.path]).toEqual(['pressure', 3, false, '/proc/pressure/memory']);
    expect(pressure.read().some.totalUs).toBeGreaterThanOrEqual(0);
    await loop.run(); // unref'ed: resolves at once; the trigger went to libuv's loop and back
    loop.after(5, () => loop.stop());
    loop.runBlocking();
    pressure.ref();
    loop.after(5, () => loop.stop());
    await loop.run();
    pressure.close();
    pressure.close();
    await loop.run(); // nothing left
    loop.close();
    expect(() => loop.memoryPressure({}, () => {})).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_CLOSED' }));
  });

  const reason = memoryCgroupSkipReason();
  if (reason !== undefined) test.skip(`real memory pressure (skipped: ${reason})`, () => undefined);
  else {
    /** A cgroup2 group (for its memory.pressure), a v1 memory group with a 16 MiB limit, and (on start()) a child thrashing its page cache in both. */
    async function withThrashingChild(run: (pressureFile: string, start: () => void) => Promise<void>): Promise<void> {
      const name = `reactor-mp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
      const unified = `/sys/fs/cgroup/unified/${name}`;
      const memory = `/sys/fs/cgroup/memory/${name}`;
      const file = `/var/tmp/${name}.bin`;
      mkdirSync(unified);
      mkdirSync(memory);
      writeFileSync(`${memory}/memory.limit_in_bytes`, String(16 * 1024 * 1024));
      // A 96 MiB file written and read again and again inside a 16 MiB limit: reclaim, then refaults.
      const script = `echo $$ > ${unified}/cgroup.procs && echo $$ > ${memory}/cgroup.procs && dd if=/dev/urandom of=${file} bs=1M count=96 status=none && while :; do cat ${file} > /dev/null; done`;
      let child: ReturnType<typeof spawn> | undefined;
      let exited: Promise<unknown> = Promise.resolve();
      const start = () => {
        // Its own process group, so that the cat it runs goes with it.
        child = spawn('sh', ['-c', script], { stdio: 'ignore', detached: true });
        const c = child;
        exited = new Promise((resolve) => c.on('exit', resolve));
      };
      try {
        await run(`${unified}/memory.pressure`, start);
      } finally {
        if (child !== undefined) process.kill(-child.pid!, 'SIGKILL');
        await exited;
        rmSync(file, { force: true });
        await removeCgroups([unified, memory]);
      }
    }

    test('in Node\'s loop (run()): real pressure in a cgroup fires the source; a trigger watched in the loop\'s own epoll set does not', async () => {
      await withThrashingChild(async (path, start) => {
        const loop = new Reactor({ logger: quietLogger });
        let fired = 0;
        const pressure = loop.memoryPressure({ path, thresholdUs: 20_000, windowUs: 2_000_000, ref: true }, (event, source) => {
          expect(event.gone).toBe(false);
          fired++;
          expect(source.read().some.totalUs).toBeGreaterThanOrEqual(20_000);
          loop.stop();
        });
        // The same trigger put in the loop's epoll set, where libuv's poll of the nested set takes its event first.
        const raw = PressureTrigger.open('memory', { path, thresholdUs: 20_000, windowUs: 2_000_000 });
        let rawEvents = 0;
        const watch = loop.watch(raw, EPOLLPRI, () => rawEvents++, { ref: false });
        const guard = loop.after(20_000, () => loop.stop());
        start();
        await loop.run();
        guard.cancel();
        expect(fired).toBe(1);
        expect(pressure.stats().dispatches).toBe(1);
        expect(rawEvents).toBe(0);
        watch.remove();
        raw.close();
        loop.close();
      });
    }, 40_000);

    test('with runBlocking(): the trigger is in the loop\'s epoll set and fires there', async () => {
      await withThrashingChild(async (path, start) => {
        const loop = new Reactor({ logger: quietLogger });
        let fired = 0;
        loop.memoryPressure({ path, thresholdUs: 20_000, windowUs: 2_000_000, ref: true }, () => {
          fired++;
          loop.stop();
        });
        const guard = loop.after(20_000, () => loop.stop());
        start();
        loop.runBlocking();
        guard.cancel();
        expect(fired).toBe(1);
        loop.close();
      });
    }, 40_000);
  }
});
