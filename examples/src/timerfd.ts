/**
 * The timerfd_create(2) man page's example, on the reactor: a timerfd in the
 * loop, first expiry after <first> seconds, then every <interval> seconds,
 * stopping after <count> expirations. Each read reports how many expirations
 * happened since the last one.
 *
 *   pnpm --silent example timerfd 0.5 0.2 10
 */
import { EPOLLIN, TimerFd } from '@reactor/fds';
import { Reactor } from '@reactor/reactor';

function seconds(text: string | undefined, name: string, fallback?: number): number {
  if (text === undefined && fallback !== undefined) return fallback;
  const value = Number(text);
  if (text === undefined || !Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of seconds >= 0; got ${text}`);
  return value;
}

function printTime(): string {
  const nowUs = BigInt(Date.now()) * 1000n + (process.hrtime.bigint() / 1000n) % 1000n;
  const sec = nowUs / 1000000n;
  const usec = (nowUs % 1000000n).toString().padStart(6, '0');
  return `printTime: current time:${sec}.${usec}`;
}

export async function main(args: string[]): Promise<number> {
  if (args.length < 1 || args.length > 3) throw new Error('usage: example timerfd <first-secs> [<interval-secs> <max-exp>]');
  const first = seconds(args[0], 'first');
  const interval = seconds(args[1], 'interval', 0);
  const maxExpirations = args[2] === undefined ? 1 : Number(args[2]);
  if (!Number.isInteger(maxExpirations) || maxExpirations < 1) throw new Error(`max-exp must be an integer >= 1; got ${args[2]}`);

  const loop = new Reactor();
  const timer = new TimerFd('monotonic');
  const toNs = (s: number) => BigInt(Math.round(s * 1e9));
  // An initial value of 0 would disarm the timer: the man page's example has the same rule.
  timer.set({ initialNs: toNs(first) > 0n ? toNs(first) : 1n, intervalNs: toNs(interval) });
  console.log(`${printTime()} timer started`);
  let total = 0n;
  const watch = loop.watch(timer, EPOLLIN, () => {
    const expirations = timer.tryRead();
    if (expirations === null) return;
    total += expirations;
    console.log(`${printTime()} read: ${expirations}; total=${total}`);
    if (total >= BigInt(maxExpirations)) watch.remove();
  });
  await loop.run();
  loop.close();
  timer.close();
  return 0;
}
