import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import pino from 'pino';
import { Reactor, type ReactorLogger } from '@reactor/reactor';

const reactorEntry = join(__dirname, '../dist/index.js');

/** `program` run by a fresh node with `env`: its stdout and stderr (it must exit 0). */
function runNode(program: string, env: NodeJS.ProcessEnv): { stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['-e', program], { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`child exited ${result.status}: ${result.stderr}`);
  return { stdout: result.stdout, stderr: result.stderr };
}
const readStderr = (program: string, env: NodeJS.ProcessEnv): string => runNode(program, env).stderr;

/** A logger without child(): each call recorded as [level, fields, message]. */
function recordingLogger(calls: Array<[string, unknown, unknown]>): ReactorLogger {
  const level = (name: string) => (fields: unknown, message?: unknown) => void calls.push([name, fields, message]);
  return { fatal: level('fatal'), error: level('error'), warn: level('warn'), info: level('info'), debug: level('debug'), trace: level('trace') };
}

describe('logging', () => {
  test("a pino logger: the loop logs through its child { component: 'reactor' }", async () => {
    const lines: string[] = [];
    const logger = pino({ name: 'app', level: 'debug' }, { write: (s: string) => lines.push(s) });
    const loop = new Reactor({ logger });
    loop.after(1, () => {
      throw new Error('logged');
    });
    await loop.run();
    loop.close();
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.length).toBeGreaterThanOrEqual(3); // created, running, the error, stopped, closed
    for (const record of records) expect(record).toMatchObject({ name: 'app', component: 'reactor' });
    expect(records.find((r) => r.level === 50)).toMatchObject({ kind: 'timer', err: { message: 'logged', type: 'Error' } });
  });

  test('a logger without child(): component is added to the fields of each line', async () => {
    const calls: Array<[string, unknown, unknown]> = [];
    const loop = new Reactor({ logger: recordingLogger(calls) });
    loop.after(1, () => {
      throw new Error('logged');
    });
    await loop.run();
    loop.close();
    expect(calls.map(([level]) => level)).toEqual(['debug', 'debug', 'error', 'debug', 'debug']);
    for (const [, fields] of calls) expect(fields).toMatchObject({ component: 'reactor' });
    expect(calls[2]![1]).toMatchObject({ kind: 'timer', err: expect.objectContaining({ message: 'logged' }) });
    expect(calls[2]![2]).toBe('reactor handler threw; the loop goes on');
  });

  test('a logger lacking a level method is refused with ERR_INVALID_ARG_TYPE', () => {
    const { fatal: _fatal, ...noFatal } = recordingLogger([]);
    expect(() => new Reactor({ logger: noFatal as unknown as ReactorLogger })).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(() => new Reactor({ logger: 'stderr' as unknown as ReactorLogger })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  test("the default: one JSON line in pino's format on stderr for a handler's exception", () => {
    const stderr = readStderr(`
      const { Reactor } = require(${JSON.stringify(reactorEntry)});
      const loop = new Reactor();
      loop.after(1, () => { throw Object.assign(new Error('boom'), { code: 'E_TEST' }); });
      loop.run().then(() => loop.close());`, withoutLogLevel());
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1); // info: the debug lines of the loop's life are not written
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 50, pid: expect.any(Number), hostname: expect.any(String), time: expect.any(Number), component: 'reactor', kind: 'timer',
      err: { type: 'Error', message: 'boom', code: 'E_TEST', stack: expect.stringContaining('boom') },
      msg: 'reactor handler threw; the loop goes on',
    });
  });

  test('the default follows REACTOR_LOG_LEVEL: debug writes the life of the loop, silent writes nothing', () => {
    const program = `
      const { Reactor } = require(${JSON.stringify(reactorEntry)});
      const loop = new Reactor();
      loop.after(1, () => { throw new Error('boom'); });
      loop.run().then(() => loop.close());`;
    const debug = readStderr(program, { ...withoutLogLevel(), REACTOR_LOG_LEVEL: 'debug' }).trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
    expect(debug.map((r) => r.msg)).toEqual(['reactor created', 'reactor running', 'reactor handler threw; the loop goes on', 'reactor stopped', 'reactor closed']);
    expect(readStderr(program, { ...withoutLogLevel(), REACTOR_LOG_LEVEL: 'silent' })).toBe('');
    expect(() => readStderr(program, { ...withoutLogLevel(), REACTOR_LOG_LEVEL: 'loud' })).toThrow(/ERR_OUT_OF_RANGE/);
  });

  test('logger: false turns logging off: a handler exception writes nothing', () => {
    const { stdout, stderr } = runNode(`
      const { Reactor } = require(${JSON.stringify(reactorEntry)});
      const loop = new Reactor({ logger: false });
      loop.after(1, () => { throw new Error('boom'); });
      loop.run().then(() => { console.log(loop.stats().handlerErrors); loop.close(); });`, { ...withoutLogLevel(), REACTOR_LOG_LEVEL: 'trace' });
    expect(stdout).toBe('1\n');
    expect(stderr).toBe('');
  });
});

function withoutLogLevel(): NodeJS.ProcessEnv {
  const { REACTOR_LOG_LEVEL: _ignored, ...rest } = process.env;
  return rest;
}
