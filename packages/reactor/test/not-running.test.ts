import { bindingName, ChildUnderTest, fixture } from './helpers';

// In plain `node`, where an unsettled top-level await ends the process with
// exit code 13 and no message: a promise that needs a loop that is not
// running must fail with a code that says what to do instead.
const run = async (which: string) => {
  const child = new ChildUnderTest([fixture('not-running.mjs'), which]);
  const { code } = await child.exited;
  return { code, lines: child.lines, stderr: child.stderr };
};

describe(`awaiting a loop that is not running (${bindingName()})`, () => {
  for (const [which, operation] of [['connect-before-run', 'connect'], ['sleep-before-run', 'sleep']] as const) {
    test(`top-level await loop.${operation}() before run(): exit 1 with ERR_REACTOR_NOT_RUNNING on stderr, not 13 and silence`, async () => {
      const { code, lines, stderr } = await run(which);
      expect(code).toBe(1);
      expect(lines).toEqual([]);
      expect(stderr).toContain("code: 'ERR_REACTOR_NOT_RUNNING'");
      expect(stderr).toContain(`${operation}: the loop is not running`);
      expect(stderr).toContain('loop.run()');
    });
  }

  test('closeAndWait() on a stopped loop rejects with ERR_REACTOR_NOT_RUNNING once Node has nothing else to do', async () => {
    expect(await run('close-and-wait-before-run')).toEqual({ code: 0, lines: ['caught ERR_REACTOR_NOT_RUNNING'], stderr: '' });
  });

  test('connect() made before run() and awaited after it starts is fine', async () => {
    expect(await run('connect-then-run')).toEqual({ code: 0, lines: ['got hi', 'done'], stderr: '' });
  });

  test('the deprecated keepAlive option warns once per process, with code REACTOR_DEP0001', async () => {
    const { code, lines, stderr } = await run('keep-alive-deprecated');
    expect(code).toBe(0);
    expect(lines).toEqual(['made 3']);
    expect(stderr.match(/\[REACTOR_DEP0001\] DeprecationWarning: new Reactor\(\{ keepAlive \}\) is deprecated/g)).toHaveLength(1);
  });
});
