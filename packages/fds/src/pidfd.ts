import { Buffer } from 'node:buffer';
import { CLD_DUMPED, CLD_EXITED, CLD_KILLED, P_PIDFD, SIGINFO_SIZE, WEXITED, WNOHANG, WNOWAIT } from './constants';
import { ReactorError } from './errors';
import { check } from './system-error';
import { FileDescriptor } from './fd';
import { libc } from './ffi/index';
import { signalName } from './signals';
import { validateBoolean, validateInteger, validateOptions, INT32_MAX } from './validate';

/** How a process ended, from waitid(2). */
export interface ProcessExit {
  /** The process id. */
  pid: number;
  /** 'exited' (normal exit), 'killed' (by a signal), 'dumped' (by a signal, with a core dump). */
  code: 'exited' | 'killed' | 'dumped';
  /** The exit code when 'exited', else the signal number. */
  status: number;
  /** The signal's name when killed or dumped. */
  signal?: string;
}

/** Options of `PidFd.wait()`. */
export interface PidFdWaitOptions {
  /**
   * WNOWAIT: report the exit but leave the child a zombie, so that whoever
   * reaps it (Node's child_process does) still can.
   */
  noWait?: boolean;
}

// siginfo_t as waitid fills it on x86-64 and arm64 (the union starts at 16).
const SI_CODE = 8;
const SI_PID = 16;
const SI_STATUS = 24;

/**
 * A pidfd (pidfd_open(2)): a stable handle on a process that, unlike its pid,
 * cannot come to name another process. It becomes readable (EPOLLIN) when the
 * process exits, for any process, child or not. pidfd_open always sets
 * close-on-exec.
 *
 * `wait()` works only for children of this process. Node's child_process
 * (libuv) reaps its children itself on SIGCHLD, so for those use
 * `wait({ noWait: true })`: it peeks without reaping; and even so libuv may
 * have reaped the child first, which shows up as ECHILD (the child's 'exit'
 * event then carries the status). Reaping a libuv child here instead would
 * leave libuv without its 'exit' event.
 *
 * @example
 * ```ts
 * import { spawn } from 'node:child_process';
 * import { Epoll, EPOLLIN, PidFd } from '@reactor/fds';
 *
 * const child = spawn('sh', ['-c', 'exit 5']);
 * using pidfd = PidFd.open(child.pid!);
 * using epoll = new Epoll();
 * epoll.add(pidfd, EPOLLIN); // readable once the process has exited
 * epoll.wait(5000); // blocks this thread: fine in a script (a Reactor waits without blocking)
 * const exit = pidfd.wait({ noWait: true }); // noWait: child_process still reaps it
 * console.log(exit?.code, exit?.status); // exited 5
 * ```
 */
export class PidFd extends FileDescriptor {
  /** The process this pidfd refers to. */
  readonly pid: number;
  readonly #info = Buffer.alloc(SIGINFO_SIZE);

  private constructor(fd: number, pid: number) {
    super(fd, 'pidfd');
    this.pid = pid;
  }

  /** pidfd_open(pid, 0): ESRCH when no such process exists. */
  static open(pid: number): PidFd {
    const target = validateInteger(pid, 'pid', 1, INT32_MAX);
    return new PidFd(check(libc().pidfd_open(target, 0), 'pidfd_open'), target);
  }

  /**
   * waitid(P_PIDFD, fd, …, WEXITED | WNOHANG): null while the process runs,
   * else how it ended. ECHILD (a SystemError) when it is not a child of this
   * process or was already reaped.
   */
  wait(options?: PidFdWaitOptions): ProcessExit | null {
    const opts = validateOptions<PidFdWaitOptions>(options);
    const noWait = opts.noWait === undefined ? false : validateBoolean(opts.noWait, 'options.noWait');
    const fd = this.use('waitid');
    const info = this.#info;
    // With WNOHANG and no exit, POSIX leaves siginfo unspecified; waitid(2) says to zero si_pid first.
    info.fill(0);
    const r = libc().waitid(P_PIDFD, fd, info, WEXITED | WNOHANG | (noWait ? WNOWAIT : 0));
    check(r, 'waitid', { fd });
    const pid = info.readInt32LE(SI_PID);
    if (pid === 0) return null;
    const siCode = info.readInt32LE(SI_CODE);
    const status = info.readInt32LE(SI_STATUS);
    switch (siCode) {
      case CLD_EXITED:
        return { pid, code: 'exited', status };
      case CLD_KILLED:
        return { pid, code: 'killed', status, signal: signalName(status) };
      case CLD_DUMPED:
        return { pid, code: 'dumped', status, signal: signalName(status) };
      default:
        // Only WEXITED is asked for, so stop/continue codes cannot come back.
        throw new ReactorError('ERR_REACTOR_UNEXPECTED_SI_CODE', `waitid returned an unexpected si_code ${siCode}`);
    }
  }
}
