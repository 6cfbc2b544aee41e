/**
 * The supervised child process: a health prober. Every interval it asks the
 * daemon's /healthz over HTTP and prints one line (`ok <ms>` or
 * `fail <reason>`), which the daemon reads from its stdout pipe. SIGTERM ends
 * it at once with exit code 0, and so does the daemon's death (a closed pipe).
 *
 *   node prober.js <port> <intervalMs>
 */
import { get } from 'node:http';

const port = Number(process.argv[2]);
const intervalMs = Number(process.argv[3]);
if (!Number.isInteger(port) || port <= 0 || !Number.isInteger(intervalMs) || intervalMs <= 0) {
  process.stderr.write('usage: prober.js <port> <intervalMs>\n');
  process.exit(2);
}

function probe(): void {
  const began = performance.now();
  const req = get({ host: '127.0.0.1', port, path: '/healthz', agent: false, timeout: intervalMs }, (res) => {
    res.resume();
    res.on('end', () => {
      const line = res.statusCode === 200 ? `ok ${(performance.now() - began).toFixed(2)}` : `fail status ${res.statusCode}`;
      process.stdout.write(`${line}\n`);
    });
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (error) => process.stdout.write(`fail ${error.message}\n`));
}

process.on('SIGTERM', () => process.exit(0));
// The daemon died without stopping us (SIGKILL): the next line hits a closed pipe; go too.
process.stdout.on('error', () => process.exit(0));
setInterval(probe, intervalMs);
