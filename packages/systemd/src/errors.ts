/** The permanent codes of SystemdError. */
export type SystemdErrorCode =
  /** NOTIFY_SOCKET is set but is no address this package can send to. */
  | 'ERR_REACTOR_NOTIFY_SOCKET'
  /** A notify message that cannot be sent as given (a newline inside a value, an empty message). */
  | 'ERR_REACTOR_NOTIFY_STATE'
  /** WATCHDOG_USEC or WATCHDOG_PID is set but not a valid number. */
  | 'ERR_REACTOR_WATCHDOG_ENV'
  /** LISTEN_PID names another process: the fds were meant for it. */
  | 'ERR_REACTOR_LISTEN_PID'
  /** LISTEN_FDS / LISTEN_FDNAMES do not agree with each other or with the fds that are open. */
  | 'ERR_REACTOR_LISTEN_FDS';

/** A systemd environment or message this process cannot act on; `code` says which. */
export class SystemdError extends Error {
  /** A permanent code to test for. */
  readonly code: SystemdErrorCode;

  constructor(code: SystemdErrorCode, message: string) {
    super(message);
    this.name = 'SystemdError';
    this.code = code;
  }
}
