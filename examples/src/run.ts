/**
 * `pnpm --silent example <name> [args…]`: runs one example by name.
 */
const EXAMPLES: Record<string, string> = {
  eventfd: 'eventfd — a child process writes numbers to an inherited eventfd; the parent reads their sum',
  timerfd: 'timerfd <first-s> [interval-s] [count] — a timerfd in the loop, printing expirations',
  signalfd: 'signalfd — handles SIGINT and SIGQUIT sent by another process',
  wakeup: 'wakeup — a worker thread changes shared state and wakes the loop through its eventfd',
  echo: 'echo --port P [--host H] — an echo server',
  http: 'http --port P [--threads N] [--mode node|thread] — an HTTP/1.1 "hello" responder (keep-alive, pipelining)',
  kv: 'kv --port P [--host H] — a Redis-protocol (RESP2) key-value server for redis-cli and redis-benchmark',
  'kv-node': 'kv-node --port P [--host H] — the same key-value server on node:net, for comparison',
  chat: 'chat --port P [--host H] [--max-queue BYTES] [--max-line BYTES] — a line chat; slow readers lose messages, not memory',
};

const [name, ...args] = process.argv.slice(2);
if (name === undefined || !(name in EXAMPLES)) {
  process.stderr.write(`usage: pnpm --silent example <name> [args…]\n\n${Object.values(EXAMPLES).map((d) => `  ${d}`).join('\n')}\n`);
  process.exit(name === undefined ? 0 : 2);
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const example = require(`./${name}`) as { main(args: string[]): Promise<number | void> | number | void };
Promise.resolve(example.main(args)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
