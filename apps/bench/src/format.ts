import type { BenchReport, BenchResult } from './report.js';

/** Shows a measured number, or an em dash for one that was not measured. */
export function show(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function showScientific(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return value === 0 ? '0' : value.toExponential(1);
}

export function mebibytes(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined ? '—' : show(bytes / 2 ** 20, 0);
}

export function throughput(result: BenchResult): number | null | undefined {
  return result.tower === 'image' ? result.imagesPerSecond : result.textsPerSecond;
}

export function configurationLabel(result: BenchResult): string {
  return `${result.backend} ${result.device} ${result.dtype}${result.runtime === 'browser' ? ' (browser)' : ''}`;
}

/** A compact description of where and how the numbers were measured. */
export function runSummary(report: BenchReport): string[] {
  const m = report.machine;
  const load = (values: number[]) => values.map((v) => v.toFixed(2)).join(' / ');
  return [
    `date: ${report.date}`,
    `command: \`${report.command}\``,
    `machine: ${m.cpuModel}, ${m.cpuCount} CPU(s), ${show(m.totalMemoryBytes / 2 ** 30, 0)} GiB, ${m.platform}-${m.arch}, Node ${m.node}${m.browser ? `, ${m.browser}` : ''}`,
    `load average (1/5/15 min) at start ${load(m.loadAverageStart)}, at end ${load(m.loadAverageEnd)}`,
    `model: ${report.model.ref}${report.model.randomWeights ? ` (random weights, seed ${report.model.seed})` : ''}, ${show(report.model.parameters / 1e6, 1)} M parameters, image ${report.model.imageSize}px = ${show(report.model.flopsPerImage / 1e9, 3)} GFLOP, text ${report.model.sequenceLength} tokens = ${show(report.model.flopsPerText / 1e9, 3)} GFLOP`,
    report.roofline.status === 'ok'
      ? `matmul roofline: ${show(report.roofline.gflops, 1)} GFLOP/s (${report.roofline.method})`
      : `matmul roofline: ${report.roofline.status} (${report.roofline.error})`,
    `parity reference: ${report.reference.backend}/${report.reference.device}/${report.reference.dtype}${report.reference.error ? ` — ${report.reference.error}` : ''}`,
  ];
}
