import { getpid, getSignalAction, gettid, tgkill, signalNumber, SI_QUEUE } from '@reactor/fds';
import { Reactor } from '@reactor/reactor';
import { bindingName, ChildUnderTest, expectNoFdLeaks, fixture, quietLogger, sleep } from './helpers';

expectNoFdLeaks();

describe(`Reactor signals (${bindingName()})`, () => {
  test('signals sent by another process (kill) reach the handlers; the process survives', async () => {
    const child = new ChildUnderTest([fixture('signal-daemon.js'), 'SIGHUP,SIGINT,SIGUSR2']);
    await child.waitForLine(/^ready/);
    child.kill('SIGHUP');
    await child.waitForLine(/got SIGHUP/);
    child.kill('SIGINT');
    await child.waitForLine(/got SIGINT/);
    child.kill('SIGUSR2');
    await child.waitForLine(/got SIGUSR2/);
    child.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.lines).toContain('SIGTERM after 3');
    expect(child.lines).toContain('stopped');
    const hup = child.lines.find((l) => l.startsWith('got SIGHUP'))!;
    expect(hup).toMatch(/signo=1 /);
  });

  test('a realtime signal sent from outside queues; a storm of SIGHUPs coalesces but the last is never lost', async () => {
    const child = new ChildUnderTest([fixture('signal-daemon.js'), 'SIGHUP,SIGRTMIN+2']);
    const line = await child.waitForLine(/^ready/);
    const rt = signalNumber('SIGRTMIN+2');
    for (let i = 0; i < 3; i++) child.kill(rt);
    await child.waitForLine(/count=3/);
    await sleep(50);
    expect(child.count(/got SIGRTMIN\+2/)).toBe(3);
    for (let i = 0; i < 200; i++) child.kill('SIGHUP');
    await child.waitForLine(/got SIGHUP/);
    await sleep(100);
    const before = child.count(/got SIGHUP/);
    expect(before).toBeGreaterThanOrEqual(1);
    expect(before).toBeLessThanOrEqual(200);
    child.kill('SIGHUP');
    await child.waitForLine(new RegExp(`count=${3 + before + 1}$`));
    child.kill('SIGTERM');
    expect((await child.exited).code).toBe(0);
    expect(line).toMatch(/^ready \d+/);
  });

  test('Ctrl-C to the process group (kill -INT -pgid) is handled', async () => {
    const { spawn } = await import('node:child_process');
    const proc = spawn(process.execPath, [fixture('signal-daemon.js'), 'SIGINT'], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    while (!out.includes('ready')) await sleep(10);
    process.kill(-proc.pid!, 'SIGINT');
    while (!out.includes('got SIGINT')) await sleep(10);
    process.kill(-proc.pid!, 'SIGTERM');
    const code = await new Promise((r) => proc.on('exit', r));
    expect(code).toBe(0);
  });

  test('a signal sent to this process arrives as a loop event, forwarded through the carrier', async () => {
    using loop = new Reactor({ logger: quietLogger });
    const infos: Array<{ signo: number; name: string; code: number; pid: number }> = [];
    const sub = loop.onSignal('SIGUSR2', (info) => {
      infos.push({ signo: info.signo, name: info.name, code: info.code, pid: info.pid });
      sub.remove();
    });
    tgkill(getpid(), gettid(), signalNumber('SIGUSR2'));
    await loop.run();
    expect(infos).toEqual([{ signo: signalNumber('SIGUSR2'), name: 'SIGUSR2', code: SI_QUEUE, pid: process.pid }]);
  });

  test('the disposition before the first handler is the one after the last', () => {
    using loop = new Reactor({ logger: quietLogger });
    const before = getSignalAction('SIGUSR2');
    const first = loop.onSignal('SIGUSR2', () => undefined);
    const second = loop.onSignal('SIGUSR2', () => undefined);
    expect(getSignalAction('SIGUSR2').disposition).toBe('handler');
    first.remove();
    expect(getSignalAction('SIGUSR2').disposition).toBe('handler');
    second.remove();
    expect(getSignalAction('SIGUSR2').equals(before)).toBe(true);
  });

  test('SIGKILL, SIGSTOP and the carrier are refused with a code, and nothing changes', () => {
    using loop = new Reactor({ logger: quietLogger });
    for (const [signal, code] of [['SIGKILL', 'ERR_OUT_OF_RANGE'], ['SIGSTOP', 'ERR_OUT_OF_RANGE'], ['SIGRTMAX', 'ERR_OUT_OF_RANGE']] as const) {
      const before = getSignalAction(signal);
      expect(() => loop.onSignal(signal, () => undefined)).toThrow(expect.objectContaining({ code }));
      expect(getSignalAction(signal).equals(before)).toBe(true);
      // A second try says the same: no half-made subscription was left behind.
      expect(() => loop.onSignal(signal, () => undefined)).toThrow(expect.objectContaining({ code }));
    }
    expect(loop.stats().refs).toBe(0);
  });
});
