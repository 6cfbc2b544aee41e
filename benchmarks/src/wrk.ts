/** Runs wrk against a URL and parses its report (with --latency). */
import { measureLoad, type LoadCost } from './cpu';
import type { HttpSample } from './results';

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "353.00us" / "0.96ms" / "1.02s" → milliseconds. */
export function parseDurationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (m === null) throw new Error(`wrk: unreadable duration ${JSON.stringify(text)}`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** Parse wrk's text report. Throws when the requests/s line is missing (wrk failed). */
export function parseWrk(text: string): HttpSample {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  if (rps === null) throw new Error(`wrk: no "Requests/sec" line in its output:\n${text}`);
  const percentile = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(text);
    if (m === null) throw new Error(`wrk: no ${p}% latency line (was --latency given?)`);
    return parseDurationMs(m[1]!);
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = socket === null ? 0 : socket.slice(1, 5).reduce((sum, n) => sum + Number(n), 0);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  return {
    requestsPerSec: Number(rps[1]),
    requests: requestCount(text),
    latencyP50Ms: percentile('50'),
    latencyP99Ms: percentile('99'),
    errors: socketErrors + (non2xx === null ? 0 : Number(non2xx[1])),
  };
}

/** "123456 requests in 5.00s, …": the requests wrk completed. */
export function requestCount(text: string): number {
  const m = /^\s*(\d+) requests in /m.exec(text);
  if (m === null) throw new Error(`wrk: no "requests in" line in its output:\n${text}`);
  return Number(m[1]);
}

/** The wrk command line for one measurement (also printed in the report). */
export function wrkArgs(url: string, connections: number, threads: number, seconds: number): string[] {
  return [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', url];
}

/** One wrk run against the server process `serverPid`: its report, and what each side spent (cpu.ts). */
export async function runWrk(serverPid: number, url: string, connections: number, threads: number, seconds: number): Promise<HttpSample & { cost: LoadCost }> {
  const { result, cost } = await measureLoad(serverPid, 'wrk', wrkArgs(url, connections, threads, seconds), (seconds + 30) * 1000, parseWrk, (sample) => sample.requests ?? 0);
  return { ...result, cost };
}
