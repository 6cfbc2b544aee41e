// jest's globalTeardown for the soak suite (and runnable alone:
// `node packages/reactor/soak/write-results.js`): gathers results/*.json,
// which each soak file writes, into RESULTS.md beside this file.
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

function main() {
  let files = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return;
  }
  const sections = [];
  for (const file of files) {
    const figures = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    if (Object.keys(figures).length === 0) continue;
    sections.push(`## ${file.replace(/\.json$/, '')}\n\n${table(figures)}`);
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const header = [
    '# Soak and fault suite: figures',
    '',
    `Written by \`pnpm test:soak\` (packages/reactor/soak/write-results.js) on ${new Date().toISOString()}.`,
    `Machine: ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, Node ${process.version}.`,
    'Each section is one soak file (results/<name>.json); rss/hwm are VmRSS/VmHWM in MiB from /proc/<pid>/status.',
  ].join('\n');
  writeFileSync(join(__dirname, 'RESULTS.md'), `${header}\n\n${sections.join('\n\n')}\n`);
}

module.exports = async () => main();
if (require.main === module) main();
