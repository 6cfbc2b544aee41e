import { closeSync, constants as fsConstants, openSync, readFileSync, writeSync } from 'node:fs';
import { OutOfRangeError } from './errors';
import { SystemError } from './system-error';
import { FileDescriptor } from './fd';
import { describeValue, validateInteger, validateOptions, validateString } from './validate';

/** What a pressure file measures (/proc/pressure/<resource>, or <cgroup2 group>/<resource>.pressure). */
export type PressureResource = 'memory' | 'cpu' | 'io';

/** One line of a pressure file: the share of time tasks stalled, and the total stall time. */
export interface PressureLine {
  /** Percent of the last 10 s. */
  avg10: number;
  /** Percent of the last 60 s. */
  avg60: number;
  /** Percent of the last 300 s. */
  avg300: number;
  /** Total stall time since boot (or since the group was made), µs. */
  totalUs: number;
}

/** A pressure file's contents: `some` (at least one task stalled), `full` (all non-idle tasks stalled at once). */
export interface PressureStats {
  /** Time in which at least one task stalled on the resource. */
  some: PressureLine;
  /** Time in which all non-idle tasks stalled at once (absent for system-wide cpu on old kernels). */
  full: PressureLine | undefined;
}

const LINE = /^(some|full) avg10=(\d+\.\d+) avg60=(\d+\.\d+) avg300=(\d+\.\d+) total=(\d+)$/;

/** Parse the text of a pressure file (psi(7) format); a line of another shape is a RangeError. */
export function parsePressure(text: string): PressureStats {
  validateString(text, 'text');
  const out: Partial<Record<'some' | 'full', PressureLine>> = {};
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = LINE.exec(line);
    if (m === null) throw new OutOfRangeError(`text must hold psi lines ('some avg10=… total=…'); got ${JSON.stringify(line)}`);
    out[m[1] as 'some' | 'full'] = { avg10: Number(m[2]), avg60: Number(m[3]), avg300: Number(m[4]), totalUs: Number(m[5]) };
  }
  if (out.some === undefined) throw new OutOfRangeError('text must hold a "some" line');
  return { some: out.some, full: out.full };
}

/** The system-wide pressure file of `resource`. */
export function pressurePath(resource: PressureResource): string {
  if (resource !== 'memory' && resource !== 'cpu' && resource !== 'io') {
    throw new OutOfRangeError(`resource must be 'memory', 'cpu' or 'io'; got ${describeValue(resource)}`);
  }
  return `/proc/pressure/${resource}`;
}

/** Options of `PressureTrigger.open()`. */
export interface PressureTriggerOptions {
  /** 'some' (default): at least one task stalled; 'full': all non-idle tasks stalled at once. */
  kind?: 'some' | 'full';
  /** Stall time within the window that fires the trigger, µs (1 .. windowUs). */
  thresholdUs: number;
  /**
   * The window, µs: 500 ms to 10 s as the kernel documents it; a process
   * without CAP_SYS_RESOURCE (in a container, also root) must use a multiple
   * of 2 s, otherwise the kernel says EINVAL.
   */
  windowUs: number;
  /**
   * The pressure file: /proc/pressure/<resource> (the default) for the whole
   * system, or a cgroup2 group's `<resource>.pressure` for that group only.
   */
  path?: string;
}

/**
 * A PSI trigger (psi(7), "Userspace monitors"): an fd on a pressure file
 * that reports EPOLLPRI when tasks stalled on the resource for
 * `thresholdUs` within `windowUs` — at most once per window, and only
 * while the stall goes on. Reading the event clears it, so a level-triggered
 * epoll reports it once. EPOLLERR means the cgroup is gone. One trigger per
 * fd; closing the fd removes it.
 */
export class PressureTrigger extends FileDescriptor {
  /** The pressure file the trigger is set on. */
  readonly path: string;
  /** The trigger as written ('some 150000 2000000'). */
  readonly spec: string;

  private constructor(fd: number, path: string, spec: string) {
    super(fd, 'psi trigger');
    this.path = path;
    this.spec = spec;
  }

  /** Open the pressure file of `resource` (or `options.path`) and set the trigger. */
  static open(resource: PressureResource, options: PressureTriggerOptions): PressureTrigger {
    const opts = validateOptions<PressureTriggerOptions>(options);
    const systemWide = pressurePath(resource); // the resource is checked even when a path is given
    const path = opts.path === undefined ? systemWide : validateString(opts.path, 'options.path');
    const kind = opts.kind ?? 'some';
    if (kind !== 'some' && kind !== 'full') throw new OutOfRangeError(`options.kind must be 'some' or 'full'; got ${describeValue(kind)}`);
    const windowUs = validateInteger(opts.windowUs, 'options.windowUs', 500_000, 10_000_000);
    const thresholdUs = validateInteger(opts.thresholdUs, 'options.thresholdUs', 1, windowUs);
    const spec = `${kind} ${thresholdUs} ${windowUs}`;
    let fd: number;
    try {
      // libuv opens with O_CLOEXEC.
      fd = openSync(path, fsConstants.O_RDWR | fsConstants.O_NONBLOCK);
    } catch (error) {
      throw toSystemError(error, 'open', path);
    }
    try {
      // The kernel replaces the last byte written with NUL: send one.
      writeSync(fd, `${spec}\0`);
    } catch (error) {
      closeSync(fd);
      throw toSystemError(error, 'write', path);
    }
    return new PressureTrigger(fd, path, spec);
  }

  /** The pressure file's current contents (a fresh read of the file, not of the trigger fd). */
  read(): PressureStats {
    this.use('read');
    return parsePressure(readFileSync(this.path, 'utf8'));
  }
}

function toSystemError(error: unknown, syscall: string, path: string): unknown {
  const errno = (error as NodeJS.ErrnoException).errno;
  return typeof errno === 'number' ? new SystemError(syscall, errno, { path }) : error;
}
