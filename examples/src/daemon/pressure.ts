/**
 * Memory pressure as a loop event, as sd_event_add_memory_pressure(3): a PSI
 * trigger (psi(7)) watched for EPOLLPRI. Where the trigger is set follows
 * systemd: MEMORY_PRESSURE_WATCH names the pressure file (systemd 254 and
 * later set it to the service's own cgroup's memory.pressure; '/dev/null'
 * turns the watch off) and MEMORY_PRESSURE_WRITE carries the trigger text in
 * base64. Without them, as sd-event: the memory.pressure of the cgroup this
 * process is in (cgroup2, at /sys/fs/cgroup or, on hosts with the hybrid
 * layout, /sys/fs/cgroup/unified), else the whole system's
 * /proc/pressure/memory (the root group has no file of its own); the trigger
 * `some 200000 2000000`: 200 ms of stall within 2 s (a window that is not a
 * multiple of 2 s needs CAP_SYS_RESOURCE, which containers lack).
 *
 * The trigger is not in the loop's epoll set. A PSI trigger's event is
 * consumed by the first poll of its fd, and the loop's epoll fd is itself
 * watched by libuv's: when the trigger fires, libuv's epoll_wait polls the
 * nested set, that poll consumes the event, and the loop's own epoll_wait
 * then finds nothing (measured: 1.36 s of stall in a 2 s window, the handler
 * never ran). So the trigger sits alone in a private epoll set that nothing
 * else polls, and a loop timer asks it every `checkMs` (an epoll_wait with
 * timeout 0): the event waits there until then.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Epoll, EPOLLERR, EPOLLPRI, PressureTrigger } from '@reactor/fds';
import type { Reactor, Timer } from '@reactor/reactor';
import type { Logger } from 'pino';

const DEFAULT_TRIGGER = { kind: 'some' as const, thresholdUs: 200_000, windowUs: 2_000_000 };

interface TriggerSpec {
  path: string;
  kind: 'some' | 'full';
  thresholdUs: number;
  windowUs: number;
}

/** This process's cgroup2 group's memory.pressure, else the system's. */
function ownPressureFile(): string {
  let group: string | undefined;
  try {
    // The cgroup2 line is '0::/path'.
    group = /^0::(\/.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
  } catch {
    group = undefined;
  }
  if (group !== undefined && group !== '/') {
    for (const root of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
      const file = `${root}${group}/memory.pressure`;
      if (existsSync(file)) return file;
    }
  }
  return '/proc/pressure/memory';
}

/** Where and how to watch, from the environment; undefined when the watch is turned off. */
export function pressureSpec(env: NodeJS.ProcessEnv = process.env): TriggerSpec | undefined {
  const path = env.MEMORY_PRESSURE_WATCH || ownPressureFile();
  if (path === '/dev/null') return undefined;
  const write = env.MEMORY_PRESSURE_WRITE;
  if (write === undefined || write === '') return { path, ...DEFAULT_TRIGGER };
  const text = Buffer.from(write, 'base64').toString('latin1');
  const match = /^(some|full) (\d+) (\d+)\0?$/.exec(text);
  if (match === null) throw new Error(`MEMORY_PRESSURE_WRITE must be base64 of 'some|full <threshold µs> <window µs>'; got ${JSON.stringify(text)}`);
  return { path, kind: match[1] as 'some' | 'full', thresholdUs: Number(match[2]), windowUs: Number(match[3]) };
}

export class MemoryPressureWatch {
  readonly spec: TriggerSpec;
  readonly #trigger: PressureTrigger;
  readonly #epoll: Epoll;
  readonly #timer: Timer;
  #closed = false;
  /** Times the trigger fired. */
  events = 0;

  private constructor(loop: Reactor, spec: TriggerSpec, onPressure: () => void, logger: Logger, checkMs: number) {
    this.spec = spec;
    this.#trigger = PressureTrigger.open('memory', { kind: spec.kind, thresholdUs: spec.thresholdUs, windowUs: spec.windowUs, path: spec.path });
    try {
      this.#epoll = new Epoll({ maxEvents: 1 });
      this.#epoll.add(this.#trigger, EPOLLPRI);
    } catch (error) {
      this.#trigger.close();
      throw error;
    }
    this.#timer = loop.every(checkMs, () => {
      if (this.#epoll.wait(0) === 0) return;
      if ((this.#epoll.eventsAt(0) & EPOLLERR) !== 0) {
        // The cgroup went away: nothing more will come from this trigger.
        logger.warn({ path: spec.path }, 'memory pressure watch ended: its cgroup is gone');
        this.close();
        return;
      }
      this.events++;
      onPressure();
    });
    this.#timer.unref();
  }

  /**
   * Start watching, or undefined when turned off or not possible here (no
   * PSI in this kernel, no access to the file, a window the kernel refuses):
   * logged, and the daemon runs without it.
   */
  static start(loop: Reactor, onPressure: () => void, logger: Logger, env: NodeJS.ProcessEnv = process.env, checkMs = 500): MemoryPressureWatch | undefined {
    const spec = pressureSpec(env);
    if (spec === undefined) return undefined;
    try {
      const watch = new MemoryPressureWatch(loop, spec, onPressure, logger, checkMs);
      logger.info({ ...spec }, 'watching memory pressure');
      return watch;
    } catch (error) {
      logger.warn({ err: error, ...spec }, 'memory pressure not watched');
      return undefined;
    }
  }

  /** The pressure file now (avg10 and the total stall), for the log. */
  stats(): { avg10: number; totalUs: number } {
    const some = this.#trigger.read().some;
    return { avg10: some.avg10, totalUs: some.totalUs };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer.cancel();
    this.#epoll.close();
    this.#trigger.close();
  }
}
