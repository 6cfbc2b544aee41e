/**
 * Hand-made SVG bar charts (no dependency): one horizontal bar per row and
 * series, bar length proportional to the value, the value printed at its end.
 */

export interface BarChart {
  title: string;
  /** The unit of the values, shown in the axis note ("requests/s"). */
  unit: string;
  /** Series names (colours), e.g. ["50 connections", "1000 connections"]. */
  series: string[];
  /** One group of bars per row; values[i] belongs to series[i]; undefined = not measured. */
  rows: Array<{ label: string; values: Array<number | undefined> }>;
  /** A short line under the title (what is better, the machine). */
  note?: string;
}

const COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948'];
/** Width of the bars' area and the values after them; the label column grows with the longest label. */
const PLOT_AND_VALUES_WIDTH = 630;
/** Approximate pixels per character of a 12 px sans-serif label (wide enough for digits and capitals). */
const CHAR_WIDTH = 7;
const VALUE_WIDTH = 90;
const BAR_HEIGHT = 16;
const ROW_GAP = 12;
const TOP = 70;

/** Escape text for an SVG text node or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 1234567 → "1.23M", 45678 → "45.7k", 12.345 → "12.3". */
export function formatValue(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** Pixel length of a bar for `value` when `max` fills `plotWidth`. */
export function barLength(value: number, max: number, plotWidth: number): number {
  if (!(max > 0) || !(value > 0)) return 0;
  return (value / max) * plotWidth;
}

export function barChart(chart: BarChart): string {
  // Long labels ("reactor, koffi, --threads 2 (node mode each)") were clipped by a fixed column.
  const longest = Math.max(0, ...chart.rows.map((r) => r.label.length));
  const labelWidth = Math.max(160, Math.ceil(longest * CHAR_WIDTH) + 16);
  const width = labelWidth + PLOT_AND_VALUES_WIDTH;
  const plotWidth = width - labelWidth - VALUE_WIDTH - 20;
  const groupHeight = chart.series.length * BAR_HEIGHT + ROW_GAP;
  const height = TOP + chart.rows.length * groupHeight + 30;
  const max = Math.max(0, ...chart.rows.flatMap((r) => r.values.filter((v): v is number => v !== undefined && Number.isFinite(v))));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="10" y="22" font-size="16" font-weight="bold">${escapeXml(chart.title)}</text>`);
  out.push(`<text x="10" y="40" fill="#555555">${escapeXml(chart.note ?? chart.unit)}</text>`);
  let lx = 10;
  chart.series.forEach((name, i) => {
    out.push(`<rect x="${lx}" y="50" width="12" height="12" fill="${COLOURS[i % COLOURS.length]}"/>`);
    out.push(`<text x="${lx + 16}" y="60">${escapeXml(name)}</text>`);
    lx += 30 + name.length * 7;
  });
  chart.rows.forEach((row, r) => {
    const y0 = TOP + r * groupHeight;
    out.push(`<text x="${labelWidth - 8}" y="${y0 + (chart.series.length * BAR_HEIGHT) / 2 + 4}" text-anchor="end">${escapeXml(row.label)}</text>`);
    row.values.forEach((value, i) => {
      const y = y0 + i * BAR_HEIGHT;
      if (value === undefined || !Number.isFinite(value)) {
        out.push(`<text x="${labelWidth + 4}" y="${y + 12}" fill="#999999">not measured</text>`);
        return;
      }
      const w = barLength(value, max, plotWidth);
      out.push(`<rect class="bar" x="${labelWidth}" y="${y + 1}" width="${w.toFixed(1)}" height="${BAR_HEIGHT - 2}" fill="${COLOURS[i % COLOURS.length]}"><title>${escapeXml(`${row.label}, ${chart.series[i]}: ${value} ${chart.unit}`)}</title></rect>`);
      out.push(`<text x="${(labelWidth + w + 4).toFixed(1)}" y="${y + 12}">${formatValue(value)}</text>`);
    });
  });
  const axisY = TOP + chart.rows.length * groupHeight;
  out.push(`<line x1="${labelWidth}" y1="${TOP - 4}" x2="${labelWidth}" y2="${axisY}" stroke="#333333"/>`);
  out.push(`<text x="${labelWidth}" y="${axisY + 18}" fill="#555555">0</text>`);
  out.push(`<text x="${labelWidth + plotWidth}" y="${axisY + 18}" text-anchor="end" fill="#555555">${escapeXml(`${formatValue(max)} ${chart.unit}`)}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
