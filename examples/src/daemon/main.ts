/**
 * `pnpm start`: a small daemon on one reactor, nothing to configure.
 *
 * - HTTP on 127.0.0.1:8080 (`--port`, or PORT / REACTOR_DAEMON_PORT; 0 picks
 *   a free port): `/` a status page with the loop's live stats(), `/stats`
 *   the same as JSON, `/healthz`.
 * - A heartbeat log line from a loop timer (timerfd).
 * - A worker thread that hashes and hands its results to the loop through
 *   the loop's eventfd.
 * - A supervised child process (a health prober), watched through a pidfd and
 *   restarted with back-off when it dies.
 * - SIGHUP, or a change of the config file (`loop.watchPath()`: inotify,
 *   following a save by rename; `--watch-config off` turns it off), rereads the config (`--config`,
 *   default examples/daemon.config.json): log level, heartbeat, timeouts,
 *   worker and child settings; open connections stay. A bad file is logged
 *   and ignored.
 * - SIGTERM or SIGINT (Ctrl-C): stop accepting, finish the requests in flight,
 *   close idle connections, stop the worker and the child, exit 0; whatever
 *   is still open after `drainTimeoutMs` is closed. A second signal closes at once.
 * - SIGUSR2: restart without dropping a request: a new instance of the same
 *   program gets the listening sockets (handoff.ts); once it serves, this one
 *   stops accepting, answers what is in flight with `Connection: close`,
 *   closes idle connections after a short grace and exits 0.
 * - Memory pressure (pressure.ts: loop.memoryPressure(), a PSI trigger): idle keep-alive
 *   connections are closed and it is logged.
 * - Under systemd (service.ts): serves on the sockets of socket activation
 *   when it gets them; READY=1 once listening, RELOADING=1/READY=1 around a
 *   reload, STOPPING=1 on shutdown, STATUS= with its counters, MAINPID= from
 *   an instance that took over; WATCHDOG=1 pings when WATCHDOG_USEC is set.
 *
 * Every signal arrives as a loop event (signalfd), sent by another process.
 */
import { join, resolve } from 'node:path';
import { bindingName } from '@reactor/fds';
import { Reactor, type Timer } from '@reactor/reactor';
import { flag, intFlag } from '../args';
import { ConfigError, loadConfig, type DaemonConfig } from './config';
import { ConfigWatch } from './config-watch';
import { receiveHandoff, startSuccessor } from './handoff';
import { HttpServer, type HttpResponse } from './http';
import { createLogger } from './log';
import { renderStatusPage, type StatusSnapshot } from './page';
import { MemoryPressureWatch } from './pressure';
import { activatedSockets, ServiceManager } from './service';
import { Supervisor, type SupervisorOptions } from './supervisor';
import { HashWorker } from './worker';

/** examples/daemon.config.json, from examples/dist/daemon/. */
export const DEFAULT_CONFIG_PATH = join(__dirname, '..', '..', 'daemon.config.json');
const CHILD_GRACE_MS = 2000;
const WORKER_GRACE_MS = 2000;
/** After a hand-over, idle keep-alive connections get this long to send one more request (answered with Connection: close). */
const HANDOFF_IDLE_GRACE_MS = 1000;

function portFrom(args: string[]): number {
  const env = process.env.PORT || process.env.REACTOR_DAEMON_PORT;
  let fallback = 8080;
  if (env !== undefined) {
    // Decimal digits only, as intFlag: Number(' ') is 0 (a random port).
    fallback = /^\d{1,5}$/.test(env) ? Number(env) : NaN;
    if (!Number.isInteger(fallback) || fallback < 0 || fallback > 65535) throw new Error(`PORT must be an integer in [0, 65535]; got ${env}`);
  }
  return intFlag(args, 'port', fallback);
}

export async function main(args: string[]): Promise<number> {
  // First, before anything can fail: the environment variables of socket
  // activation and of a hand-over must not reach this process's children.
  const activated = activatedSockets();
  const handoff = receiveHandoff();
  const port = portFrom(args);
  const host = flag(args, 'host') ?? '127.0.0.1';
  const configPath = resolve(flag(args, 'config') ?? DEFAULT_CONFIG_PATH);
  let config: DaemonConfig = loadConfig(configPath);
  // One root logger; each part logs through its child, so every line says
  // which part wrote it ({ component: 'http' | 'worker' | … }). The loop makes
  // its own child ({ component: 'reactor' }). pino children follow the root's
  // level, so a reload sets it once, on the root.
  const root = createLogger(config.logLevel);
  const logger = root.child({ component: 'main' });
  const loop = new Reactor({ logger: root, keepLoopAlive: true });
  const startedAt = performance.now();
  let reloads = 0;
  let heartbeats = 0;
  let shuttingDown = false;
  let handingOff = false;
  // 503 on /healthz while stopping; not after a hand-over, where the service goes on in the new instance.
  let stopping = false;
  const service = new ServiceManager(root.child({ component: 'systemd' }));

  const snapshot = (): StatusSnapshot => ({
    pid: process.pid,
    binding: bindingName(),
    uptimeMs: performance.now() - startedAt,
    configPath,
    reloads,
    heartbeats,
    loop: { ...loop.stats() },
    http: { ...server.counters() },
    worker: { ...worker.status(), last: worker.status().last?.digest.slice(0, 16) },
    child: { ...supervisor.status(), probesOk: probes.ok, probesFailed: probes.failed },
    config,
  });

  const route = (request: { method: string; target: string }): HttpResponse => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return { status: 405, contentType: 'text/plain', body: 'GET or HEAD only\n', headers: { Allow: 'GET, HEAD' } };
    }
    const path = request.target.split('?')[0];
    if (path === '/') return { status: 200, contentType: 'text/html; charset=utf-8', body: renderStatusPage(snapshot()) };
    if (path === '/stats') return { status: 200, contentType: 'application/json', body: `${JSON.stringify(snapshot())}\n` };
    if (path === '/healthz') return { status: stopping ? 503 : 200, contentType: 'text/plain', body: stopping ? 'stopping\n' : 'ok\n' };
    return { status: 404, contentType: 'text/plain', body: 'not found\n' };
  };

  const fds = handoff !== undefined ? handoff.sockets : activated.map((s) => s.fd);
  const server = new HttpServer(loop, { host, port, fds, idleTimeoutMs: config.idleTimeoutMs }, route, root.child({ component: 'http' }));
  const boundPort = server.port;
  const serving = server.addresses().map((a) => ('port' in a ? `${a.address}:${a.port}` : a.path)).join(' ');
  const statusLine = (): string => {
    const http = server.counters();
    return `serving on ${serving}: ${http.requests} requests, ${http.connectionsOpen} connections open, ${reloads} reloads`;
  };

  const beat = () => {
    heartbeats++;
    const s = loop.stats();
    const http = server.counters();
    logger.info(
      { turns: s.turns, events: s.events, timersFired: s.timersFired, wakeups: s.wakeups, messages: s.messages, signals: s.signals,
        childrenExited: s.childrenExited, connections: http.connectionsOpen, requests: http.requests, workResults: worker.status().results },
      'heartbeat',
    );
    service.send({ status: statusLine() });
  };
  let heartbeat: Timer = loop.every(config.heartbeatMs, beat);

  const worker = new HashWorker(loop, config.worker, root.child({ component: 'worker' }));

  const probes = { ok: 0, failed: 0 };
  const proberLog = root.child({ component: 'prober' });
  const supervisorOptions = (c: DaemonConfig): SupervisorOptions => ({
    command: process.execPath,
    args: () => [join(__dirname, 'prober.js'), String(boundPort), String(c.child.probeIntervalMs)],
    restartMinMs: c.child.restartMinMs,
    restartMaxMs: c.child.restartMaxMs,
    onLine: (line) => {
      if (line.startsWith('ok ')) probes.ok++;
      else probes.failed++;
      proberLog.debug({ line }, 'probe');
    },
  });
  const supervisor = new Supervisor(loop, supervisorOptions(config), root.child({ component: 'supervisor' }));
  supervisor.start();

  const reload = (cause: string) => {
    if (shuttingDown) return;
    service.send({ reloading: true, status: `reloading ${configPath}` });
    let next: DaemonConfig;
    try {
      next = loadConfig(configPath);
    } catch (error) {
      logger.error({ err: error instanceof ConfigError ? error.message : error, cause }, 'config rejected; keeping the running one');
      service.send({ ready: true, status: `config rejected; ${statusLine()}` });
      return;
    }
    root.level = next.logLevel;
    if (next.heartbeatMs !== config.heartbeatMs) {
      heartbeat.cancel();
      heartbeat = loop.every(next.heartbeatMs, beat);
    }
    server.setIdleTimeout(next.idleTimeoutMs);
    worker.update(next.worker);
    supervisor.update(supervisorOptions(next));
    config = next;
    reloads++;
    logger.info({ reloads, config, cause }, 'config reloaded');
    service.send({ ready: true, status: statusLine() });
  };
  loop.onSignal('SIGHUP', () => reload('SIGHUP'));
  const watchMode = flag(args, 'watch-config') ?? 'on';
  if (watchMode !== 'on' && watchMode !== 'off') throw new Error(`--watch-config must be on or off; got ${watchMode}`);
  const configWatch = watchMode === 'on' ? new ConfigWatch(loop, configPath, () => reload('file changed'), logger) : undefined;

  const shutdown = (info: { name: string }, handedOverTo?: number) => {
    if (shuttingDown) {
      logger.warn({ signal: info.name }, 'second signal: closing every connection now');
      server.destroyAll();
      return;
    }
    shuttingDown = true;
    stopping = handedOverTo === undefined;
    logger.info({ signal: info.name, drainTimeoutMs: config.drainTimeoutMs, connections: server.counters().connectionsOpen, handedOverTo }, 'shutting down');
    // After a hand-over the new instance is the service: a STOPPING=1 from
    // here would tell the manager the whole service stops.
    if (handedOverTo === undefined) service.send({ stopping: true, status: 'stopping' });
    service.close();
    configWatch?.close();
    pressure?.close();
    heartbeat.cancel();
    // The bound on the whole exit: the drain, then the child's and the worker's grace.
    setTimeout(() => {
      logger.fatal('shutdown did not finish in time');
      process.exit(1);
    }, config.drainTimeoutMs + CHILD_GRACE_MS + WORKER_GRACE_MS + 1000).unref();
    const idleGraceMs = handedOverTo === undefined ? 0 : HANDOFF_IDLE_GRACE_MS;
    void Promise.all([server.drain(config.drainTimeoutMs, idleGraceMs), supervisor.stop(CHILD_GRACE_MS), worker.stop(WORKER_GRACE_MS)]).then(
      ([drain, , workerCode]) => {
        logger.info({ ...drain, workerExitCode: workerCode, probes, stats: loop.stats() }, 'stopped');
        loop.stop();
      },
    );
  };
  // Under memory pressure, shed what costs memory and is not working: idle keep-alive connections.
  let shed = 0;
  const pressure = MemoryPressureWatch.start(loop, () => {
    const closed = server.closeIdle();
    shed += closed;
    logger.warn({ closed, shedTotal: shed, pressure: pressure?.stats(), connections: server.counters().connectionsOpen }, 'memory pressure: closed idle keep-alive connections');
  }, logger);

  loop.onSignal('SIGTERM', (info) => shutdown(info));
  loop.onSignal('SIGINT', (info) => shutdown(info));

  let watchdogUsec: number | undefined;
  loop.onSignal('SIGUSR2', () => {
    if (shuttingDown || handingOff) return;
    handingOff = true;
    // The new instance pings the watchdog from its start: this process's
    // WATCHDOG_PID must not turn it off there.
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.WATCHDOG_PID;
    if (watchdogUsec === undefined) delete env.WATCHDOG_USEC;
    else env.WATCHDOG_USEC = String(watchdogUsec);
    try {
      const pid = startSuccessor(loop, server.listeningSockets(), env, {
        onReady: (ready) => {
          logger.info({ successorPid: ready }, 'the new instance serves; draining this one');
          shutdown({ name: 'SIGUSR2' }, ready);
        },
        onFailed: (reason) => {
          handingOff = false;
          logger.error({ reason }, 'restart failed; this instance keeps serving');
        },
      }, logger);
      logger.info({ successorPid: pid }, 'restarting: new instance started, sockets handed over');
    } catch (error) {
      handingOff = false;
      logger.error({ err: error }, 'restart failed; this instance keeps serving');
    }
  });

  const host_ = server.addresses()[0];
  const shownHost = host_ !== undefined && 'address' in host_ ? host_.address : host;
  logger.info(
    { host: shownHost, port: boundPort, addresses: serving, activated: activated.length, handedOver: handoff !== undefined, binding: bindingName(), config: configPath },
    `listening on http://${shownHost}:${boundPort}`,
  );
  // The service is up: READY=1, and after a hand-over, this is the service's main process now.
  service.send({ ready: true, mainPid: handoff !== undefined ? process.pid : undefined, status: statusLine() });
  handoff?.ready();
  watchdogUsec = service.startWatchdog(loop);
  await loop.run();
  loop.close();
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`daemon: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
