/**
 * The node:http peer of the HTTP comparison: the same "hello" response as
 * examples/src/http.ts, through Node's HTTP server (llhttp, libuv).
 *
 *   node benchmarks/dist/peers/node-http.js <port>
 */
import { createServer } from 'node:http';

const BODY = 'Hello, World!';
const port = Number(process.argv[2] ?? 8080);
const server = createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BODY.length });
  res.end(BODY);
});
server.keepAliveTimeout = 60_000;
server.listen({ host: '127.0.0.1', port, backlog: 4096 }, () => console.log(`node-http listening on 127.0.0.1:${port}`));
const stop = () => {
  server.close();
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
