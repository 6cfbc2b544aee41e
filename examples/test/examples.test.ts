import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

// The examples run exactly as the README says (`pnpm --silent example …`,
// which is `node examples/dist/run.js …`), each as a real subprocess.
const RUN = join(__dirname, '..', 'dist', 'run.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [RUN, ...args], { encoding: 'utf8', timeout: 20000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stdout.split('\n').filter(Boolean) };
}

describe('examples', () => {
  test('eventfd 1 2 3: the child writes, the parent reads 6', () => {
    const r = run(['eventfd', '1', '2', '3']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([
      'Child writing 1 to efd',
      'Child writing 2 to efd',
      'Child writing 3 to efd',
      'Child completed write loop',
      'Parent about to read',
      'Parent read 6 (0x6) from efd',
    ]);
  });

  test('timerfd 0.5 0.2 10: first expiry after 0.5 s, then every 0.2 s, 10 expirations', () => {
    const r = run(['timerfd', '0.5', '0.2', '10']);
    expect(r.code).toBe(0);
    const reads = r.lines.filter((l) => l.includes('read:'));
    expect(reads).toHaveLength(10);
    const times = reads.map((l) => Number(/current time:(\d+\.\d{6}) /.exec(l)![1]));
    const start = Number(/current time:(\d+\.\d{6}) timer started/.exec(r.lines[0]!)![1]);
    reads.forEach((l, i) => expect(l).toMatch(new RegExp(`^printTime: current time:\\d+\\.\\d{6} read: \\d+; total=${i + 1}$`)));
    expect(times[0]! - start).toBeGreaterThanOrEqual(0.49);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThan(0.1);
    expect(times[9]! - start).toBeGreaterThanOrEqual(0.5 + 9 * 0.2 - 0.01);
  });

  test('signalfd: SIGINT twice, then SIGQUIT, all sent by another process', async () => {
    const child = spawn(process.execPath, [RUN, 'signalfd'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    const until = async (pattern: RegExp) => {
      for (let i = 0; i < 500 && !pattern.test(out); i++) await new Promise((r) => setTimeout(r, 10));
      expect(out).toMatch(pattern);
    };
    await until(/^PID (\d+)\n/);
    expect(Number(/^PID (\d+)/.exec(out)![1])).toBe(child.pid);
    // `kill -INT <pid>` from this process, not raise() from inside.
    process.kill(child.pid!, 'SIGINT');
    await until(/Got SIGINT\n/);
    process.kill(child.pid!, 'SIGINT');
    await until(/Got SIGINT\nGot SIGINT\n/);
    process.kill(child.pid!, 'SIGQUIT');
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(0);
    expect(out.split('\n').slice(1)).toEqual(['Got SIGINT', 'Got SIGINT', 'Got SIGQUIT', '']);
  });

  test('wakeup: a worker changes shared state and wakes the loop, then a clean exit', () => {
    const r = run(['wakeup', '4']);
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([
      'loop waiting in epoll',
      'loop woke: value changed to 1 (version 1)',
      'loop woke: value changed to 4 (version 2)',
      'loop woke: value changed to 9 (version 3)',
      'loop woke: value changed to 16 (version 4)',
      'done: 4 wake-ups, 4 turns woken by the eventfd',
    ]);
  });

  test('an unknown example or bad arguments: usage and a non-zero exit', () => {
    expect(run(['nope']).code).toBe(2);
    const r = run(['timerfd', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/first must be a number/);
  });
});
