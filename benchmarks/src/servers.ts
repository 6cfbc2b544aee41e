/**
 * The server rows of the HTTP and Redis comparisons, as data: how to start
 * each, what it needs, and how it is labelled in the report.
 */
import { join } from 'node:path';
import type { ServerSpec } from './procs';
import type { Tool } from './tools';

/** The repository root (benchmarks/dist/ is two levels down). */
export const ROOT = join(__dirname, '..', '..');
/** Where the benchmark builds its C programs (gitignored). */
export const OUT_DIR = join(ROOT, 'benchmarks', 'out');
const EXAMPLE = join(ROOT, 'examples', 'dist', 'run.js');
const PEERS = join(__dirname, 'peers');
export const C_HTTP_SOURCE = join(ROOT, 'benchmarks', 'c', 'http-epoll.c');
export const C_HTTP_BINARY = join(OUT_DIR, 'http-epoll');
export const C_ECHO_LOAD_SOURCE = join(ROOT, 'benchmarks', 'c', 'echo-load.c');
export const C_ECHO_LOAD_BINARY = join(OUT_DIR, 'echo-load');

export interface ServerRow {
  id: string;
  label: string;
  needs: Tool[];
  /** `node`: the Node binary for rows that are Node programs (process.execPath unless `--node`). */
  spec(port: number, node: string): ServerSpec;
}

const LISTENING = /listening/;

/** An example run by name; `binding` undefined for an example that makes no FFI call (kv-node). */
function example(name: string, binding: 'ffi-rs' | 'koffi' | undefined, extra: string[]) {
  return (port: number, node: string): ServerSpec => ({
    command: node,
    args: [EXAMPLE, name, '--port', String(port), ...extra],
    ...(binding === undefined ? {} : { env: { REACTOR_FFI: binding } }),
    ready: LISTENING,
  });
}

/** Every HTTP row; ids are stable (results.json and the Goals refer to them). */
export const HTTP_ROWS: ServerRow[] = [
  ...(['ffi-rs', 'koffi'] as const).flatMap((b): ServerRow[] => [
    { id: `reactor-${b}-node`, label: `reactor, ${b}, node mode`, needs: [], spec: example('http', b, ['--mode', 'node']) },
    { id: `reactor-${b}-thread`, label: `reactor, ${b}, thread mode`, needs: [], spec: example('http', b, ['--mode', 'thread']) },
    { id: `reactor-${b}-threads2`, label: `reactor, ${b}, --threads 2 (node mode each)`, needs: [], spec: example('http', b, ['--threads', '2']) },
  ]),
  {
    id: 'node-http',
    label: 'node:http',
    needs: [],
    spec: (port, node) => ({ command: node, args: [join(PEERS, 'node-http.js'), String(port)], ready: LISTENING }),
  },
  {
    id: 'node-http-reactor',
    label: 'node:http fed by reactor connections (koffi, toDuplex)',
    needs: [],
    spec: (port, node) => ({ command: node, args: [join(PEERS, 'node-http-reactor.js'), String(port)], env: { REACTOR_FFI: 'koffi' }, ready: LISTENING }),
  },
  {
    id: 'node-net',
    label: 'node:net, same parser',
    needs: [],
    spec: (port, node) => ({ command: node, args: [join(PEERS, 'node-net-http.js'), String(port)], ready: LISTENING }),
  },
  {
    id: 'c-epoll',
    label: 'C, epoll, 1 thread',
    needs: ['gcc'],
    spec: (port) => ({ command: C_HTTP_BINARY, args: [String(port)], ready: LISTENING }),
  },
];

/** Every Redis-protocol row. */
export const REDIS_ROWS: ServerRow[] = [
  { id: 'kv-ffi-rs', label: 'example kv, ffi-rs', needs: [], spec: example('kv', 'ffi-rs', []) },
  { id: 'kv-koffi', label: 'example kv, koffi', needs: [], spec: example('kv', 'koffi', []) },
  { id: 'kv-node', label: 'example kv-node (node:net)', needs: [], spec: example('kv-node', undefined, []) },
  {
    id: 'redis-server',
    label: 'redis-server',
    needs: ['redis-server'],
    spec: (port) => ({
      command: 'redis-server',
      args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      ready: /Ready to accept connections/,
    }),
  },
];

/** One line a reader can paste to start the row's server by hand (`node` for this process's own binary). */
export function commandLine(row: ServerRow, port: number, node = process.execPath): string {
  const spec = row.spec(port, node);
  const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v} `).join('');
  const cmd = spec.command === process.execPath ? 'node' : spec.command.startsWith(ROOT) ? spec.command.slice(ROOT.length + 1) : spec.command;
  const args = spec.args.map((a) => (a.startsWith(ROOT) ? a.slice(ROOT.length + 1) : a)).map((a) => (a === '' ? "''" : a));
  return `${env}${cmd} ${args.join(' ')}`;
}

/**
 * The owned-vs-loaned chunks comparison: the http and echo examples with
 * `loanChunks` (what they use) and with Node's default, a Buffer per read
 * (`--owned-chunks`), under each binding, in the default run mode.
 */
export const CHUNK_ROWS: Array<ServerRow & { app: 'http' | 'echo'; binding: 'ffi-rs' | 'koffi'; chunks: 'loan' | 'owned' }> = (['http', 'echo'] as const).flatMap((app) =>
  (['ffi-rs', 'koffi'] as const).flatMap((binding) =>
    (['loan', 'owned'] as const).map((chunks) => ({
      id: `${app}-${binding}-${chunks}`,
      label: `${app}, ${binding}, ${chunks === 'loan' ? 'loaned chunks' : 'owned chunks (the default)'}`,
      app,
      binding,
      chunks,
      needs: [app === 'http' ? 'wrk' : 'gcc'] as Tool[],
      spec: example(app, binding, [...(app === 'http' ? ['--mode', 'node'] : []), ...(chunks === 'owned' ? ['--owned-chunks'] : [])]),
    })),
  ),
);
