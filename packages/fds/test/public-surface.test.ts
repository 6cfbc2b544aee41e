import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// What a user's `require`/`import` sees, through the packages' `exports` maps
// (a child node resolving from packages/reactor, where both are installed),
// not through jest's module mapper.
const reactorDir = join(__dirname, '../../reactor');

function exportedNames(specifier: string, how: 'require' | 'import'): string[] {
  const program = how === 'require'
    ? `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(specifier)}))))`
    : `import(${JSON.stringify(specifier)}).then((m) => console.log(JSON.stringify(Object.keys(m))))`;
  return JSON.parse(execFileSync(process.execPath, ['-e', program], { cwd: reactorDir, encoding: 'utf8' })) as string[];
}

const INTERNALS = [
  'validateInteger', 'validateFdNumber', 'validateUint64', 'validateNonNegative', 'validateBuffer', 'validateBufferList',
  'validateIpAddress', 'validateBoolean', 'validateFunction', 'validateString', 'validateOptions',
  'describeValue', 'check', 'rawLibc', 'INT32_MAX', 'UINT32_MAX', 'UINT64_MAX',
];

describe('the public surface', () => {
  test.each(['require', 'import'] as const)('@reactor/fds (%s) exports no internals; @reactor/fds/internal has them', (how) => {
    const pub = exportedNames('@reactor/fds', how);
    expect(pub).toEqual(expect.arrayContaining(['Epoll', 'EventFd', 'SystemError', 'EPOLLIN', 'useBinding']));
    expect(pub.filter((name) => INTERNALS.includes(name) || name.startsWith('validate'))).toEqual([]);
    expect(exportedNames('@reactor/fds/internal', how)).toEqual(expect.arrayContaining(INTERNALS));
  });

  test.each(['require', 'import'] as const)('@reactor/reactor (%s) exports no internals', (how) => {
    const pub = exportedNames('@reactor/reactor', how);
    expect(pub).toEqual(expect.arrayContaining(['Reactor', 'Connection', 'Listener', 'ReactorClosedError']));
    expect(pub.filter((name) => INTERNALS.includes(name) || name.startsWith('validate'))).toEqual([]);
  });
});
