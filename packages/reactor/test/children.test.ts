import { spawn } from 'node:child_process';
import { Reactor, type ChildExit } from '@reactor/reactor';
import { bindingName, expectNoFdLeaks, quietLogger } from './helpers';

expectNoFdLeaks();

describe(`Reactor child watches (${bindingName()})`, () => {
  test('exit code and terminating signal of child_process children, through pidfd', async () => {
    using loop = new Reactor({ logger: quietLogger });
    const exits: ChildExit[] = [];
    const ok = spawn('sh', ['-c', 'exit 3'], { stdio: 'ignore' });
    const killed = spawn('sleep', ['10'], { stdio: 'ignore' });
    loop.watchChild(ok, (e) => exits.push(e));
    loop.watchChild(killed, (e) => exits.push(e));
    loop.after(50, () => killed.kill('SIGKILL'));
    await loop.run();
    expect(exits).toEqual([
      { pid: ok.pid, exitCode: 3, signal: null, coreDumped: false },
      { pid: killed.pid, exitCode: null, signal: 'SIGKILL', coreDumped: false },
    ]);
    expect(loop.stats().childrenExited).toBe(2);
  });

  test('watching a pid that does not exist is an ESRCH error', () => {
    using loop = new Reactor({ logger: quietLogger });
    expect(() => loop.watchChild(2 ** 22 + 12345, () => undefined)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(() => loop.watchChild({} as never, () => undefined)).toThrow(TypeError);
  });
});
