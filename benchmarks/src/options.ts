/** The command line of `pnpm bench`. */

export const SECTIONS = ['http', 'redis', 'timers', 'wakeup', 'chunks', 'ffi', 'idle'] as const;
export type Section = (typeof SECTIONS)[number];

export interface Options {
  quick: boolean;
  reportOnly: boolean;
  only: Section[];
  /** Another Node binary for every Node process the comparisons start (servers, section scripts, their children). */
  node?: string;
  /** Let a disturbed full run replace the committed report. */
  force: boolean;
}

export const USAGE = `pnpm bench [--quick] [--only ${SECTIONS.join(',')}] [--node PATH] [--force] [--report-only]`;

/** A bad command line: Node's code for an argument with a wrong value. */
export class UsageError extends Error {
  readonly code = 'ERR_INVALID_ARG_VALUE';
  constructor(message: string) {
    super(`${message}\nusage: ${USAGE}`);
    this.name = 'UsageError';
  }
}

/** Options that take a value (the next argument). */
const WITH_VALUE = new Set(['--only', '--node']);
const FLAGS = new Set(['--quick', '--report-only', '--force']);

export function parseArgs(args: readonly string[]): Options {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (FLAGS.has(arg)) flags.add(arg);
    else if (WITH_VALUE.has(arg)) {
      const value = args[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      if (values.has(arg)) throw new UsageError(`${arg} given twice`);
      values.set(arg, value);
      i++;
    } else throw new UsageError(`unknown option ${arg}`);
  }
  let only: Section[] = [...SECTIONS];
  const list = values.get('--only');
  if (list !== undefined) {
    const names = list.split(',').filter((s) => s !== '');
    const bad = names.filter((s) => !(SECTIONS as readonly string[]).includes(s));
    if (names.length === 0 || bad.length > 0) throw new UsageError(`--only takes a list of ${SECTIONS.join(',')}; got ${list}`);
    // In report order, once each, whatever order they were given in.
    only = SECTIONS.filter((s) => names.includes(s));
  }
  const node = values.get('--node');
  if (flags.has('--report-only') && (node !== undefined || flags.has('--force'))) throw new UsageError('--report-only measures nothing: --node and --force do not apply');
  return { quick: flags.has('--quick'), reportOnly: flags.has('--report-only'), only, force: flags.has('--force'), ...(node === undefined ? {} : { node }) };
}
