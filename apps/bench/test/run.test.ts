import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../src/report.js';
import { type BenchOptions, runBench } from '../src/run.js';
import type { Target } from '../src/targets.js';
import { reportSchemaErrors } from '../src/validate.js';
import { registerFakeBackends } from './fake-backend.js';

const target = (
  backend: string,
  device: Target['device'] = 'cpu',
  runtime: Target['runtime'] = 'node',
): Target => ({
  runtime,
  backend,
  device,
  dtype: 'fp32',
});

function options(targets: Target[], overrides: Partial<BenchOptions> = {}): BenchOptions {
  return {
    model: 'tiny',
    targets,
    towers: ['image', 'text'],
    batchSizes: [1, 3],
    warmup: 1,
    repetitions: 3,
    threads: 1,
    sequenceLength: 12,
    seed: 0,
    reference: target('fake-ref'),
    cacheDir: mkdtempSync(join(tmpdir(), 'bench-test-')),
    isolate: false,
    importBackends: false,
    roofline: false,
    preprocessing: false,
    command: 'test',
    quick: true,
    timeoutSeconds: 60,
    ...overrides,
  };
}

describe('runBench with fake backends (in-process)', () => {
  let report: BenchReport;
  const progress: { done: number; total: number }[] = [];

  beforeAll(async () => {
    registerFakeBackends({
      'fake-ref': {},
      'fake-noisy': { offset: 1e-3 },
      'fake-broken': { loadError: 'no such runtime here' },
      'fake-textless': { textError: 'text tower exploded' },
    });
    report = await runBench(
      options([
        target('fake-ref'),
        target('fake-noisy'),
        target('fake-broken'),
        target('fake-textless', 'wasm'),
      ]),
      { onProgress: (p) => progress.push({ done: p.done, total: p.total }) },
    );
  });

  it('produces a report that matches the schema', () => {
    expect(reportSchemaErrors(report)).toEqual([]);
  });

  it('has one result per target × tower × batch size', () => {
    expect(report.results).toHaveLength(4 * 2 * 2);
    const keys = report.results.map((r) => `${r.backend}/${r.tower}/${r.batchSize}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('measures throughput and latency from the timed calls', () => {
    for (const r of report.results.filter((x) => x.status === 'ok')) {
      expect(r.repetitions).toBe(3);
      const perSecond = r.tower === 'image' ? r.imagesPerSecond : r.textsPerSecond;
      expect(perSecond).toBeCloseTo(r.batchSize / (r.latencyMs!.p50 / 1000), 6);
      expect(r.latencyMs!.p95).toBeGreaterThanOrEqual(r.latencyMs!.p50);
      expect(r.loadMs).toBeGreaterThan(0);
      expect(r.peakHeapBytes).toBeGreaterThan(0);
      // In-process runs cannot tell one configuration's peak RSS from another's: not reported.
      expect(r.peakRssBytes).toBeNull();
      const flops = r.tower === 'image' ? report.model.flopsPerImage : report.model.flopsPerText;
      expect(r.gflops).toBeCloseTo((flops * r.batchSize) / (r.latencyMs!.p50 / 1000) / 1e9, 6);
      // No roofline in this run, so no fraction of it either.
      expect(r.rooflineFraction).toBeNull();
    }
  });

  it('measures parity against the reference', () => {
    const noisy = report.results.filter((r) => r.backend === 'fake-noisy');
    for (const r of noisy) {
      expect(r.parity!.maxAbsDiff).toBeCloseTo(1e-3, 6);
      expect(r.parity!.cosine).toBeLessThan(1);
      expect(r.parity!.cosine).toBeGreaterThan(0.999);
    }
    for (const r of report.results.filter((x) => x.backend === 'fake-ref')) expect(r.parity).toBeNull();
  });

  it('reports a configuration that fails to load as failed, with its reason and no numbers', () => {
    const broken = report.results.filter((r) => r.backend === 'fake-broken');
    expect(broken).toHaveLength(4);
    for (const r of broken) {
      expect(r.status).toBe('failed');
      expect(r.error).toContain('no such runtime here');
      expect(r.latencyMs).toBeNull();
      expect(r.gflops).toBeNull();
      expect(r.loadMs).toBeNull();
    }
  });

  it('keeps the working tower of a configuration whose other tower fails', () => {
    const rows = report.results.filter((r) => r.backend === 'fake-textless');
    expect(rows.filter((r) => r.tower === 'image').every((r) => r.status === 'ok')).toBe(true);
    for (const r of rows.filter((x) => x.tower === 'text')) {
      expect(r.status).toBe('failed');
      expect(r.error).toContain('text tower exploded');
      expect(r.textsPerSecond).toBeNull();
    }
  });

  it('compares with the tiny fixture goldens when the tiny fixture is the model', () => {
    if (report.model.randomWeights) return; // fixture absent (outside CI): random tiny weights, no goldens
    const ok = report.results.filter((r) => r.status === 'ok');
    for (const r of ok)
      expect(r.golden?.case).toMatch(r.tower === 'image' ? 'vision_batch2' : 'text_right_padded');
  });

  it('reports progress up to the planned total', () => {
    expect(progress.length).toBeGreaterThan(10);
    const last = progress.at(-1)!;
    expect(last.done).toBe(last.total);
    expect(progress.every((p, i) => i === 0 || p.done >= progress[i - 1].done)).toBe(true);
  });
});

describe('runBench edge cases', () => {
  beforeAll(() =>
    registerFakeBackends({
      'fake-ref': {},
      'fake-other': { offset: 0.5 },
      'fake-broken': { loadError: 'gone' },
    }),
  );

  it('runs the reference alone when it is not a target, and still measures parity', async () => {
    const report = await runBench(options([target('fake-other')], { towers: ['text'], batchSizes: [2] }));
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report.results).toHaveLength(1);
    expect(report.results[0].parity!.maxAbsDiff).toBeCloseTo(0.5, 5);
    expect(report.reference.status).toBe('ok');
  });

  it('reports missing parity, not a number, when the reference fails', async () => {
    const report = await runBench(
      options([target('fake-other')], {
        towers: ['image'],
        batchSizes: [1],
        reference: target('fake-broken'),
      }),
    );
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report.reference.status).toBe('failed');
    expect(report.results[0].status).toBe('ok');
    expect(report.results[0].parity).toBeNull();
    expect(report.results[0].notes?.join()).toContain('gone');
  });

  it('merges browser results from the browser runner and reports a browser failure per target', async () => {
    const browserTargets = [target('fake-ref', 'wasm', 'browser'), target('fake-other', 'webgl', 'browser')];
    const report = await runBench(options(browserTargets, { towers: ['image'], batchSizes: [1] }), {
      browserRunner: async () => {
        throw new Error('no browser in this test');
      },
    });
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report.results.map((r) => [r.runtime, r.status])).toEqual([
      ['browser', 'failed'],
      ['browser', 'failed'],
    ]);
    expect(report.results[0].error).toContain('no browser in this test');
  });
});
