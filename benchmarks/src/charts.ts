/** One chart per comparison, built from results.json: file name → SVG text. */
import { median, type Results } from './results';
import { barChart } from './svg';

export function buildCharts(r: Results): Record<string, string> {
  const charts: Record<string, string> = {};
  const machine = `${r.machine.cpuModel}, ${r.machine.cores} cores, Node ${r.machine.node}${r.machine.quick ? ' (quick run: smoke figures)' : ''}`;
  if (r.http !== undefined) {
    const h = r.http;
    charts['http.svg'] = barChart({
      title: 'HTTP "hello": requests/s (wrk), higher is better',
      unit: 'req/s',
      note: `median of ${h.rounds} round(s) × ${h.seconds} s, wrk -t${h.wrkThreads}; ${machine}`,
      series: h.connections.map((c) => `${c} connections`),
      rows: h.rows.map((row) => ({ label: row.label, values: h.connections.map((c) => median((row.samples[String(c)] ?? []).map((s) => s.requestsPerSec))) })),
    });
    charts['http-latency.svg'] = barChart({
      title: 'HTTP "hello": latency p99 (wrk --latency), lower is better',
      unit: 'ms',
      note: machine,
      series: h.connections.map((c) => `p99, ${c} connections`),
      rows: h.rows.map((row) => ({ label: row.label, values: h.connections.map((c) => median((row.samples[String(c)] ?? []).map((s) => s.latencyP99Ms))) })),
    });
  }
  if (r.redis !== undefined) {
    const d = r.redis;
    const tests = ['PING_INLINE', 'PING_MBULK', 'SET', 'GET'];
    // One chart per pipeline depth: -P 16 runs ~10× faster and would flatten -P 1's bars.
    for (const p of d.pipelines) {
      charts[`redis-P${p}.svg`] = barChart({
        title: `Redis protocol, -P ${p}: requests/s (redis-benchmark), higher is better`,
        unit: 'req/s',
        note: `-c ${d.clients}, median of ${d.rounds} round(s); ${machine}`,
        series: tests,
        rows: d.rows.map((row) => ({
          label: row.label,
          values: tests.map((t) => median((row.samples[String(p)] ?? []).map((s) => s[t]?.rps ?? Number.NaN).filter(Number.isFinite))),
        })),
      });
    }
  }
  if (r.timers !== undefined) {
    const t = r.timers;
    charts['timers.svg'] = barChart({
      title: `${t.count.toLocaleString('en')} timers, 10% cancelled: time, lower is better`,
      unit: 'ms',
      note: `delays 0-999 ms, so the wall time cannot be below ~1000 ms; ${machine}`,
      series: ['CPU (ms)', 'schedule+cancel (ms)', 'until the last fired (ms)'],
      rows: t.rows.map((row) => ({ label: row.label, values: (['cpuMs', 'scheduleMs', 'totalMs'] as const).map((k) => median(row.samples.map((s) => s[k]))) })),
    });
    charts['timers-memory.svg'] = barChart({
      title: `${t.count.toLocaleString('en')} timers: peak RSS, lower is better`,
      unit: 'MiB',
      note: machine,
      series: ['peak RSS (MiB)'],
      rows: t.rows.map((row) => ({ label: row.label, values: [median(row.samples.map((s) => s.peakRssMiB))] })),
    });
  }
  if (r.wakeup !== undefined) {
    const w = r.wakeup;
    charts['wakeup.svg'] = barChart({
      title: 'Worker → loop wake-up: latency p50, lower is better',
      unit: 'µs',
      note: `${w.wakes} ping-pongs, median of ${w.rounds} round(s); ${machine}`,
      // Medians only: a p99 of a loaded machine can be 100× the p50 and flatten the bars (p99 is in the table).
      series: ['one-way p50 (µs)', 'round trip p50 (µs)'],
      rows: w.rows.map((row) => ({ label: row.label, values: [median(row.samples.map((s) => s.p50us)), median(row.samples.map((s) => s.rttP50us))] })),
    });
  }
  if (r.ffi !== undefined) {
    const f = r.ffi;
    charts['ffi.svg'] = barChart({
      title: 'FFI cost per call, lower is better',
      unit: 'µs/call',
      note: `median of ${f.rounds} rounds × ${f.iterations} calls; ${machine}`,
      series: ['ffi-rs', 'koffi'],
      rows: Object.entries(f.calls).map(([name, byBinding]) => ({ label: name, values: ['ffi-rs', 'koffi'].map((b) => median(byBinding[b] ?? [])) })),
    });
  }
  if (r.idle !== undefined) {
    charts['idle.svg'] = barChart({
      title: 'Cost of one loop turn (self-wake), lower is better',
      unit: 'µs/turn',
      note: `default run mode (inside Node's loop) vs runBlocking; ${machine}`,
      series: ['default mode (µs)', 'runBlocking (µs)'],
      rows: r.idle.rows.map((row) => ({ label: row.binding, values: [row.nodeModeUsPerTurn, row.blockingUsPerTurn] })),
    });
  }
  return charts;
}
