/**
 * The signalfd(2) man page's example, on the reactor: SIGINT and SIGQUIT
 * arrive through the loop's signalfd, also when another process sends them
 * (`kill -INT <pid>`, Ctrl-C). SIGINT is reported; SIGQUIT ends the program.
 *
 *   pnpm --silent example signalfd      # then, elsewhere: kill -INT <pid>; kill -QUIT <pid>
 */
import { Reactor } from '@reactor/reactor';

export async function main(): Promise<number> {
  const loop = new Reactor();
  loop.onSignal('SIGINT', () => console.log('Got SIGINT'));
  loop.onSignal('SIGQUIT', () => {
    console.log('Got SIGQUIT');
    loop.stop();
  });
  console.log(`PID ${process.pid}`);
  await loop.run();
  loop.close();
  return 0;
}
