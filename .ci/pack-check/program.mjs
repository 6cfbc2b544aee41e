// An ES module: named imports from the CommonJS build, as Node's ESM loader gives them.
import assert from 'node:assert';
import { bindingName, EventFd, EPOLLIN, SystemError } from '@reactor/fds';
import * as fds from '@reactor/fds';
import { validateInteger } from '@reactor/fds/internal';
import { Reactor, ReactorClosedError } from '@reactor/reactor';

assert.equal(typeof validateInteger, 'function');
assert.equal('validateInteger' in fds, false);

const loop = new Reactor({ logger: false });
const efd = new EventFd();
const watch = loop.watch(efd, EPOLLIN, () => {
  assert.equal(efd.read(), 1n);
  watch.remove();
  efd.close();
});
efd.write(1);
let ticks = 0;
loop.every(5, (timer) => {
  if (++ticks === 3) timer.cancel();
});
await loop.run();
assert.equal(ticks, 3);
const first = loop.listen({ host: '127.0.0.1', port: 0 });
assert.throws(() => loop.listen({ host: '127.0.0.1', port: first.address().port }), (e) => e instanceof SystemError && e.code === 'EADDRINUSE');
loop.close();
assert.throws(() => loop.after(1, () => {}), (e) => e instanceof ReactorClosedError && e.code === 'ERR_REACTOR_CLOSED');
console.log(`esm ok (${bindingName()})`);
