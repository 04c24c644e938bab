import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../src/markdown.js';
import { renderSvg } from '../src/svg.js';
import { failedResult, okResult, sampleReport } from './sample-report.js';

describe('Markdown table', () => {
  const report = sampleReport([
    okResult(),
    okResult({
      backend: 'tfjs',
      device: 'wasm',
      imagesPerSecond: 0.5,
      parity: { maxAbsDiff: 3.2e-5, cosine: 0.99999 },
    }),
    failedResult(),
  ]);
  const markdown = renderMarkdown(report);
  const rows = markdown.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| ---'));

  it('has a header and one row per result, then the preprocessing table', () => {
    expect(rows[0]).toContain('items/s');
    expect(rows.filter((row) => /\| (image|text) \|/.test(row))).toHaveLength(3);
    expect(markdown).toContain('## Preprocessing');
    expect(markdown).toContain('| tokenizer | @altclip/tokenizer | 2,900,000 |');
  });

  it('states the command, the date, the machine load and the roofline', () => {
    expect(markdown).toContain('`npm run bench -- --quick`');
    expect(markdown).toContain('2026-11-29T23:00:00.000Z');
    expect(markdown).toContain('at start 0.50 / 0.40 / 0.30');
    expect(markdown).toContain('660.0 GFLOP/s');
  });

  it('prints measured numbers and parity', () => {
    expect(rows[1]).toContain('| ort-node cpu fp32 | image | 8 | 2.50 | 3,200.0 | 3,400.0 |');
    expect(rows[1]).toContain('| 61.0 |');
    expect(rows[2]).toContain('3.2e-5');
  });

  it('prints no number for a failed configuration, and escapes its reason', () => {
    const failed = rows[3];
    expect(failed).toContain('failed: load failed: WebGL is not available <here> & \\| there');
    expect(failed.replace(/failed:.*/, '')).not.toMatch(/\d\.\d/);
  });
});

describe('SVG chart', () => {
  const svg = renderSvg(
    sampleReport([okResult(), okResult({ backend: 'tfjs', imagesPerSecond: 1.25 }), failedResult()]),
  );

  it('draws one bar per measured result, scaled to the fastest', () => {
    const widths = [...svg.matchAll(/<rect x="\d+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(2);
    expect(widths[1] / widths[0]).toBeCloseTo(0.5, 2);
  });

  it('marks failed results without a bar, and escapes text', () => {
    expect(svg).toContain('>failed</text>');
    expect(svg).toContain('tfjs webgl fp32 (browser) b=1');
    expect(svg).not.toMatch(/<here>/);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('<title>AltCLIP throughput — large, 2026-11-29, 2 CPU(s)</title>');
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });
});
