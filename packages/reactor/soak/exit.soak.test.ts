/**
 * Exit: the process always exits — after stop(), on unhandled errors, with
 * worker-thread reactors running — with no hang and no leaked thread. Each
 * case runs many times as its own process; one that does not exit within
 * EXIT_LIMIT_MS is killed and fails the test.
 */
import { spawn } from 'node:child_process';
import { bindingName, fixture, record, resetRecord, round, scale, SHORT } from './helpers';

const RUNS = scale(10, 2);
const EXIT_LIMIT_MS = 10000;

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stdout: string;
  stderr: string;
}

function runCase(name: string): Promise<Outcome> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [fixture('exit-cases.js'), name], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const killer = setTimeout(() => child.kill('SIGKILL'), EXIT_LIMIT_MS);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, ms: performance.now() - t0, stdout, stderr });
    }),
  );
}

const CASES: Array<{ name: string; what: string; code: number; stderr?: RegExp }> = [
  { name: 'stop', what: 'after stop() and close(), with a listener, connections, timers and a signal handler', code: 0 },
  { name: 'throw-stop', what: "on a handler's error with onError 'stop' (run() rejects, unhandled)", code: 1, stderr: /thrown in a handler/ },
  { name: 'uncaught', what: 'on an uncaught exception beside a running loop', code: 1, stderr: /uncaught beside the loop/ },
  { name: 'workers-exit', what: 'on process.exit() with Cluster threads in epoll_wait', code: 0 },
  { name: 'workers-throw', what: 'on an uncaught exception with Cluster threads in epoll_wait', code: 1, stderr: /uncaught while worker loops run/ },
  { name: 'own-worker-exit', what: 'on process.exit() with a runBlocking() loop on a worker of our own', code: 0 },
];

beforeAll(() => resetRecord('exit'));

describe(`the process always exits (${bindingName()}, ${SHORT ? 'short' : 'full'} scale)`, () => {
  test.each(CASES)(`$what (${RUNS} runs)`, async ({ name, code, stderr }) => {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const outcome = await runCase(name);
      expect({ code: outcome.code, signal: outcome.signal }).toEqual({ code, signal: null });
      if (stderr) expect(outcome.stderr).toMatch(stderr);
      times.push(outcome.ms);
    }
    record('exit', { [name]: { runs: RUNS, exitCode: code, hung: 0, maxMs: Math.round(Math.max(...times)), medianMs: Math.round(times.sort((a, b) => a - b)[times.length >> 1]!) } });
  });

  test('no leaked thread or fd: a Cluster of 2 and a worker loop started and stopped leave the counts where they were', async () => {
    const outcome = await runCase('threads');
    expect(outcome.code).toBe(0);
    const counts = JSON.parse(outcome.stdout) as { before: { threads: number; fds: number }; during: number; after: { threads: number; fds: number } };
    expect(counts.during).toBe(counts.before.threads + 2);
    expect(counts.after.threads).toBe(counts.before.threads);
    expect(counts.after.fds).toBe(counts.before.fds);
    record('exit', { threads: { before: counts.before.threads, withCluster: counts.during, after: counts.after.threads, fdsBefore: counts.before.fds, fdsAfter: counts.after.fds, ms: round(outcome.ms) } });
  });
});
