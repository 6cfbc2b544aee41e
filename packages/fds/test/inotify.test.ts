import { mkdirSync, mkdtempSync, renameSync, rmSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Epoll, EPOLLIN, IN_ALL_EVENTS, IN_CLOSE_WRITE, IN_CREATE, IN_DELETE, IN_DELETE_SELF, IN_IGNORED, IN_ISDIR, IN_MODIFY,
  IN_MOVED_FROM, IN_MOVED_TO, IN_MOVE_SELF, Inotify, decodeInotifyEvents, type InotifyEvent,
} from '@reactor/fds';
import { binding, expectNoFdLeaks } from './helpers';

expectNoFdLeaks();

const only = (events: InotifyEvent[], mask: number) => events.filter((e) => (e.mask & mask) !== 0);

describe(`Inotify [${binding}]`, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'inotify-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('is non-blocking and close-on-exec; nothing queued reads as null', () => {
    using ino = Inotify.create();
    expect(ino.nonBlocking).toBe(true);
    expect(ino.closeOnExec).toBe(true);
    ino.add(dir, IN_ALL_EVENTS);
    expect(ino.read()).toBeNull();
  });

  test('a directory watch sees create, write, close, rename (paired by cookie) and delete, with names; epoll says readable', () => {
    using ino = Inotify.create();
    using ep = new Epoll();
    ep.add(ino, EPOLLIN);
    const wd = ino.add(dir, IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE);
    expect(ep.wait(0)).toBe(0);
    writeFileSync(join(dir, 'a.conf'), 'x=1');
    renameSync(join(dir, 'a.conf'), join(dir, 'b.conf'));
    unlinkSync(join(dir, 'b.conf'));
    expect(ep.wait(0)).toBe(1);
    const events = ino.read()!;
    expect(events.every((e) => e.wd === wd)).toBe(true);
    expect(events.map((e) => [e.mask, e.name])).toEqual([
      [IN_CREATE, 'a.conf'],
      [IN_MODIFY, 'a.conf'],
      [IN_CLOSE_WRITE, 'a.conf'],
      [IN_MOVED_FROM, 'a.conf'],
      [IN_MOVED_TO, 'b.conf'],
      [IN_DELETE, 'b.conf'],
    ]);
    const [from, to] = [only(events, IN_MOVED_FROM)[0]!, only(events, IN_MOVED_TO)[0]!];
    expect(from.cookie).not.toBe(0);
    expect(to.cookie).toBe(from.cookie);
    expect(ino.read()).toBeNull();
  });

  test('a file replaced as editors do it (write a new file, rename over the old): the old watch sees the move and is dropped', () => {
    using ino = Inotify.create();
    const path = join(dir, 'app.conf');
    writeFileSync(path, 'v1');
    const wd = ino.add(path, IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF);
    writeFileSync(`${path}.tmp`, 'v2');
    renameSync(`${path}.tmp`, path);
    // The watched inode lost its last name: DELETE_SELF, then IGNORED (the watch is gone).
    const events = ino.read()!;
    expect(events.map((e) => e.mask)).toEqual([IN_DELETE_SELF, IN_IGNORED]);
    expect(events.every((e) => e.wd === wd && e.name === undefined)).toBe(true);
    // Watching the path again follows the new file.
    const wd2 = ino.add(path, IN_MODIFY);
    expect(wd2).not.toBe(wd);
    writeFileSync(path, 'v3');
    expect(ino.read()!.map((e) => [e.wd, e.mask])).toEqual([[wd2, IN_MODIFY]]);
  });

  test('remove() ends a watch with IN_IGNORED; a deleted directory reports DELETE_SELF; subdirectories carry IN_ISDIR', () => {
    using ino = Inotify.create();
    const wd = ino.add(dir, IN_ALL_EVENTS);
    const sub = join(dir, 'sub');
    const subWd = ino.add(dir, IN_CREATE);
    expect(subWd).toBe(wd); // the same path: the same watch, mask replaced
    writeFileSync(join(dir, 'f'), '');
    rmSync(join(dir, 'f'));
    ino.read();
    mkdirSync(sub);
    expect(ino.read()!.map((e) => [e.mask, e.name])).toEqual([[IN_CREATE | IN_ISDIR, 'sub']]);
    const w2 = ino.add(sub, IN_ALL_EVENTS);
    rmdirSync(sub);
    expect(only(ino.read()!, IN_DELETE_SELF).map((e) => e.wd)).toEqual([w2]);
    ino.remove(wd);
    expect(ino.read()!.map((e) => [e.wd, e.mask])).toEqual([[wd, IN_IGNORED]]);
    expect(() => ino.remove(wd)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'inotify_rm_watch' }));
  });

  test('errors: a missing path is ENOENT with the path; bad arguments never reach the kernel', () => {
    using ino = Inotify.create();
    expect(() => ino.add(join(dir, 'missing'), IN_MODIFY)).toThrow(expect.objectContaining({ code: 'ENOENT', path: join(dir, 'missing') }));
    expect(() => ino.add('a\0b', IN_MODIFY)).toThrow(TypeError);
    expect(() => ino.add(dir, 0)).toThrow(RangeError);
    expect(() => ino.add(dir, 2 ** 32)).toThrow(RangeError);
  });

  test('decodeInotifyEvents reads NUL-padded names and records back to back', () => {
    const buf = Buffer.alloc(16 + 16 + 16);
    buf.writeInt32LE(7, 0);
    buf.writeUInt32LE(IN_CREATE, 4);
    buf.writeUInt32LE(16, 12);
    buf.write('name', 16);
    buf.writeInt32LE(-1, 32);
    buf.writeUInt32LE(0x4000, 36);
    expect(decodeInotifyEvents(buf, 48)).toEqual([
      { wd: 7, mask: IN_CREATE, cookie: 0, name: 'name' },
      { wd: -1, mask: 0x4000, cookie: 0, name: undefined },
    ]);
  });
});
