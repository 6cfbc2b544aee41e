/** The report's account of the machine's load: the rule, a table per section, and the warning when the rule was broken. */
import { DISTURBED_RULE } from './load';
import type { Results } from './results';

const pct = (cores: number | undefined) => (cores === undefined || !Number.isFinite(cores) ? 'n/a' : `${(cores * 100).toFixed(0)}%`);

/** Sections of `r` that the load rule calls disturbed. */
export function disturbedOf(r: Results): string[] {
  return Object.entries(r.load ?? {})
    .filter(([, l]) => l.disturbed)
    .map(([s]) => s);
}

/** The warning at the top of a report with disturbed sections (empty when none). */
export function disturbedBanner(r: Results): string[] {
  const d = disturbedOf(r);
  if (d.length === 0) return [];
  return [
    `**Disturbed: ${d.join(', ')}.** Other work competed for the CPU while ${d.length === 1 ? 'this section' : 'these sections'} ran (see Load): ` +
      'their ratios are not comparable with a quiet run and are marked "disturbed" below.',
    '',
  ];
}

/** The Load table: before and during each section, with the verdict. */
export function loadSection(r: Results): string[] {
  const load = r.load ?? {};
  if (Object.keys(load).length === 0) return [];
  const lines = [
    '### Load',
    '',
    `CPU is in shares of one core. "Others" is what processes other than the benchmark's own used. The rule: ${DISTURBED_RULE}.`,
    '',
    '| section | others before | others, mean | others, peak window | benchmark\'s own | irq+softirq | CPU pressure (PSI some) | loadavg before → after | verdict |',
    '|---|---:|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const [section, l] of Object.entries(load)) {
    lines.push(
      `| ${section} | ${pct(l.othersBeforeCores)} | ${pct(l.othersCores)} | ${pct(l.othersPeakCores)} | ${pct(l.ownCores)} | ${pct(l.irqCores)} | ` +
        `${l.pressurePercent === undefined ? 'n/a' : `${l.pressurePercent.toFixed(0)}%`} | ${l.loadavgBefore.join(' ')} → ${l.loadavgAfter.join(' ')} | ` +
        `${l.disturbed ? `**disturbed**: ${l.reasons.join('; ')}` : 'quiet'} |`,
    );
  }
  lines.push('');
  return lines;
}

/** " (disturbed)" after a heading or a goal whose section was disturbed. */
export function disturbedMark(r: Results, section: string | undefined): string {
  return section !== undefined && r.load?.[section]?.disturbed === true ? ' (disturbed)' : '';
}
