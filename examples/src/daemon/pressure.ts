/**
 * Memory pressure as a loop event: `loop.memoryPressure()`, the reactor's
 * sd_event_add_memory_pressure(3). It follows systemd: MEMORY_PRESSURE_WATCH
 * names the pressure file (systemd 254 and later set it to the service's own
 * cgroup's memory.pressure; '/dev/null' turns the watch off) and
 * MEMORY_PRESSURE_WRITE carries the trigger in base64. Without them, as
 * sd-event: the memory.pressure of this process's cgroup, else
 * /proc/pressure/memory, with the trigger `some 200000 2000000` (200 ms of
 * stall within 2 s).
 */
import type { MemoryPressure, Reactor } from '@reactor/reactor';
import type { Logger } from 'pino';

export class MemoryPressureWatch {
  readonly #source: MemoryPressure;

  private constructor(source: MemoryPressure) {
    this.#source = source;
  }

  /** Times the trigger fired. */
  get events(): number {
    return this.#source.stats().dispatches;
  }

  /**
   * Start watching, or undefined when turned off (MEMORY_PRESSURE_WATCH=
   * /dev/null) or not possible here (no PSI in this kernel, no access to the
   * file, a window the kernel refuses): logged, and the daemon runs without it.
   */
  static start(loop: Reactor, onPressure: () => void, logger: Logger, env: NodeJS.ProcessEnv = process.env): MemoryPressureWatch | undefined {
    let source: MemoryPressure;
    try {
      source = loop.memoryPressure({ env, description: 'memory pressure' }, (event) => {
        // The cgroup went away: the source closes itself after this call.
        if (event.gone) logger.warn({ path: source.trigger.path }, 'memory pressure watch ended: its cgroup is gone');
        else onPressure();
      });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_REACTOR_PRESSURE_DISABLED') return undefined;
      logger.warn({ err: error, env: { MEMORY_PRESSURE_WATCH: env.MEMORY_PRESSURE_WATCH, MEMORY_PRESSURE_WRITE: env.MEMORY_PRESSURE_WRITE } }, 'memory pressure not watched');
      return undefined;
    }
    logger.info({ ...source.trigger }, 'watching memory pressure');
    return new MemoryPressureWatch(source);
  }

  /** The pressure file now (avg10 and the total stall), for the log. */
  stats(): { avg10: number; totalUs: number } {
    const some = this.#source.read().some;
    return { avg10: some.avg10, totalUs: some.totalUs };
  }

  close(): void {
    this.#source.close();
  }
}
