/**
 * The eventfd(2) man page's example, on the reactor: a real child process
 * inherits the eventfd and writes each number given on the command line; the
 * parent waits for the child's exit (through a pidfd in the loop), then reads
 * the counter, which holds their sum.
 *
 *   pnpm --silent example eventfd 1 2 3
 */
import { spawn } from 'node:child_process';
import { EventFd } from '@reactor/fds';
import { Reactor } from '@reactor/reactor';

function parseNumbers(args: string[]): bigint[] {
  if (args.length === 0) throw new Error('usage: example eventfd <num>...');
  return args.map((a) => {
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(a)) throw new Error(`not a non-negative integer: ${a}`);
    return BigInt(a);
  });
}

function child(fdText: string, args: string[]): void {
  const efd = EventFd.fromFd(Number(fdText));
  const values = parseNumbers(args);
  values.forEach((value, i) => {
    console.log(`Child writing ${args[i]} to efd`);
    efd.write(value);
  });
  console.log('Child completed write loop');
  efd.close();
}

export async function main(args: string[]): Promise<number> {
  if (args[0] === '--child') {
    child(args[1]!, args.slice(2));
    return 0;
  }
  parseNumbers(args);
  // Inheritable on purpose: the child must get this fd across exec.
  const efd = new EventFd(0, { closeOnExec: false });
  const loop = new Reactor();
  let status = 0;
  const stdio: Array<'inherit'> = Array(efd.fd + 1).fill('inherit');
  const proc = spawn(process.execPath, [__filename, '--child', String(efd.fd), ...args], { stdio });
  loop.watchChild(proc, (exit) => {
    if (exit.exitCode !== 0) {
      console.error(`child failed (${exit.exitCode ?? exit.signal})`);
      status = 1;
      return;
    }
    console.log('Parent about to read');
    const value = efd.read();
    console.log(`Parent read ${value} (0x${value.toString(16)}) from efd`);
  });
  await loop.run();
  loop.close();
  efd.close();
  return status;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
