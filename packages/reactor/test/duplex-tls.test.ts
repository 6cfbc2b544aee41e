import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, createSecureContext, TLSSocket } from 'node:tls';
import { Reactor, toDuplex } from '@reactor/reactor';
import { bindingName, expectNoFdLeaks, quietLogger } from './helpers';

expectNoFdLeaks();

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

(hasOpenssl ? describe : describe.skip)(`node:tls over toDuplex() (${bindingName()})`, () => {
  let dir: string;
  let key: Buffer;
  let cert: Buffer;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'reactor-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    key = readFileSync(join(dir, 'key.pem'));
    cert = readFileSync(join(dir, 'cert.pem'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a TLS server on a reactor connection: 1 MiB in, its SHA-256 back, then both ends close', async () => {
    const loop = new Reactor({ logger: quietLogger });
    const secureContext = createSecureContext({ key, cert });
    const server = loop.listen({ port: 0 }, (conn) => {
      const tls = new TLSSocket(toDuplex(conn), { isServer: true, secureContext });
      const hash = createHash('sha256');
      tls.on('data', (d: Buffer) => hash.update(d));
      tls.on('error', () => undefined);
      tls.on('end', () => tls.end(hash.digest('hex')));
    });
    const address = server.address();
    const running = loop.run();
    const payload = randomBytes(1024 * 1024);
    const client = tlsConnect({ host: '127.0.0.1', port: 'port' in address ? address.port : 0, ca: cert, servername: 'localhost' });
    let reply = '';
    client.setEncoding('utf8').on('data', (d: string) => (reply += d));
    await new Promise((r) => client.on('secureConnect', r));
    client.end(payload);
    await new Promise((r) => client.on('close', r));
    expect(reply).toBe(createHash('sha256').update(payload).digest('hex'));
    server.close();
    await running;
    loop.close();
  }, 30000);
});
