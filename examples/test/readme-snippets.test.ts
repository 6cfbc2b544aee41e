import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePrograms } from './snippet-programs';

// Every ```ts block of the READMEs (the repository's and each package's) is a complete program. Each is written to
// examples/.snippets/ (gitignored; from there '@reactor/reactor' and
// '@reactor/fds' resolve to the built workspace packages, as for a user who
// installed them), type-checked together with the project's strictness,
// compiled to an ES module (top-level await) and run as a child process that
// must exit 0, print nothing on stderr, and print exactly the **Output** block
// that follows it in the README.
const ROOT = join(__dirname, '..', '..');
const DIR = join(__dirname, '..', '.snippets');

interface Snippet {
  name: string;
  source: string;
  line: number;
  code: string;
  expected: string | undefined;
}

/** The ```ts blocks, each with the nearest heading above it and the **Output** ```text block right after it. */
export function extractSnippets(markdown: string, source = 'README.md'): Snippet[] {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  let heading = '(top)';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '');
    if (line.trim() !== '```ts') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]!.trim() !== '```') end++;
    if (end === lines.length) throw new Error(`${source}:${i + 1}: unclosed code block`);
    const code = lines.slice(start, end).join('\n');
    // The expected output: blank lines, "**Output**", blank lines, then a ```text block.
    let j = end + 1;
    while (j < lines.length && lines[j]!.trim() === '') j++;
    let expected: string | undefined;
    if (lines[j]?.trim() === '**Output**') {
      j++;
      while (j < lines.length && lines[j]!.trim() === '') j++;
      if (lines[j]?.trim() !== '```text') throw new Error(`${source}:${j + 1}: **Output** must be followed by a \`\`\`text block`);
      const outStart = j + 1;
      let outEnd = outStart;
      while (outEnd < lines.length && lines[outEnd]!.trim() !== '```') outEnd++;
      expected = lines.slice(outStart, outEnd).join('\n');
    }
    snippets.push({ name: `${heading} (${source}:${i + 1})`, source, line: i + 1, code, expected });
    i = end;
  }
  return snippets;
}

const READMES = ['README.md', 'packages/fds/README.md', 'packages/reactor/README.md'];
const snippets = READMES.flatMap((source) => extractSnippets(readFileSync(join(ROOT, source), 'utf8'), source));
const file = (s: Snippet) => join(DIR, `${s.source.replace(/\W+/g, '-')}-${String(s.line).padStart(4, '0')}.mts`);

beforeAll(() => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  for (const s of snippets) writeFileSync(file(s), `${s.code}\n`);
  const diagnostics = compilePrograms(snippets.map(file), DIR);
  // A snippet that does not type-check is a README bug: fail every test with the reason.
  expect(diagnostics).toEqual([]);
}, 60000);

describe('README snippets', () => {
  test('the READMEs have runnable snippets, each with its expected output', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(8);
    for (const source of READMES) expect(snippets.some((s) => s.source === source)).toBe(true);
    expect(snippets.filter((s) => s.expected === undefined).map((s) => s.name)).toEqual([]);
  });

  test('the extractor pairs a block with its **Output** and refuses a dangling one', () => {
    const md = ['# A', '```ts', 'console.log(1);', '```', '', '**Output**', '', '```text', '1', '```', '## B', '```ts', 'let x = 2;', '```'].join('\n');
    expect(extractSnippets(md)).toEqual([
      { name: 'A (README.md:2)', source: 'README.md', line: 2, code: 'console.log(1);', expected: '1' },
      { name: 'B (README.md:12)', source: 'README.md', line: 12, code: 'let x = 2;', expected: undefined },
    ]);
    expect(() => extractSnippets('```ts\nx\n```\n**Output**\nnope\n')).toThrow(/must be followed by a ```text block/);
  });

  test.each(snippets.map((s) => [s.name, s] as const))('%s runs, exits 0 and prints its output', (_name, snippet) => {
    const r = spawnSync(process.execPath, [file(snippet).replace(/\.mts$/, '.mjs')], { encoding: 'utf8', timeout: 20000, cwd: DIR });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    if (snippet.expected !== undefined) expect(r.stdout.trimEnd()).toBe(snippet.expected.trimEnd());
  });
});
