/**
 * BAAI/AltCLIP shapes (random weights): agreement and speed of tfjs wasm, threaded and single-threaded,
 * next to ort-node, in one run.
 * Run: npx vite-node -c vitest.config.ts scripts/speed.ts [--runs 5] [--layers 24] [--threads N] [--skip-text]
 * `--layers` sets the depth of both towers (default: the full 24). `--threads` sets the threaded build's
 * XNNPACK threads (default: the logical cores). Each tower is loaded once in ort-node and, one after the
 * other, in tfjs wasm threaded and single-threaded (the wasm backend is restarted in between); each tfjs
 * timing alternates run by run with ort-node's, so load from other processes falls on both alike and the
 * ratios hold on a busy machine better than the absolute figures.
 * Also times the tiny fixture model on tfjs cpu / wasm and a 1024³ matMul on wasm (threaded and 1 thread,
 * alternating) and a 256³ one on cpu.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ortNodeBackend } from '@altclip/backend-ort';
import {
  AltCLIPConfig,
  type BackendModel,
  compareEmbeddings,
  createRandom,
  createRandomWeights,
  type Device,
  openSafetensors,
  prepareTextInputs,
  prepareVisionInputs,
  Tensor,
} from '@altclip/core';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { FIXTURES_DIR } from '../../../tools/fixtures.js';
import { median, medianSeconds } from '../../../tools/timing.js';
import { configureWasmThreads, TfjsModel, tfjsBackend } from '../src/index.js';
import { onDevice, restartNodeWasm } from '../src/runtime.js';
import { defaultWasmThreads } from '../src/wasm-node.js';

tf.env().set('PROD', true);
const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : undefined);
const RUNS = option('--runs') || 5;
const SKIP_TEXT = args.includes('--skip-text');
const LAYERS = option('--layers') || 24;
const THREADS = option('--threads') || defaultWasmThreads();
const NO_OUTPUTS = { outputHiddenStates: false, outputAttentions: false };
const started = performance.now();

function pixels(batch: number, size: number, seed: number): Tensor<'float32'> {
  const next = createRandom(seed);
  return new Tensor(
    'float32',
    Float32Array.from({ length: batch * 3 * size * size }, () => next() * 4 - 2),
    [batch, 3, size, size],
  );
}

function ids(batch: number, length: number, vocab: number, seed: number): number[][] {
  const next = createRandom(seed);
  return Array.from({ length: batch }, () =>
    Array.from({ length }, (_, i) =>
      i === 0 ? 0 : i === length - 1 ? 2 : 3 + Math.floor(next() * (vocab - 3)),
    ),
  );
}

/** Median wall times in seconds of two workloads, alternating run by run after one warm-up each. */
async function timePair(
  runs: number,
  first: () => Promise<unknown>,
  second: () => Promise<unknown>,
): Promise<[number, number]> {
  await first();
  await second();
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < runs; i++) {
    for (const [index, work] of [first, second].entries()) {
      const start = performance.now();
      await work();
      times[index].push((performance.now() - start) / 1000);
    }
  }
  return [median(times[0]), median(times[1])];
}

/** Restarts tfjs' wasm backend with `threads` XNNPACK threads (1: tfjs' single-threaded build). */
async function useWasmThreads(threads: number): Promise<void> {
  configureWasmThreads(threads);
  await restartNodeWasm();
  await onDevice('wasm', () => undefined);
  if (getThreadsCount() !== threads) {
    throw new Error(`asked for ${threads} wasm threads, tfjs runs ${getThreadsCount()}`);
  }
}

async function matMulGflops(device: Device, n: number, runs = 3): Promise<number> {
  await tf.setBackend(device);
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const seconds = await medianSeconds(runs, async () => {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  });
  a.dispose();
  b.dispose();
  return (2 * n ** 3) / seconds / 1e9;
}

const results: Record<string, unknown> = { layers: LAYERS, threads: THREADS };
const log = (line: string) =>
  console.log(
    `[${((performance.now() - started) / 1000).toFixed(0)} s, load ${loadavg()[0].toFixed(1)}] ${line}`,
  );
const round = (value: number) => Number(value.toPrecision(4));

await tfjsBackend.init();
await ortNodeBackend.init();

// 1024³ matMul, threaded and single-threaded wasm alternating (a backend restart between them).
{
  const gflops: Record<string, number[]> = { threaded: [], single: [] };
  for (let round = 0; round < 3; round++) {
    for (const [name, threads] of [
      ['threaded', THREADS],
      ['single', 1],
    ] as const) {
      await useWasmThreads(threads);
      gflops[name].push(await matMulGflops('wasm', 1024));
    }
  }
  results.matmul_gflops = {
    [`wasm_1024_${THREADS}_threads`]: round(median(gflops.threaded)),
    wasm_1024_1_thread: round(median(gflops.single)),
    cpu_256: round(await matMulGflops('cpu', 256)),
  };
  log(`matMul GFLOP/s (median of 3 alternating rounds): ${JSON.stringify(results.matmul_gflops)}`);
}

// Tiny fixture model: tfjs cpu and wasm (threaded).
await useWasmThreads(THREADS);
const tinyDir = join(FIXTURES_DIR, 'models', 'tiny-altclip');
const tinyConfig = AltCLIPConfig.fromJSON(JSON.parse(readFileSync(join(tinyDir, 'config.json'), 'utf8')));
for (const device of ['cpu', 'wasm'] as const) {
  const weights = await openSafetensors(join(tinyDir, 'model.safetensors'));
  const model = await TfjsModel.load({
    config: tinyConfig,
    weights,
    towers: { text: true, vision: true, withProjection: true },
    device,
  });
  await weights.close();
  const vision = prepareVisionInputs(tinyConfig.visionConfig, { pixelValues: pixels(8, 30, 1) });
  const text = prepareTextInputs(tinyConfig.textConfig, { inputIds: ids(8, 16, 8002, 2) });
  const imageSeconds = await medianSeconds(5, () => model.runVision(vision, NO_OUTPUTS));
  const textSeconds = await medianSeconds(5, () => model.runText(text, NO_OUTPUTS));
  results[`tiny_tfjs_${device}`] = {
    images_per_s: round(8 / imageSeconds),
    texts_per_s: round(8 / textSeconds),
  };
  log(`tiny tfjs ${device}: ${JSON.stringify(results[`tiny_tfjs_${device}`])} (batch 8)`);
  await model.dispose();
}

// Full-size shapes, random weights, one tower at a time.
const largeJson = JSON.parse(
  readFileSync(join(FIXTURES_DIR, 'models', 'altclip-large-config', 'config.json'), 'utf8'),
);
largeJson.text_config.num_hidden_layers = LAYERS;
largeJson.vision_config.num_hidden_layers = LAYERS;
const largeConfig = AltCLIPConfig.fromJSON(largeJson);

/** FLOPs of the matrix products, 2 per multiply-add, as the fixture README counts them. */
function visionFlops(): number {
  const v = largeConfig.visionConfig;
  const [D, I, P] = [v.hiddenSize, v.intermediateSize, v.patchSize];
  const T = v.numPositions;
  const layer = 4 * T * D * D + 2 * T * T * D + 2 * T * D * I;
  return 2 * ((T - 1) * D * 3 * P * P + v.numHiddenLayers * layer + D * largeConfig.projectionDim);
}
function textFlops(L: number): number {
  const t = largeConfig.textConfig;
  const [H, I] = [t.hiddenSize, t.intermediateSize];
  const layer = 4 * L * H * H + 2 * L * L * H + 2 * L * H * I;
  return 2 * (t.numHiddenLayers * layer + L * H * t.projectDim + t.projectDim * largeConfig.projectionDim);
}
log(
  `towers with ${LAYERS} layers: ${(visionFlops() / 1e9).toFixed(1)} GFLOP per image, ${((8 * textFlops(16)) / 1e9).toFixed(1)} GFLOP per 8 texts of 16 tokens`,
);

interface Workload {
  readonly part: 'text' | 'vision';
  /** Items per call and GFLOP per call. */
  readonly items: number;
  readonly gflop: number;
  readonly unit: string;
  /** One call, and the embeddings of a check batch. */
  readonly run: (model: BackendModel) => Promise<unknown>;
  readonly embeds: (model: BackendModel) => Promise<{ data: Float32Array; rows: number }>;
}

/** One tower in ort-node, then in tfjs wasm threaded and single-threaded, each timed next to ort-node. */
async function compareTower(work: Workload): Promise<Record<string, number>> {
  const towers = { text: work.part === 'text', vision: work.part === 'vision', withProjection: true };
  const request = () => ({
    config: largeConfig,
    // Seeded: every load reads the same weights.
    weights: createRandomWeights(largeConfig, { seed: 5, parts: towers }),
    towers,
    dtype: 'fp32' as const,
  });
  let start = performance.now();
  const ort = await ortNodeBackend.loadModel({ ...request(), device: 'cpu' });
  const figures: Record<string, number> = { ort_load_s: round((performance.now() - start) / 1000) };
  const reference = await work.embeds(ort);
  for (const [name, threads] of [
    [`tfjs_wasm_${THREADS}_threads`, THREADS],
    ['tfjs_wasm_1_thread', 1],
  ] as const) {
    await useWasmThreads(threads);
    start = performance.now();
    const tfjs = await tfjsBackend.loadModel({ ...request(), device: 'wasm' });
    figures[`${name}_load_s`] = round((performance.now() - start) / 1000);
    const embeds = await work.embeds(tfjs);
    figures[`${name}_cosine`] = compareEmbeddings(embeds.data, reference.data, embeds.rows).cosine;
    const [tfjsSeconds, ortSeconds] = await timePair(
      RUNS,
      () => work.run(tfjs),
      () => work.run(ort),
    );
    figures[`${name}_${work.unit}_per_s`] = round(work.items / tfjsSeconds);
    figures[`${name}_gflops`] = round(work.gflop / tfjsSeconds);
    figures[`ort_next_to_${name}_${work.unit}_per_s`] = round(work.items / ortSeconds);
    figures[`ort_next_to_${name}_gflops`] = round(work.gflop / ortSeconds);
    figures[`${name}_ratio_to_ort`] = round(ortSeconds / tfjsSeconds);
    log(
      `${work.part} ${name}: ${round(work.items / tfjsSeconds)} ${work.unit}/s (${round(work.gflop / tfjsSeconds)} GFLOP/s), ort-node ${round(work.items / ortSeconds)} ${work.unit}/s (${round(work.gflop / ortSeconds)} GFLOP/s): ratio ${round(ortSeconds / tfjsSeconds)}, cosine ${figures[`${name}_cosine`]}`,
    );
    await tfjs.dispose();
  }
  await ort.dispose();
  return figures;
}

const image = prepareVisionInputs(largeConfig.visionConfig, { pixelValues: pixels(1, 224, 4) });
const checkImages = prepareVisionInputs(largeConfig.visionConfig, { pixelValues: pixels(2, 224, 3) });
results.full_vision_batch_1 = await compareTower({
  part: 'vision',
  items: 1,
  gflop: visionFlops() / 1e9,
  unit: 'images',
  run: (model) => model.runVision(image, NO_OUTPUTS),
  embeds: async (model) => {
    const features = (await model.runVision(checkImages, NO_OUTPUTS)).features!;
    return { data: features.data, rows: features.dims[0] };
  },
});

if (!SKIP_TEXT) {
  const texts = prepareTextInputs(largeConfig.textConfig, {
    inputIds: ids(8, 16, largeConfig.textConfig.vocabSize, 6),
  });
  results.full_text_8x16 = await compareTower({
    part: 'text',
    items: 8,
    gflop: (8 * textFlops(16)) / 1e9,
    unit: 'texts',
    run: (model) => model.runText(texts, NO_OUTPUTS),
    embeds: async (model) => {
      const features = (await model.runText(texts, NO_OUTPUTS)).features!;
      return { data: features.data, rows: features.dims[0] };
    },
  });
}

results.seconds = round((performance.now() - started) / 1000);
console.log(JSON.stringify(results, null, 2));
