import { configurationLabel, mebibytes, runSummary, show, showScientific, throughput } from './format.js';
import type { BenchReport, BenchResult } from './report.js';

const escapeCell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function statusCell(result: BenchResult): string {
  if (result.status === 'ok')
    return result.notes?.length ? `ok (${escapeCell(result.notes.join('; '))})` : 'ok';
  return `${result.status}: ${escapeCell(result.error ?? '')}`;
}

/** The measured configurations as a Markdown table, with the run's context above it. */
export function renderMarkdown(report: BenchReport): string {
  const lines = ['# AltCLIP bench', '', ...runSummary(report).map((line) => `- ${line}`), ''];
  const hasGolden = report.results.some((r) => r.golden);
  const header = [
    'configuration',
    'tower',
    'batch',
    'items/s',
    'p50 ms',
    'p95 ms',
    'load ms',
    'first call ms',
    'peak RSS MiB',
    'peak heap MiB',
    'GFLOP/s',
    '% roofline',
    'parity max abs',
    'parity cos',
    ...(hasGolden ? ['golden max abs'] : []),
    'status',
  ];
  lines.push(`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`);
  for (const r of report.results) {
    const cells = [
      configurationLabel(r),
      r.tower,
      String(r.batchSize),
      show(throughput(r), 2),
      show(r.latencyMs?.p50, 1),
      show(r.latencyMs?.p95, 1),
      show(r.loadMs, 0),
      show(r.firstCallMs, 0),
      mebibytes(r.peakRssBytes),
      mebibytes(r.peakHeapBytes),
      show(r.gflops, 2),
      r.rooflineFraction === null ? '—' : show(r.rooflineFraction * 100, 1),
      r.parity ? showScientific(r.parity.maxAbsDiff) : r.status === 'ok' ? 'reference' : '—',
      r.parity ? r.parity.cosine.toFixed(6) : '—',
      ...(hasGolden ? [r.golden ? showScientific(r.golden.maxAbsDiff) : '—'] : []),
      statusCell(r),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  if (report.preprocessing.length > 0) {
    lines.push(
      '',
      '## Preprocessing',
      '',
      '| task | implementation | tokens/s | texts/s | images/s | status |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const p of report.preprocessing) {
      const status = p.status === 'ok' ? 'ok' : `${p.status}: ${escapeCell(p.error ?? '')}`;
      lines.push(
        `| ${p.task} | ${escapeCell(p.implementation)} | ${show(p.tokensPerSecond, 0)} | ${show(p.textsPerSecond, 1)} | ${show(p.imagesPerSecond, 1)} | ${status} |`,
      );
    }
  }
  lines.push('');
  return lines.join('\n');
}
