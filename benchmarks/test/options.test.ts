/** `pnpm bench` options, and where a run's report goes. */
import { join } from 'node:path';
import { DISTURBED_DIR, mergeKept, targetDir } from '../src/bench';
import { parseArgs, SECTIONS } from '../src/options';
import { ROOT } from '../src/servers';

describe('parseArgs', () => {
  it('defaults to a full run of every section on this Node', () => {
    expect(parseArgs([])).toEqual({ quick: false, reportOnly: false, force: false, only: [...SECTIONS] });
  });

  it('takes --quick, --force, --only in report order and --node PATH', () => {
    expect(parseArgs(['--only', 'timers,http', '--node', '/opt/node26/bin/node', '--quick', '--force'])).toEqual({
      quick: true,
      reportOnly: false,
      force: true,
      only: ['http', 'timers'],
      node: '/opt/node26/bin/node',
    });
  });

  it('refuses what it does not know, with ERR_INVALID_ARG_VALUE and the usage', () => {
    for (const args of [['--fast'], ['--only', 'http,dns'], ['--only', ','], ['--node'], ['--node', '--quick'], ['--node', 'a', '--node', 'b'], ['--report-only', '--node', 'x']]) {
      expect(() => parseArgs(args)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('usage: pnpm bench') }));
    }
  });
});

describe('targetDir', () => {
  const committed = join(ROOT, 'benchmarks');
  it('publishes a quiet full run, and a disturbed one only with --force', () => {
    expect(targetDir({ quick: false, force: false }, [])).toBe(committed);
    expect(targetDir({ quick: false, force: false }, ['http'])).toBe(DISTURBED_DIR);
    expect(targetDir({ quick: false, force: true }, ['http'])).toBe(committed);
  });

  it('keeps a quick run in out/quick, disturbed or not', () => {
    expect(targetDir({ quick: true, force: false }, ['timers'])).toBe(join(ROOT, 'benchmarks', 'out', 'quick'));
  });
});

describe('mergeKept', () => {
  const machine = { cpuModel: 'c', cores: 2, kernel: 'k', node: 'v20', date: 'd', quick: false };
  const quiet = { loadavgBefore: [0], loadavgAfter: [0], othersBeforeCores: 0, seconds: 1, ownCores: 1, othersCores: 0, othersPeakCores: 0, irqCores: 0, disturbed: false, reasons: [] };
  const timers = { count: 1, rounds: 1, rows: [] };
  const idle = { windowSeconds: 1, settleSeconds: 1, rows: [] };

  it('keeps the sections --only did not re-measure, with their commands, times and load, in report order', () => {
    const run = { machine: { ...machine, sectionSeconds: { timers: 5 } }, commands: { timers: ['t2'] }, timers, load: { timers: { ...quiet, disturbed: true } } };
    const previous = {
      machine: { ...machine, sectionSeconds: { timers: 4, idle: 9 } },
      commands: { timers: ['t1'], idle: ['i1'] },
      timers: { ...timers, count: 2 },
      idle,
      load: { timers: quiet, idle: quiet },
    };
    const merged = mergeKept(run, previous, ['timers']);
    expect(merged.timers).toBe(timers);
    expect(merged.idle).toBe(idle);
    expect(merged.commands).toEqual({ timers: ['t2'], idle: ['i1'] });
    expect(merged.machine.sectionSeconds).toEqual({ timers: 5, idle: 9 });
    expect(merged.load!.timers!.disturbed).toBe(true);
    expect(merged.load!.idle).toBe(quiet);
  });
});
