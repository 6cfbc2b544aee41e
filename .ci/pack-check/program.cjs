// CommonJS, as a user's plain `require` sees the installed tarballs.
const assert = require('node:assert');
const { connect } = require('node:net');
const fds = require('@reactor/fds');
const internal = require('@reactor/fds/internal');
const { Reactor } = require('@reactor/reactor');

assert.equal(typeof internal.validateInteger, 'function');
assert.equal('validateInteger' in fds, false, 'internals stay out of the main entry');

const loop = new Reactor({ logger: false });
const efd = new fds.EventFd();
const watch = loop.watch(efd, fds.EPOLLIN, () => {
  assert.equal(efd.read(), 5n);
  watch.remove();
  efd.close();
});
efd.write(2);
efd.write(3);
const server = loop.listen({ host: '127.0.0.1', port: 0 }, (conn) => conn.on('data', (chunk) => conn.write(chunk)));
let echoed = '';
const client = connect(server.address().port, '127.0.0.1', () => client.end('echo'));
client.setEncoding('utf8').on('data', (text) => (echoed += text));
client.on('close', () => server.close());
loop.run().then(() => {
  assert.equal(echoed, 'echo');
  loop.close();
  console.log(`cjs ok (${fds.bindingName()})`);
});
