/**
 * The status page: the same snapshot as /stats, as an HTML page that
 * reloads itself every two seconds. Every value is escaped.
 */
export interface StatusSnapshot {
  pid: number;
  binding: string;
  uptimeMs: number;
  configPath: string;
  reloads: number;
  heartbeats: number;
  loop: Record<string, number>;
  http: Record<string, number>;
  worker: Record<string, unknown>;
  child: Record<string, unknown>;
  config: unknown;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function show(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(1);
  if (value === undefined || value === null) return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function table(title: string, rows: Record<string, unknown>): string {
  const body = Object.entries(rows)
    .map(([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(show(value))}</td></tr>`)
    .join('');
  return `<section><h2>${escapeHtml(title)}</h2><table>${body}</table></section>`;
}

export function renderStatusPage(s: StatusSnapshot): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>reactor daemon ${s.pid}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}section{display:inline-block;vertical-align:top;margin:0 2em 1em 0}
th{text-align:left;font-weight:normal;color:#555;padding-right:1em}td{font-family:monospace}</style></head>
<body><h1>reactor daemon</h1>
<p>pid ${s.pid}, FFI binding ${escapeHtml(s.binding)}, up ${(s.uptimeMs / 1000).toFixed(1)} s,
config ${escapeHtml(s.configPath)} (reloaded ${s.reloads}×), ${s.heartbeats} heartbeats. <a href="/stats">/stats</a> has this as JSON.</p>
${table('loop.stats()', s.loop)}
${table('http', s.http)}
${table('worker thread', s.worker)}
${table('supervised child', s.child)}
${table('config', s.config as Record<string, unknown>)}
</body></html>
`;
}
