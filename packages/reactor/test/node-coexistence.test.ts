// Adding a reactor to a program must not change how the rest of it behaves.
// Each case runs in a child process on plain `node` (the Node running this
// suite: CI runs it on every supported version), because under jest
// `process.on(signal)` installs no real handler. Signals come from this
// process with kill(2), as `kill` from a shell would send them.
import { signalNumber } from '@reactor/fds';
import { bindingName, ChildUnderTest, fixture, sleep } from './helpers';

const cases = fixture('node-coexistence.js');
const run = (name: string, ...args: string[]) => new ChildUnderTest([cases, name, ...args]);

/**
 * The child's clean exit, within `timeoutMs`. A child still running then is
 * killed (SIGKILL) before the test fails: a hung child left spinning would
 * slow every test after it.
 */
async function finished(child: ChildUnderTest, timeoutMs = 25_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const exit = await Promise.race([child.exited, timedOut]);
  clearTimeout(timer);
  if (exit === 'timeout') {
    child.kill('SIGKILL');
    await child.exited;
    throw new Error(`still running after ${timeoutMs} ms: killed\nstdout:\n${child.lines.join('\n')}\nstderr:\n${child.stderr}`);
  }
  if (exit.code !== 0) throw new Error(`exit ${JSON.stringify(exit)}\nstdout:\n${child.lines.join('\n')}\nstderr:\n${child.stderr}`);
}

describe(`a reactor beside Node's own users of signals, on ${process.version} (${bindingName()})`, () => {
  test('execFile x200 completes and the process exits while a loop handles SIGCHLD', async () => {
    const child = run('sigchld', '200');
    await child.waitForLine(/^execFile done 200 loop-saw-sigchld=true$/, 60_000);
    await finished(child);
  }, 90_000);

  test('50 spaced signals from outside reach a process.on listener and a loop handler, every one', async () => {
    const child = run('both');
    await child.waitForLine(/^ready$/);
    for (let i = 1; i <= 50; i++) {
      child.kill('SIGUSR2');
      // Each one handled by both before the next: spaced, so that none coalesce.
      await child.waitForLine(new RegExp(`^node ${i}$`));
      await child.waitForLine(new RegExp(`^reactor ${i}$`));
      await sleep(20);
    }
    child.kill('SIGTERM');
    await finished(child);
    expect(child.lines).toContain('final node=50 reactor=50');
  }, 60_000);

  test('two loops handle SIGTERM; closing one leaves the other handling it', async () => {
    const child = run('twoLoops');
    await child.waitForLine(/^ready$/);
    child.kill('SIGTERM');
    await finished(child);
    expect(child.lines).toEqual(['ready', 'b got SIGTERM', 'b stopped']);
  });

  test('SIGPIPE is ignored again after the last handler goes: a write to a broken pipe fails with EPIPE', async () => {
    const child = run('sigpipe');
    await finished(child);
    expect(child.lines).toEqual(['before=ignore after=ignore', 'write returned -32']);
  });

  test("Node's own SIGTERM handler comes back exactly: SIGTERM then ends the process as without the reactor", async () => {
    const child = run('restoreTerm');
    await child.waitForLine(/^ready$/);
    expect(child.lines).toContain('same-as-before=true changed-during=true');
    child.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });

  test('a realtime signal from outside arrives, each instance queued', async () => {
    const child = run('realtime');
    await child.waitForLine(/^ready$/);
    const rt = signalNumber('SIGRTMIN+3');
    for (let i = 0; i < 5; i++) child.kill(rt);
    await child.waitForLine(/^got SIGRTMIN\+3 5$/);
    child.kill('SIGTERM');
    await finished(child);
    expect(child.count(/^got SIGRTMIN\+3/)).toBe(5);
  });

  test('runBlocking() on the main thread with a signal handler is refused up front, 20 runs out of 20', async () => {
    for (let round = 0; round < 4; round++) {
      const children = Array.from({ length: 5 }, () => run('blockingMain'));
      for (const child of children) {
        // Sent while it may still be starting: a refusal comes, never a hang or a death.
        await child.waitForLine(/^refused /, 20_000);
        await finished(child);
        expect(child.lines).toEqual(['refused ERR_REACTOR_SIGNALS_NEED_NODE_LOOP']);
      }
    }
  }, 120_000);

  test('runBlocking() on a worker thread gets SIGTERM from outside, 5 runs out of 5', async () => {
    for (let round = 0; round < 5; round++) {
      const child = run('blockingWorker');
      await child.waitForLine(/^ready$/, 20_000);
      child.kill('SIGTERM');
      await finished(child);
      expect(child.lines).toEqual(['ready', 'got SIGTERM', 'stopped', 'worker exited']);
    }
  }, 120_000);

  test('20 workers, each with a reactor made only inside it: every worker and the process exit cleanly', async () => {
    const child = run('workersOnly', '20');
    await finished(child, 50_000);
    expect(child.lines).toEqual(['workers exited 20/20']);
  }, 60_000);

  test('close() inside a signal handler logs nothing at error level', async () => {
    const child = run('closeInHandler');
    await child.waitForLine(/^ready$/);
    child.kill('SIGUSR2');
    await finished(child);
    expect(child.lines).toEqual(['ready', 'handler', 'error-lines 0']);
  });

  test("a handler's await continues before the next event, with nothing else in Node to wake it", async () => {
    const child = run('drain');
    await finished(child);
    expect(child.lines[0]).toBe('order a,a continued,a after nextTick,b');
    expect(Number(/after ([\d.]+) ms/.exec(child.lines[1]!)![1])).toBeLessThan(100);
  });

  test('where Node offers no way to drain its queues inside a turn, they run once per turn', async () => {
    const child = new ChildUnderTest([cases, 'drain'], { REACTOR_NO_TICK_DRAIN: '1' });
    await finished(child);
    expect(child.lines[0]).toBe('order a,b,a continued,a after nextTick');
    expect(Number(/after ([\d.]+) ms/.exec(child.lines[1]!)![1])).toBeLessThan(100);
  });
});
