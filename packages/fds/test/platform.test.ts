import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dist = join(__dirname, '../dist');

/** In a fresh node: `prelude`, then the first call that needs libc; prints the error's name, code and message. */
function firstCallError(entry: string, prelude = ''): { name: string; code: string; message: string; cause: string } {
  const program = `${prelude}
    const fds = require(${JSON.stringify(entry)});
    try { fds.getpid(); console.log('null'); }
    catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message, cause: String(e.cause && e.cause.message) })); }`;
  // Without NODE_PATH: pnpm's scripts point it at the workspace's hoisted modules, where ffi-rs and koffi would be found.
  const { NODE_PATH: _hoisted, ...env } = process.env;
  const result = spawnSync(process.execPath, ['-e', program], { encoding: 'utf8', env });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout);
}

describe('a platform the FFI layer cannot serve', () => {
  test('not Linux: ERR_REACTOR_UNSUPPORTED_PLATFORM at the first call, before any FFI library is loaded', () => {
    const error = firstCallError(join(dist, 'index.js'), "Object.defineProperty(process, 'platform', { value: 'darwin' });");
    expect(error).toEqual(expect.objectContaining({ name: 'UnsupportedPlatformError', code: 'ERR_REACTOR_UNSUPPORTED_PLATFORM' }));
    expect(error.message).toMatch(/needs Linux with glibc .*darwin is not Linux/);
  });

  test('the FFI library cannot be loaded (here: absent, as when no binary exists for the platform): the coded error, its message as cause', () => {
    // A copy of the built package with no node_modules beside it: require('ffi-rs') / require('koffi') really fail.
    const dir = mkdtempSync(join(tmpdir(), 'fds-no-ffi-'));
    try {
      cpSync(dist, join(dir, 'dist'), { recursive: true });
      const error = firstCallError(join(dir, 'dist', 'index.js'));
      expect(error).toEqual(expect.objectContaining({ name: 'UnsupportedPlatformError', code: 'ERR_REACTOR_UNSUPPORTED_PLATFORM' }));
      expect(error.message).toMatch(/loading libc\.so\.6 through (ffi-rs|koffi) failed on linux-\w+ \(glibc [\d.]+\): Cannot find module/);
      expect(error.cause).toMatch(/^Cannot find module '(ffi-rs|koffi)'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
