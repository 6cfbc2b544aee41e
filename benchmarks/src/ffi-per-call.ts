/**
 * The cost of one FFI call under each binding, side by side in one run.
 * Each binding is measured in a child process of its own (a process uses one
 * binding), alternating rounds; the table shows medians and the ratio.
 *
 *   pnpm bench:ffi [--quick] [--json]
 *
 * --json prints the raw figures (every round) for `pnpm bench` instead of the table.
 */
import { Epoll, EventFd, EPOLLIN, bindingName, AF_UNIX, SOCK_STREAM, SOCK_CLOEXEC, SOCK_NONBLOCK } from '@reactor/fds';
import { rawLibc } from '@reactor/fds/internal';
import { childRounds } from './child-rounds';
import { median, type FfiSection } from './results';

interface Row {
  name: string;
  usPerCall: number;
}

function measure(iterations: number): Row[] {
  const libc = rawLibc();
  const rows: Row[] = [];
  const time = (name: string, calls: number, body: () => void) => {
    for (let i = 0; i < Math.min(2000, iterations); i++) body(); // warm up
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) body();
    const ns = Number(process.hrtime.bigint() - t0);
    rows.push({ name, usPerCall: ns / iterations / calls / 1000 });
  };
  time('getpid()', 1, () => libc.getpid());
  const efd = new EventFd();
  time('eventfd write+read (2 calls)', 2, () => {
    efd.write(1);
    efd.tryRead();
  });
  const ep = new Epoll();
  const ready = new EventFd(1);
  ep.add(ready, EPOLLIN);
  time('epoll_wait(0), one ready fd', 1, () => ep.wait(0));
  const pair = Buffer.alloc(8);
  if (libc.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) < 0) throw new Error('socketpair failed');
  const [a, b] = [pair.readInt32LE(0), pair.readInt32LE(4)];
  const msg = Buffer.alloc(64, 1);
  const buf = Buffer.alloc(64 * 1024);
  time('socket write 64 B + read (2 calls)', 2, () => {
    libc.write(a, msg, msg.length);
    libc.read(b, buf, buf.length);
  });
  const iov = [Buffer.alloc(32, 2), Buffer.alloc(32, 3), Buffer.alloc(64, 4)];
  time('writev 3 buffers + read (2 calls)', 2, () => {
    libc.writev(a, iov);
    libc.read(b, buf, buf.length);
  });
  libc.close(a);
  libc.close(b);
  efd.close();
  ready.close();
  ep.close();
  return rows;
}


function main(): void {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    process.stdout.write(JSON.stringify({ binding: bindingName(), rows: measure(Number(args[1])) }));
    return;
  }
  const quick = args.includes('--quick');
  const json = args.includes('--json');
  const rounds = quick ? 3 : 5;
  const iterations = quick ? 20000 : 100000;
  const bindings = [{ binding: 'ffi-rs' }, { binding: 'koffi' }] as const;
  const samples = childRounds<(typeof bindings)[number], { rows: Row[] }>(bindings, rounds, () => [__filename, '--child', String(iterations)]);
  const results: Record<string, Record<string, number[]>> = { 'ffi-rs': {}, koffi: {} };
  bindings.forEach(({ binding }, i) => {
    for (const { rows } of samples[i]!) for (const row of rows) (results[binding]![row.name] ??= []).push(row.usPerCall);
  });
  if (json) {
    const calls: FfiSection['calls'] = {};
    for (const name of Object.keys(results['ffi-rs']!)) calls[name] = { 'ffi-rs': results['ffi-rs']![name]!, koffi: results.koffi![name]! };
    process.stdout.write(`${JSON.stringify({ iterations, rounds, calls } satisfies FfiSection)}\n`);
    return;
  }
  const lines = [
    `FFI cost per call, median of ${rounds} alternating rounds × ${iterations} iterations (Node ${process.version}, ${process.arch})`,
    '',
    '| call | ffi-rs (µs/call) | koffi (µs/call) | ffi-rs ÷ koffi |',
    '|---|---:|---:|---:|',
  ];
  for (const name of Object.keys(results['ffi-rs']!)) {
    const f = median(results['ffi-rs']![name]!);
    const k = median(results.koffi![name]!);
    lines.push(`| ${name} | ${f.toFixed(2)} | ${k.toFixed(3)} | ${(f / k).toFixed(1)}× |`);
  }
  console.log(lines.join('\n'));
}

main();
