import { bindingName, ChildUnderTest, fixture } from './helpers';

describe(`the process always exits (${bindingName()})`, () => {
  test('naturally, when the loop has nothing left', async () => {
    const c = new ChildUnderTest([fixture('exit-cases.js'), 'natural']);
    expect(await c.exited).toEqual({ code: 0, signal: null });
    expect(c.lines).toEqual(['timer', 'done']);
  });

  test('on process.exit() while the loop runs', async () => {
    const c = new ChildUnderTest([fixture('exit-cases.js'), 'process-exit']);
    expect(await c.exited).toEqual({ code: 7, signal: null });
  });

  test('with a loop owning a worker thread, once it is stopped', async () => {
    const c = new ChildUnderTest([fixture('exit-cases.js'), 'worker-stopped']);
    expect(await c.exited).toEqual({ code: 0, signal: null });
    expect(c.lines).toEqual(['worker exit 0']);
  });

  test('on process.exit() with Cluster threads blocked in epoll_wait (they hung the process)', async () => {
    const c = new ChildUnderTest([fixture('exit-cases.js'), 'cluster-exit']);
    expect(await c.exited).toEqual({ code: 0, signal: null });
  });

  test('on process.exit() with a runBlocking() loop on a worker of our own and nothing to wake it', async () => {
    const c = new ChildUnderTest([fixture('exit-cases.js'), 'own-worker-exit']);
    expect(await c.exited).toEqual({ code: 0, signal: null });
  });

  test('on an unhandled handler error', async () => {
    const c = new ChildUnderTest([fixture('exit-cases.js'), 'unhandled']);
    const { code } = await c.exited;
    expect(code).toBe(1);
    expect(c.stderr).toMatch(/unhandled in handler/);
  });
});
