// TypeScript, type-checked with module nodenext against the installed .d.ts files, then run.
import { Writable } from 'node:stream';
import pino from 'pino';
import { bindingName, EventFd, EPOLLIN, UnsupportedPlatformError, type SocketAddress } from '@reactor/fds';
import { rawLibc } from '@reactor/fds/internal';
import { Reactor, type ReactorLogger, type ReactorOptions } from '@reactor/reactor';

// A pino logger is a ReactorLogger; the loop logs through its child { component: 'reactor' }.
const lines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
    done();
  },
});
const logger: ReactorLogger = pino({ level: 'debug' }, sink);
const options: ReactorOptions = { logger, timerSlackMs: 0 };
const loop = new Reactor(options);
const efd = new EventFd();
const watch = loop.watch(efd, EPOLLIN, () => {
  const value: bigint = efd.read();
  if (value !== 7n) throw new Error(`read ${value}`);
  watch.remove();
  efd.close();
});
efd.write(7);
await loop.run();
const address: SocketAddress = loop.listen({ host: '127.0.0.1', port: 0 }).address();
loop.close();
await new Promise((resolve) => setImmediate(resolve));
if (!lines.some((line) => line.component === 'reactor' && line.msg === 'reactor running')) throw new Error(`no reactor line: ${JSON.stringify(lines)}`);
if (typeof rawLibc().getpid() !== 'number') throw new Error('rawLibc');
const unsupported = new UnsupportedPlatformError('koffi', new Error('what koffi said'));
if (unsupported.code !== 'ERR_REACTOR_UNSUPPORTED_PLATFORM' || !(unsupported.cause instanceof Error)) throw new Error('UnsupportedPlatformError');
console.log(`ts ok (${bindingName()}, listened on ${'port' in address ? 'tcp' : 'unix'})`);
