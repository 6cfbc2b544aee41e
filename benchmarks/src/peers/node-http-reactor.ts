/**
 * node:http fed by reactor connections: the node:http peer's server and
 * response, but the connections are accepted and read by a reactor loop
 * (node mode) and handed over through `toDuplex()`, as the README shows.
 * Measures what the Duplex adapter costs against node:http on its own sockets.
 *
 *   REACTOR_FFI=koffi node benchmarks/dist/peers/node-http-reactor.js <port>
 */
import { createServer } from 'node:http';
import { Reactor, toDuplex } from '@reactor/reactor';

const BODY = 'Hello, World!';
const port = Number(process.argv[2] ?? 8080);
const server = createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BODY.length });
  res.end(BODY);
});
server.keepAliveTimeout = 60_000;
// node:http starts its header/request timeout checks on 'listening'; this server never listens itself.
server.emit('listening');
const loop = new Reactor({ logger: false });
const listener = loop.listen({ host: '127.0.0.1', port, backlog: 4096 }, (conn) => server.emit('connection', toDuplex(conn)));
console.log(`node-http-reactor listening on 127.0.0.1:${port}`);
const running = loop.run();
const stop = () => {
  listener.close();
  server.closeAllConnections();
  server.close();
  loop.stop();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
void running.then(() => loop.close());
