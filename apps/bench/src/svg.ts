import { configurationLabel, show, throughput } from './format.js';
import type { BenchReport, BenchResult, Tower } from './report.js';

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLORS: Record<string, string> = { 'ort-node': '#1f77b4', 'ort-web': '#17becf', tfjs: '#ff7f0e' };
const LABEL_WIDTH = 300;
const BAR_WIDTH = 420;
const ROW = 22;

/**
 * Throughput per configuration as horizontal bars, one panel per tower; bars are scaled within a panel.
 * Failed configurations get a row that says so, never a bar.
 */
export function renderSvg(report: BenchReport): string {
  const panels: { tower: Tower; rows: BenchResult[] }[] = (['image', 'text'] as const)
    .map((tower) => ({ tower, rows: report.results.filter((r) => r.tower === tower) }))
    .filter((panel) => panel.rows.length > 0);
  const width = LABEL_WIDTH + BAR_WIDTH + 120;
  const parts: string[] = [];
  let y = 30;
  const title = `AltCLIP throughput — ${report.model.ref}, ${report.date.slice(0, 10)}, ${report.machine.cpuCount} CPU(s)`;
  parts.push(`<text x="10" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`);
  for (const panel of panels) {
    y += 10;
    parts.push(
      `<text x="10" y="${y + 12}" font-size="13" font-weight="bold">${panel.tower === 'image' ? 'images/s' : 'texts/s'}</text>`,
    );
    y += ROW;
    const best = Math.max(0, ...panel.rows.map((r) => throughput(r) ?? 0));
    for (const r of panel.rows) {
      const label = `${configurationLabel(r)} b=${r.batchSize}`;
      parts.push(`<text x="10" y="${y + 14}" font-size="12">${escapeXml(label)}</text>`);
      const value = throughput(r);
      if (r.status === 'ok' && value && best > 0) {
        const length = Math.max(1, (value / best) * BAR_WIDTH);
        const color = COLORS[r.backend] ?? '#7f7f7f';
        parts.push(
          `<rect x="${LABEL_WIDTH}" y="${y + 3}" width="${length.toFixed(1)}" height="${ROW - 6}" fill="${color}"><title>${escapeXml(`${label}: ${show(value, 2)}/s`)}</title></rect>`,
          `<text x="${(LABEL_WIDTH + length + 6).toFixed(1)}" y="${y + 14}" font-size="12">${escapeXml(show(value, 2))}</text>`,
        );
      } else {
        parts.push(
          `<text x="${LABEL_WIDTH}" y="${y + 14}" font-size="12" fill="#b00">${escapeXml(r.status)}</text>`,
        );
      }
      y += ROW;
    }
  }
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
