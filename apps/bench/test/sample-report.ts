import type { BenchReport, BenchResult } from '../src/report.js';

export function okResult(overrides: Partial<BenchResult> = {}): BenchResult {
  return {
    backend: 'ort-node',
    device: 'cpu',
    dtype: 'fp32',
    runtime: 'node',
    tower: 'image',
    batchSize: 8,
    status: 'ok',
    imagesPerSecond: 2.5,
    latencyMs: { p50: 3200, p95: 3400, mean: 3250, min: 3100, max: 3450 },
    repetitions: 5,
    loadMs: 1800,
    firstCallMs: 5200,
    peakRssBytes: 4.2e9,
    peakHeapBytes: 12e6,
    gflops: 405,
    rooflineFraction: 0.61,
    parity: { maxAbsDiff: 2e-6, cosine: 0.9999999 },
    ...overrides,
  };
}

export function failedResult(overrides: Partial<BenchResult> = {}): BenchResult {
  return {
    backend: 'tfjs',
    device: 'webgl',
    dtype: 'fp32',
    runtime: 'browser',
    tower: 'text',
    batchSize: 1,
    status: 'failed',
    error: 'load failed: WebGL is not available <here> & | there',
    textsPerSecond: null,
    latencyMs: null,
    repetitions: 0,
    loadMs: null,
    firstCallMs: null,
    peakRssBytes: null,
    peakHeapBytes: null,
    gflops: null,
    rooflineFraction: null,
    parity: null,
    ...overrides,
  };
}

export function sampleReport(results: BenchResult[] = [okResult(), failedResult()]): BenchReport {
  return {
    schemaVersion: 1,
    date: '2026-11-29T23:00:00.000Z',
    machine: {
      platform: 'linux',
      arch: 'x64',
      cpuModel: 'AMD EPYC',
      cpuCount: 2,
      totalMemoryBytes: 24e9,
      node: 'v20.20.2',
      loadAverageStart: [0.5, 0.4, 0.3],
      loadAverageEnd: [1.5, 0.9, 0.4],
    },
    command: 'npm run bench -- --quick',
    options: { quick: true },
    model: {
      ref: 'large',
      preset: 'large',
      randomWeights: true,
      seed: 0,
      imageSize: 224,
      sequenceLength: 16,
      flopsPerImage: 162.0e9,
      flopsPerText: 9.72e9,
      parameters: 864_186_113,
    },
    roofline: {
      status: 'ok',
      gflops: 660,
      method: 'onnxruntime-node MatMul 1024x1024x1024 float32, 2 thread(s), best run',
    },
    reference: { backend: 'ort-node', device: 'cpu', dtype: 'fp32', status: 'ok' },
    results,
    preprocessing: [
      {
        task: 'tokenizer',
        implementation: '@altclip/tokenizer',
        status: 'ok',
        tokensPerSecond: 2.9e6,
        textsPerSecond: 2e5,
      },
      {
        task: 'image-processor',
        implementation: '@huggingface/transformers',
        status: 'skipped',
        error: 'not installed',
      },
    ],
    durationMs: 1234,
  };
}
