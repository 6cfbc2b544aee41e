/**
 * An HTTP/1.1 "hello" responder with keep-alive and pipelining, for wrk and
 * curl. With --threads N, N loops in N worker threads share the port
 * (SO_REUSEPORT); SIGINT/SIGTERM stop them all.
 *
 *   pnpm --silent example http --port 8080 [--threads 2] [--mode node|thread] [--owned-chunks]
 */
import { Cluster, Reactor, type Connection } from '@reactor/reactor';
import { flag, intFlag } from './args';
import { HttpError, parseRequest } from './http-parser';

const BODY = 'Hello, World!';
const OK_KEEP = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`);
const OK_CLOSE = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\nConnection: close\r\n\r\n${BODY}`);

function errorResponse(status: number, message: string): Buffer {
  const reason = { 400: 'Bad Request', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large', 501: 'Not Implemented' }[status] ?? 'Error';
  return Buffer.from(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain\r\nContent-Length: ${message.length + 1}\r\nConnection: close\r\n\r\n${message}\n`);
}

/** Serve one connection: frame requests (several may come in one read) and answer each. */
export function serve(conn: Connection): void {
  // The start of a request not yet complete, or requests waiting for 'drain'.
  let pending: Buffer | undefined;
  conn.setNoDelay(true);
  conn.on('error', () => undefined);
  const answer = (input: Buffer): void => {
    let buf = input;
    try {
      while (buf.length > 0) {
        const req = parseRequest(buf);
        if (req === null) break;
        if (!req.keepAlive) {
          conn.end(OK_CLOSE);
          return;
        }
        const more = conn.write(OK_KEEP);
        buf = buf.subarray(req.length);
        if (!more) {
          // Back-pressure: a client that pipelines requests without reading
          // the responses is no longer read, and what it already sent waits
          // for 'drain'. (Without this, its queued responses grew with every
          // request it sent: 140 MiB of server memory for 60 MiB of requests.)
          pending = buf.length > 0 ? Buffer.from(buf) : undefined;
          conn.pause();
          conn.once('drain', () => {
            if (conn.destroyed) return;
            conn.resume();
            const rest = pending;
            pending = undefined;
            if (rest !== undefined) answer(rest);
          });
          return;
        }
      }
    } catch (error) {
      if (error instanceof HttpError) conn.end(errorResponse(error.status, error.message));
      else conn.destroy(error as Error);
      return;
    }
    // `buf` may be a view of the loop's read buffer: keep a copy of an unfinished request only.
    if (buf.length > 0) pending = Buffer.from(buf);
  };
  conn.on('data', (chunk) => {
    const buf = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    pending = undefined;
    answer(buf);
  });
}

/** The per-thread setup used by --threads (one listener per loop, same port). */
export function setup(loop: Reactor, data: { host: string; port: number; ownedChunks?: boolean }): () => void {
  // loanChunks: the parser copies only an unfinished request, so zero-copy reads are safe here.
  const server = loop.listen({ host: data.host, port: data.port, reusePort: true, backlog: 4096, loanChunks: data.ownedChunks !== true }, serve);
  return () => server.close();
}

export async function main(args: string[]): Promise<number> {
  const port = intFlag(args, 'port', 8080);
  const host = flag(args, 'host') ?? '127.0.0.1';
  const threads = intFlag(args, 'threads', 0, 0, 256);
  const mode = flag(args, 'mode') ?? 'node';
  // --owned-chunks: Node's default (a Buffer per read) instead of the loan, to measure what the loan saves.
  const ownedChunks = args.includes('--owned-chunks');
  if (mode !== 'node' && mode !== 'thread') throw new Error(`--mode must be node or thread; got ${mode}`);
  const loop = new Reactor();
  // Owning a thread means a worker thread: the main thread stays free for
  // Node's signal listeners, which route SIGINT/SIGTERM to a clean stop.
  if (threads > 0 || mode === 'thread') {
    const n = Math.max(1, threads);
    const cluster = await Cluster.start({ threads: n, module: __filename, data: { host, port, ownedChunks }, mode });
    console.log(`http listening on ${host}:${port} (${n} thread${n > 1 ? 's' : ''}, ${mode} mode)`);
    const stop = () => void cluster.stop().then(() => loop.stop());
    loop.onSignal('SIGINT', stop);
    loop.onSignal('SIGTERM', stop);
    await loop.run();
  } else {
    const server = loop.listen({ host, port, backlog: 4096, loanChunks: !ownedChunks }, serve);
    const stop = () => {
      server.close();
      loop.stop();
    };
    loop.onSignal('SIGINT', stop);
    loop.onSignal('SIGTERM', stop);
    const address = server.address();
    console.log(`http listening on ${host}:${'port' in address ? address.port : port} (main thread, node mode)`);
    await loop.run();
  }
  loop.close();
  return 0;
}
