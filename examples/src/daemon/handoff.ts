/**
 * The restart that drops nothing (SIGUSR2): this instance starts a new one of
 * itself and hands it the listening sockets over a Unix socketpair
 * (SCM_RIGHTS). A passed listening socket is the same kernel socket in both
 * processes, with one accept queue, so a client connecting during the
 * hand-over waits in that queue and is accepted by whichever process is
 * still accepting: none is refused. Once the new instance listens it says so
 * with one byte on the pair; only then does the old one stop accepting and
 * drain.
 *
 * The pair is the new instance's fd 3, named by REACTOR_DAEMON_HANDOFF_FD.
 * The sockets are written into it before the new process is even spawned,
 * so they are waiting in its receive queue when it starts.
 */
import { spawn } from 'node:child_process';
import { EPOLLIN, Socket, type FileDescriptor } from '@reactor/fds';
import type { Reactor } from '@reactor/reactor';
import type { Logger } from 'pino';

export const HANDOFF_ENV = 'REACTOR_DAEMON_HANDOFF_FD';
const HANDOFF_FD = 3;
const READY = 0x52; // 'R'

/** A hand-over that cannot be taken: a protocol error between two instances. */
export class HandoffError extends Error {
  override readonly name = 'HandoffError';
  readonly code = 'ERR_DAEMON_HANDOFF';
}

/** What a new instance gets from the one it replaces. */
export interface Handoff {
  /** The listening sockets, owned by the receiver. */
  sockets: FileDescriptor[];
  /** Tell the old instance this one serves; closes the channel. */
  ready(): void;
}

/**
 * In a new instance: the sockets handed over, or undefined when this process
 * was not started by a hand-over. The variable is removed so that this
 * instance's own children do not read it.
 */
export function receiveHandoff(env: NodeJS.ProcessEnv = process.env): Handoff | undefined {
  const value = env[HANDOFF_ENV];
  if (value === undefined) return undefined;
  delete env[HANDOFF_ENV];
  if (value !== String(HANDOFF_FD)) throw new HandoffError(`${HANDOFF_ENV} must be ${HANDOFF_FD}; got ${JSON.stringify(value)}`);
  const channel = Socket.adopt(HANDOFF_FD, { kinds: ['unix'], listening: false, name: HANDOFF_ENV });
  const received = channel.receiveWithFds(Buffer.alloc(1), 16);
  if (received === null || received.fds.length === 0) {
    for (const fd of received?.fds ?? []) fd.close();
    channel.close();
    throw new HandoffError('the hand-over channel carried no sockets');
  }
  return {
    sockets: received.fds,
    ready: () => {
      try {
        channel.write(Buffer.of(READY));
      } finally {
        channel.close();
      }
    },
  };
}

export interface SuccessorEvents {
  /** The new instance serves on the sockets: stop accepting and drain. */
  onReady(pid: number): void;
  /** It exited or gave up before it was ready: keep serving. */
  onFailed(reason: string): void;
}

/**
 * Start a new instance of this program (the same node, flags and arguments)
 * and hand it `sockets`. `env` is the environment it gets (the caller removes
 * what must not be inherited and adds the watchdog's interval). Gives up
 * after `timeoutMs` and kills it.
 */
export function startSuccessor(loop: Reactor, sockets: readonly Socket[], env: NodeJS.ProcessEnv, events: SuccessorEvents, logger: Logger, timeoutMs = 10_000): number {
  const [mine, theirs] = Socket.pair();
  let pid: number | undefined;
  try {
    if (mine.sendWithFds(Buffer.of(0x4c), sockets) === null) throw new HandoffError('the hand-over channel is full');
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], {
      stdio: ['ignore', 'inherit', 'inherit', theirs.fd],
      env: { ...env, [HANDOFF_ENV]: String(HANDOFF_FD) },
    });
    child.once('error', (error) => logger.error({ err: error }, 'the new instance failed to spawn'));
    // The old instance exits once the new one serves; it must not wait for it.
    child.unref();
    pid = child.pid;
  } catch (error) {
    mine.close();
    throw error;
  } finally {
    theirs.close();
  }
  if (pid === undefined) {
    mine.close();
    throw new HandoffError('the new instance could not be spawned');
  }
  const successor = pid;
  let settled = false;
  const settle = (ok: boolean, reason: string) => {
    if (settled) return;
    settled = true;
    deadline.cancel();
    watch.remove();
    mine.close();
    if (ok) events.onReady(successor);
    else events.onFailed(reason);
  };
  const deadline = loop.after(timeoutMs, () => {
    try {
      process.kill(successor, 'SIGKILL');
    } catch {
      // already gone
    }
    settle(false, `not ready within ${timeoutMs} ms`);
  });
  const byte = Buffer.alloc(1);
  const watch = loop.watch(mine, EPOLLIN, () => {
    let n: number | null;
    try {
      n = mine.read(byte);
    } catch (error) {
      settle(false, `the hand-over channel failed: ${(error as Error).message}`);
      return;
    }
    if (n === null) return;
    if (n === 1 && byte[0] === READY) settle(true, 'ready');
    else settle(false, 'it exited before it was ready');
  });
  return successor;
}
