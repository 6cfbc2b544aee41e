// Gathers results/*.json, which each soak file writes, into RESULTS.md beside
// this file. Called after every record(), as jest's globalTeardown for the
// soak suite, and runnable alone: `node packages/reactor/soak/write-results.js`.
const { readdirSync, readFileSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');

const dir = join(__dirname, 'results');

function table(figures) {
  const rows = [];
  const walk = (prefix, value) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v);
    } else {
      rows.push(`| ${prefix} | ${Array.isArray(value) ? value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : v)).join(', ') : String(value)} |`);
    }
  };
  walk('', figures);
  return ['| figure | value |', '|---|---|', ...rows].join('\n');
}

/** The README's "Reliability" table: one row per claim, from whichever results are present. */
function summary(r) {
  const rows = [];
  const add = (what, tried, outcome) => rows.push(`| ${what} | ${tried} | ${outcome} |`);
  const n = (x) => (typeof x === 'number' ? x.toLocaleString('en-US') : String(x));
  const { load, signals, faults, timers, exit, security } = r;
  const bad = r['bad-input'];
  if (load?.held) {
    const s = load.heldServer;
    add('connections held open, echoing', `${n(load.held.connections)} from ${load.held.clientProcesses} client processes, ${load.held.echoRoundsMs.length} echo rounds (slowest ${Math.max(...load.held.echoRoundsMs)} ms)`,
      `server fds ${s.fdsBefore} → ${s.fdsHeld} → ${s.fdsAfter}; RSS ${s.rssBeforeMiB} → ${s.rssHeldMiB} → ${s.rssAfterMiB} MiB`);
  }
  if (load?.churn) {
    const s = load.churnServer;
    add('connections opened, echoed, closed (churn)', `${n(load.churn.connections)} in ${(load.churn.ms / 1000).toFixed(1)} s (${n(load.churn.perSecond)}/s), over ${load.churn.destinations.length} loopback addresses; 1 in 4 closed by RST`,
      `server fds ${s.fdsBaseline} → ${s.fdsAfter}; RSS ${s.rssBeforeMiB} → peak ${s.rssPeakMiB} → ${s.rssAfterMiB} MiB`);
  }
  if (faults?.slowReaders) {
    const f = faults.slowReaders;
    add('slow readers (never read their echo)', `${n(f.connections)} peers sent ${n(f.clientSentMiB)} MiB`, `largest queue ${f.maxQueuedKiB} KiB (high-water mark ${f.highWaterMarkKiB} KiB); RSS ${f.rssBeforeMiB} → ${f.rssStalledMiB} MiB`);
  }
  if (faults?.resetMidWrite) {
    const f = faults.resetMidWrite;
    add('peers reset mid-write', `${n(f.connections)}`, `${Object.entries(f.serverErrors).map(([k, v]) => `${n(v)} ${k}`).join(', ')}; fds ${f.fdsBefore} → ${f.fdsAfter}`);
  }
  if (faults?.halfOpen) add('half-open peers (FIN, then wait for the answer)', n(faults.halfOpen.peers), 'every answer complete, then closed');
  if (faults?.idleTimeout) {
    const f = faults.idleTimeout;
    add('idle and trickling peers (slowloris), idle timeout', `${n(f.idlePeers)} (${n(f.trickling)} trickling) + ${n(f.chattyPeers)} chatty, timeout ${f.idleTimeoutMs} ms`, `${n(f.cut)} cut, last after ${f.lastCutAfterMs} ms; chatty ones cut: ${f.chattyCut}`);
  }
  if (faults?.emfileStorm) {
    const f = faults.emfileStorm;
    add('EMFILE storm', `RLIMIT_NOFILE ${f.rlimitNofile}; ${f.waves} waves × ${n(f.connectsPerWave)} connects`, `${f.acceptPauses} accept pauses; a held connection served throughout; recovered after every wave`);
  }
  if (faults?.throwingHandlers) {
    const f = faults.throwingHandlers;
    const thrown = Object.values(f.thrown).reduce((a, b) => a + b, 0);
    add('handlers that throw on every event', `${(f.durationMs / 1000).toFixed(0)} s: timers, fd watch, signals, connection, data, defer`, `${n(thrown)} throws, all reported; ${n(f.bytesEchoedMeanwhile)} bytes echoed meanwhile`);
  }
  if (faults?.closedInBatch) {
    const f = faults.closedInBatch;
    add('sources closed by their own handler and by another in the same batch', `${f.rounds} batches × ${f.sourcesPerRound} eventfds, + ${f.connectionsDestroyedInBatch} connections`, `${n(f.removedByAnotherHandler)} removed by another handler; stale calls: ${f.staleCalls}`);
  }
  if (signals?.sighup) {
    const s = signals.sighup;
    add('SIGHUP storm from another process, under load', `${n(s.sent)} signals in ${s.stormMs} ms, ${n(s.connectionsHeld)} connections echoing`, `survived; handler ran ${n(s.handled)} times (coalesced), the last run after the last signal; ${s.echoFailures} echo failures`);
  }
  if (signals?.sigterm) add('SIGTERM under load', `${n(signals.sigterm.connectionsOpen)} open connections`, `drained in ${signals.sigterm.drainMs} ms, exit code ${signals.sigterm.exitCode}`);
  if (timers?.storm) {
    const t = timers.storm;
    add('timers created and cancelled from timer callbacks', `${n(t.created)} timers`, `${n(t.fired)} fired, ${n(t.cancelled)} cancelled; early ${t.early}, lost ${t.lost}, fired twice ${t.firedTwice}, fired after cancel ${t.firedAfterCancel}`);
  }
  if (exit) {
    const cases = Object.entries(exit).filter(([, v]) => v && typeof v === 'object' && 'runs' in v);
    if (cases.length > 0) add('the process exits', `${cases.length} cases × ${cases[0][1].runs} runs: ${cases.map(([k]) => k).join(', ')}`, `hung: ${cases.reduce((a, [, v]) => a + v.hung, 0)}; slowest ${Math.max(...cases.map(([, v]) => v.maxMs))} ms`);
    if (exit.threads) add('threads after a Cluster and a worker loop stop', '', `${exit.threads.before} → ${exit.threads.withCluster} → ${exit.threads.after}; fds ${exit.threads.fdsBefore} → ${exit.threads.fdsAfter}`);
  }
  if (bad?.http) add('malformed and oversized HTTP requests (`http` example)', `${bad.http.inputsTried} kinds`, `each an error response (400/413/431/501) and a close, or bounded; RSS ${bad.http.rssBeforeMiB} → ${bad.http.rssAfterMiB} MiB, peak ${bad.http.hwmMiB} MiB`);
  if (bad?.kv) add('malformed and oversized RESP requests (`kv` example)', `${bad.kv.inputsTried} kinds`, `each an -ERR reply (and a close for protocol errors); RSS ${bad.kv.rssBeforeMiB} → ${bad.kv.rssAfterMiB} MiB, peak ${bad.kv.hwmMiB} MiB`);
  if (security?.closeOnExec) add('close-on-exec', `${security.closeOnExec.kinds.length} kinds of socket and pipe fds`, `inherited by a child: ${security.closeOnExec.inheritedByChild}`);
  if (security?.unixMode) add('Unix socket mode, another user', 'mode 0o666 and 0o600, client uid nobody', `0o666 connected (SO_PEERCRED uid ${security.unixMode.peerCredentials.uid}), 0o600 ${security.unixMode['0o600 as nobody']}`);
  if (security?.leftoversAfterClose) {
    const { before, after } = security.leftoversAfterClose;
    // The carrier (SIGRTMAX) stays blocked in the loop's thread after close(), by design (docs/signals.md):
    // the mask is "restored" when nothing else is left blocked.
    const carrier = 1n << 63n;
    const extraBlocked = BigInt(`0x${after.sigBlk}`) & ~BigInt(`0x${before.sigBlk}`);
    const mask = extraBlocked === 0n ? 'restored' : extraBlocked === carrier ? 'restored but for the carrier (SIGRTMAX), blocked by design' : 'CHANGED';
    const dispositions = after.sigCgt === before.sigCgt ? 'restored' : 'CHANGED';
    add('left behind after close()', 'signals, listeners, threads, fds', `signal dispositions ${dispositions}; signal mask ${mask}; listeners ${after.listeners.join('/')}; threads ${before.threads} → ${after.threads}; fds ${before.fds} → ${after.fds}`);
  }
  return ['| what | tried | result |', '|---|---|---|', ...rows].join('\n');
}

function main() {
  let files = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return;
  }
  const sections = [];
  const all = {};
  const scales = new Set();
  const bindings = new Set();
  for (const file of files) {
    const figures = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    if (Object.keys(figures).length === 0) continue;
    all[file.replace(/\.json$/, '')] = figures;
    scales.add(figures.scale);
    bindings.add(figures.binding);
    sections.push(`### ${file.replace(/\.json$/, '')}\n\n${table(figures)}`);
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const header = [
    '# Soak and fault suite: figures',
    '',
    `Written by \`pnpm test:soak\` (packages/reactor/soak/write-results.js) on ${new Date().toISOString()}.`,
    `Machine: ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, Node ${process.version}; load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} (1 / 5 / 15 min: other work on the machine slows the figures).`,
    `Scale: ${[...scales].join(', ')} (SOAK_SCALE=short is the CI size); binding: ${[...bindings].join(', ')}.`,
    'RSS and HWM are VmRSS and VmHWM from /proc/<pid>/status, in MiB, of the server under test.',
  ].join('\n');
  const body = [header, '## Summary', summary(all), '## Every figure', 'Each section is one soak file (results/<name>.json).', ...sections];
  // Only a full-scale run replaces the committed RESULTS.md; a short (CI) or
  // mixed run writes results/RESULTS.md, which git ignores.
  const full = scales.size === 1 && scales.has('full');
  writeFileSync(full ? join(__dirname, 'RESULTS.md') : join(dir, 'RESULTS.md'), `${body.join('\n\n')}\n`);
}

module.exports = async () => main();
/** Rebuild RESULTS.md now (each `record()` does, so it is current even if the teardown does not run). */
module.exports.write = main;
if (require.main === module) main();
