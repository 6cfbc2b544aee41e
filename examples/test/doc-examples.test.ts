import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { compilePrograms } from './snippet-programs';

// Every ```ts block under an @example tag in the packages' doc comments (what
// the API reference shows) is a complete program: type-checked together,
// compiled as an ES module and run from examples/.doc-examples/ (gitignored;
// '@reactor/*' resolve to the built packages there); it must exit 0, write
// nothing on stderr and print something.
const ROOT = join(__dirname, '..', '..');
const DIR = join(__dirname, '..', '.doc-examples');

/** The main class of each file must show itself in use. */
const MUST_HAVE_EXAMPLES = [
  'Reactor', 'IoWatch', 'Timer', 'SignalSubscription', 'ChildWatch', 'Waker', 'Connection', 'Listener', 'UdpSocket', 'Cluster',
  'Epoll', 'EventFd', 'TimerFd', 'SignalFd', 'PidFd', 'Socket',
];

interface DocExample {
  name: string;
  owner: string;
  code: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** The @example code blocks of one file, each with the declaration its comment documents. */
export function extractDocExamples(source: string, where: string): DocExample[] {
  const examples: DocExample[] = [];
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\* @example\s*$/.test(lines[i]!)) continue;
    const open = lines.findIndex((line, j) => j > i && /^\s*\* ```ts\s*$/.test(line));
    const close = lines.findIndex((line, j) => j > open && /^\s*\* ```\s*$/.test(line));
    if (open < 0 || close < 0) throw new Error(`${where}:${i + 1}: @example without a closed \`\`\`ts block`);
    const code = lines.slice(open + 1, close).map((line) => line.replace(/^\s*\*( |$)/, '')).join('\n');
    const declaration = lines.slice(close).find((line) => /^export /.test(line)) ?? '';
    const owner = /^export (?:declare )?(?:abstract )?(?:class|function|interface|const|type) (\w+)/.exec(declaration)?.[1] ?? '?';
    examples.push({ name: `${owner} (${where}:${i + 1})`, owner, code });
    i = close;
  }
  return examples;
}

const examples = ['packages/fds/src', 'packages/reactor/src'].flatMap((dir) =>
  sourceFiles(join(ROOT, dir)).flatMap((path) => extractDocExamples(readFileSync(path, 'utf8'), relative(ROOT, path))),
);
const file = (index: number) => join(DIR, `example-${String(index).padStart(3, '0')}.mts`);

beforeAll(() => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  examples.forEach((example, index) => writeFileSync(file(index), `${example.code}\n`));
  // An example that does not type-check is a documentation bug: fail every test with the reason.
  expect(compilePrograms(examples.map((_, index) => file(index)), DIR)).toEqual([]);
}, 60000);

describe('@example blocks of the API reference', () => {
  test('each main class has one', () => {
    expect(MUST_HAVE_EXAMPLES.filter((name) => !examples.some((e) => e.owner === name))).toEqual([]);
  });

  test('the extractor finds a block and its declaration, and refuses an unclosed one', () => {
    const src = ['/**', ' * A thing.', ' *', ' * @example', ' * ```ts', ' * const x = 1;', ' *', ' * console.log(x);', ' * ```', ' */', 'export class Thing {}'].join('\n');
    expect(extractDocExamples(src, 'x.ts')).toEqual([{ name: 'Thing (x.ts:4)', owner: 'Thing', code: 'const x = 1;\n\nconsole.log(x);' }]);
    expect(() => extractDocExamples('/**\n * @example\n * ```ts\n * x\n */', 'y.ts')).toThrow(/y\.ts:2: @example without a closed/);
  });

  test.each(examples.map((e, index) => [e.name, index] as const))('%s runs, exits 0 and prints', (_name, index) => {
    const r = spawnSync(process.execPath, [file(index).replace(/\.mts$/, '.mjs')], { encoding: 'utf8', timeout: 20000, cwd: DIR });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toBe('');
  });
});
