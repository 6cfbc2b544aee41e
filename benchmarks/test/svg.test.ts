/** The hand-made SVG bar charts: well-formed, bars proportional to values, text escaped. */
import { barChart, barLength, escapeXml, formatValue } from '../src/svg';

/** A small checker for the subset of XML barChart emits: every tag closed, in order. */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)([^>]*?)(\/?)>/g)) {
    const [, closing, name, attrs, selfClosing] = m;
    // Attribute values are quoted and carry no raw < or &.
    expect(attrs).not.toMatch(/[<]|&(?!amp;|lt;|gt;|quot;)/);
    if (selfClosing === '/') continue;
    if (closing === '/') expect(stack.pop()).toBe(name);
    else stack.push(name!);
  }
  expect(stack).toEqual([]);
  // Text outside tags carries no raw & either.
  expect(svg.replace(/<[^>]*>/g, '')).not.toMatch(/&(?!amp;|lt;|gt;|quot;)/);
}

const widths = (svg: string) => [...svg.matchAll(/<rect class="bar"[^>]* width="([\d.]+)"/g)].map((m) => Number(m[1]));

describe('barChart', () => {
  const chart = barChart({
    title: 'HTTP <hello> & friends',
    unit: 'req/s',
    series: ['50 connections', '1000 connections'],
    rows: [
      { label: 'C', values: [200_000, 100_000] },
      { label: 'node:http', values: [50_000, undefined] },
    ],
  });

  it('is one well-formed svg element', () => {
    expect(chart.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(chart.trimEnd().endsWith('</svg>')).toBe(true);
    assertWellFormed(chart);
  });

  it('draws bars proportional to the values, the largest filling the plot', () => {
    const [big, half, quarter] = widths(chart);
    expect(big).toBeGreaterThan(0);
    expect(half! / big!).toBeCloseTo(0.5, 2);
    expect(quarter! / big!).toBeCloseTo(0.25, 2);
  });

  it('says "not measured" instead of drawing a bar for a missing value', () => {
    expect(widths(chart)).toHaveLength(3);
    expect(chart).toContain('not measured');
  });

  it('escapes markup in titles and labels', () => {
    expect(chart).toContain('HTTP &lt;hello&gt; &amp; friends');
    expect(escapeXml('"a" < b')).toBe('&quot;a&quot; &lt; b');
  });

  it('draws nothing for zero, negative or NaN, and stays well-formed with no data', () => {
    expect(barLength(0, 10, 100)).toBe(0);
    expect(barLength(-1, 10, 100)).toBe(0);
    expect(barLength(5, 0, 100)).toBe(0);
    expect(barLength(5, 10, 100)).toBe(50);
    assertWellFormed(barChart({ title: 't', unit: 'u', series: ['s'], rows: [] }));
  });

  it('prints values compactly', () => {
    expect(formatValue(1_234_567)).toBe('1.23M');
    expect(formatValue(45_678)).toBe('45.7k');
    expect(formatValue(123.4)).toBe('123');
    expect(formatValue(12.345)).toBe('12.35');
    expect(formatValue(0.0123)).toBe('0.0123');
  });
});
