/**
 * A benchmark server as a child process: started, ready once it prints its
 * "listening" line, stopped with SIGTERM (then SIGKILL) and waited for, so
 * no server outlives its row and the next row gets the port and the CPU.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface ServerSpec {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** A line on stdout that says the server accepts connections. */
  ready: RegExp;
}

export interface RunningServer {
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startServer(spec: ServerSpec, timeoutMs = 15_000): Promise<RunningServer> {
  const child = spawn(spec.command, spec.args, { env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`not ready after ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${spec.command} ${spec.args.join(' ')}: ${error.message}\n${output.slice(-2000)}`));
    };
    const onExit = (code: number | null, signal: string | null) => fail(new Error(`exited (${signal ?? code}) before it was ready`));
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (spec.ready.test(output)) {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.off('error', fail);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', fail);
    child.once('exit', onExit);
  });
  // Keep draining its output so a chatty server never blocks on a full pipe.
  child.stdout!.resume();
  child.stderr!.resume();
  return { pid: child.pid!, stop: () => stopChild(child, exited) };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(killer);
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}
