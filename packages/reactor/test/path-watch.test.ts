import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IN_CLOSE_WRITE, IN_CREATE, IN_DELETE_SELF, IN_IGNORED, IN_MOVE_SELF, IN_MOVED_TO } from '@reactor/fds';
import { Reactor, type PathEvent } from '@reactor/reactor';
import { bindingName, expectNoFdLeaks, quietLogger } from './helpers';

expectNoFdLeaks();

describe(`loop.watchPath (${bindingName()})`, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'watch-path-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Run the loop until `done(events)` says so (or 5 s). */
  async function collect(loop: Reactor, done: (events: PathEvent[]) => boolean, events: PathEvent[]): Promise<void> {
    const guard = loop.after(5000, () => loop.stop());
    const check = loop.every(5, () => {
      if (done(events)) loop.stop();
    });
    await loop.run();
    guard.cancel();
    check.cancel();
  }

  test('a write is reported; a save by rename over the file is seen and the new file is watched from then on', async () => {
    const file = join(dir, 'app.conf');
    writeFileSync(file, 'v=1');
    const loop = new Reactor({ logger: quietLogger });
    const events: PathEvent[] = [];
    const watch = loop.watchPath(file, IN_CLOSE_WRITE, (event) => events.push(event));
    expect(watch.watching).toBe(true);
    writeFileSync(file, 'v=2');
    await collect(loop, (e) => e.some((x) => x.mask & IN_CLOSE_WRITE), events);
    expect(events[0]).toEqual({ mask: IN_CLOSE_WRITE, name: undefined, cookie: 0, path: file });

    // An editor's save: a new file, renamed over the old one.
    events.length = 0;
    writeFileSync(join(dir, '.app.conf.swp'), 'v=3');
    renameSync(join(dir, '.app.conf.swp'), file);
    await collect(loop, (e) => e.some((x) => x.mask & IN_MOVED_TO), events);
    const replaced = events.find((x) => x.mask & IN_MOVED_TO)!;
    expect(replaced).toEqual({ mask: IN_MOVED_TO, name: undefined, cookie: 0, path: file });
    expect(watch.watching).toBe(true);

    // The new file is the one watched now: its writes are reported.
    events.length = 0;
    writeFileSync(file, 'v=4');
    await collect(loop, (e) => e.some((x) => x.mask & IN_CLOSE_WRITE), events);
    expect(events.filter((x) => x.mask & IN_CLOSE_WRITE)).toHaveLength(1);
    expect(watch.stats().dispatches).toBeGreaterThanOrEqual(3);
    watch.close();
    loop.close();
  });

  test('deleted then written again: IN_DELETE_SELF and IN_IGNORED, then IN_CREATE, and watched again', async () => {
    const file = join(dir, 'data.json');
    writeFileSync(file, '{}');
    const loop = new Reactor({ logger: quietLogger });
    const events: PathEvent[] = [];
    const watch = loop.watchPath(file, IN_CLOSE_WRITE, (event) => events.push(event));
    unlinkSync(file);
    await collect(loop, (e) => e.some((x) => x.mask & IN_IGNORED), events);
    expect(events.map((x) => x.mask & (IN_DELETE_SELF | IN_IGNORED))).toEqual([IN_DELETE_SELF, IN_IGNORED]);
    expect(watch.watching).toBe(false);
    events.length = 0;
    writeFileSync(file, '{"a":1}');
    // Created and written before the watch could follow: the IN_CREATE (one) says the file is new.
    await collect(loop, (e) => e.some((x) => x.mask === IN_CREATE), events);
    expect(events).toEqual([{ mask: IN_CREATE, name: undefined, cookie: 0, path: file }]);
    expect(watch.watching).toBe(true);
    writeFileSync(file, '{"a":2}');
    await collect(loop, (e) => e.some((x) => x.mask & IN_CLOSE_WRITE), events);
    expect(events.filter((x) => x.mask & IN_CLOSE_WRITE)).toHaveLength(1);
    watch.close();
    loop.close();
  });

  test('moved away: IN_MOVE_SELF, then the file that takes the name is watched', async () => {
    const file = join(dir, 'state');
    writeFileSync(file, 'a');
    const loop = new Reactor({ logger: quietLogger });
    const events: PathEvent[] = [];
    loop.watchPath(file, IN_CLOSE_WRITE, (event) => events.push(event));
    renameSync(file, join(dir, 'state~'));
    await collect(loop, (e) => e.some((x) => x.mask & IN_MOVE_SELF), events);
    // The old file, now 'state~', is no longer watched: its writes say nothing.
    writeFileSync(join(dir, 'state~'), 'b');
    writeFileSync(file, 'c');
    await collect(loop, (e) => e.some((x) => x.mask === IN_CREATE), events);
    writeFileSync(file, 'd');
    await collect(loop, (e) => e.some((x) => x.mask & IN_CLOSE_WRITE), events);
    // One write seen: the new file's second; the old file's write under its new name is not reported.
    expect(events.filter((x) => x.mask & IN_CLOSE_WRITE)).toHaveLength(1);
    loop.close(); // disposes the watch and its inotify fd
  });

  test('a source like the others: unref lets run() end, priority and rate limit apply, errors are coded', async () => {
    const file = join(dir, 'x');
    writeFileSync(file, '');
    const loop = new Reactor({ logger: quietLogger });
    const watch = loop.watchPath(file, IN_CLOSE_WRITE, () => {}, { priority: -2, rateLimit: { intervalMs: 1000, burst: 10 } });
    expect([watch.priority, watch.rateLimit, watch.kind]).toEqual([-2, { intervalMs: 1000, burst: 10 }, 'path']);
    watch.unref();
    await loop.run(); // nothing referenced: resolves at once
    expect(() => loop.watchPath(join(dir, 'missing'), IN_CLOSE_WRITE, () => {})).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'inotify_add_watch' }));
    expect(() => loop.watchPath(file, 0, () => {})).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => loop.watchPath(file, IN_CLOSE_WRITE, 'no' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    watch.close();
    watch.close();
    loop.close();
    expect(() => loop.watchPath(file, IN_CLOSE_WRITE, () => {})).toThrow(expect.objectContaining({ code: 'ERR_REACTOR_CLOSED' }));
  });
});
