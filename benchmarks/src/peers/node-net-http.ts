/**
 * The node:net peer of the HTTP comparison: the reactor example's exact work
 * (the same request framer, examples/dist/http-parser.js, and the same
 * prebuilt response) on libuv sockets, so the comparison isolates the loop
 * and the syscall path from the HTTP work.
 *
 *   node benchmarks/dist/peers/node-net-http.js <port>
 */
import { createServer, type Socket } from 'node:net';
import { HttpError, parseRequest } from '../../../examples/dist/http-parser';

const BODY = 'Hello, World!';
const OK_KEEP = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`);
const OK_CLOSE = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\nConnection: close\r\n\r\n${BODY}`);

function serve(socket: Socket): void {
  let pending: Buffer | undefined;
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    let buf = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    pending = undefined;
    try {
      for (;;) {
        const req = parseRequest(buf);
        if (req === null) break;
        if (!req.keepAlive) {
          socket.end(OK_CLOSE);
          return;
        }
        socket.write(OK_KEEP);
        buf = buf.subarray(req.length);
        if (buf.length === 0) break;
      }
    } catch (error) {
      socket.end(`HTTP/1.1 ${error instanceof HttpError ? error.status : 400} Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    if (buf.length > 0) pending = Buffer.from(buf);
  });
}

const port = Number(process.argv[2] ?? 8080);
const sockets = new Set<Socket>();
const server = createServer({ noDelay: true }, (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  serve(socket);
});
server.listen({ host: '127.0.0.1', port, backlog: 4096 }, () => console.log(`node-net-http listening on 127.0.0.1:${port}`));
const stop = () => {
  server.close();
  for (const s of sockets) s.destroy();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
