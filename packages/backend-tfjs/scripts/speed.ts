/**
 * BAAI/AltCLIP shapes (random weights): agreement and speed of tfjs wasm next to ort-node, in one run.
 * Run: npx vite-node -c vitest.config.ts scripts/speed.ts [--runs 5] [--layers 12] [--skip-text]
 * `--layers` sets the depth of both towers (default 12 of 24): every layer has the full-size shapes, but the
 * whole 24-layer tower does not fit wasm32's 4 GiB heap once XNNPACK has packed its copy of the weights
 * (measured ~120 MB of heap per vision layer on top of the 48 MB of weights). FLOPs are counted for the
 * depth used, so GFLOP/s and the tfjs / ort ratio carry over to the full depth.
 * Also times the tiny fixture model on tfjs cpu / wasm, and a 1024³ matMul on wasm and a 256³ one on cpu.
 */
import { readFileSync } from 'node:fs';
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
import { FIXTURES_DIR } from '../../../tools/fixtures.js';
import { TfjsModel, tfjsBackend } from '../src/index.js';

tf.env().set('PROD', true);
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1]) || 5;
const SKIP_TEXT = args.includes('--skip-text');
const LAYERS = Number(args[args.indexOf('--layers') + 1]) || 12;
const NO_GRAD = { outputHiddenStates: false, outputAttentions: false };

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

/**
 * Median wall times of two workloads, in seconds, alternating them run by run after one warm-up each, so
 * that load from other processes on a shared machine falls on both alike.
 */
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
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return [median(times[0]), median(times[1])];
}

/** Median wall time of `runs` calls after one warm-up, in seconds. */
async function time(runs: number, work: () => Promise<unknown>): Promise<number> {
  await work();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await work();
    times.push((performance.now() - start) / 1000);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

async function matMulGflops(device: Device, n: number): Promise<number> {
  await tf.setBackend(device);
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const seconds = await time(3, async () => {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  });
  a.dispose();
  b.dispose();
  return (2 * n ** 3) / seconds / 1e9;
}

const results: Record<string, unknown> = {};
const log = (line: string) => console.log(line);

await tfjsBackend.init();
await ortNodeBackend.init();
results.matmul_gflops = {
  wasm_1024: await matMulGflops('wasm', 1024),
  cpu_256: await matMulGflops('cpu', 256),
};
log(`matMul GFLOP/s: ${JSON.stringify(results.matmul_gflops)}`);

// Tiny fixture model: tfjs cpu and wasm.
const tinyDir = join(FIXTURES_DIR, 'models', 'tiny-altclip');
const tinyConfig = AltCLIPConfig.fromJSON(JSON.parse(readFileSync(join(tinyDir, 'config.json'), 'utf8')));
const tinyBoth = { text: true, vision: true, withProjection: true };
for (const device of ['cpu', 'wasm'] as const) {
  const weights = await openSafetensors(join(tinyDir, 'model.safetensors'));
  const model = await TfjsModel.load({ config: tinyConfig, weights, towers: tinyBoth, device });
  await weights.close();
  const vision = prepareVisionInputs(tinyConfig.visionConfig, { pixelValues: pixels(8, 30, 1) });
  const text = prepareTextInputs(tinyConfig.textConfig, { inputIds: ids(8, 16, 8002, 2) });
  const imageSeconds = await time(5, () => model.runVision(vision, NO_GRAD));
  const textSeconds = await time(5, () => model.runText(text, NO_GRAD));
  results[`tiny_tfjs_${device}`] = { images_per_s: 8 / imageSeconds, texts_per_s: 8 / textSeconds };
  log(
    `tiny tfjs ${device}: ${(8 / imageSeconds).toFixed(1)} images/s, ${(8 / textSeconds).toFixed(1)} texts/s (batch 8)`,
  );
  await model.dispose();
}

// Full-size shapes, random weights, one tower at a time.
const largeJson = JSON.parse(
  readFileSync(join(FIXTURES_DIR, 'models', 'altclip-large-config', 'config.json'), 'utf8'),
);
largeJson.text_config.num_hidden_layers = LAYERS;
largeJson.vision_config.num_hidden_layers = LAYERS;
const largeConfig = AltCLIPConfig.fromJSON(largeJson);

/** FLOPs of the matrix products, 2 per multiply-add (the per-layer terms are multiply-adds), as the fixture README counts them. */
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

async function loadBoth(
  part: 'text' | 'vision',
): Promise<{ tfjs: BackendModel; ort: BackendModel; ortOneThread: BackendModel; load: number[] }> {
  const towers = { text: part === 'text', vision: part === 'vision', withProjection: true };
  const weights = createRandomWeights(largeConfig, {
    seed: 5,
    parts: { [part]: true, [part === 'text' ? 'vision' : 'text']: false },
  });
  const base = { config: largeConfig, weights, towers, dtype: 'fp32' as const };
  let start = performance.now();
  const tfjs = await tfjsBackend.loadModel({ ...base, device: 'wasm' });
  const tfjsLoad = (performance.now() - start) / 1000;
  start = performance.now();
  const ort = await ortNodeBackend.loadModel({ ...base, device: 'cpu' });
  const ortLoad = (performance.now() - start) / 1000;
  // The same on one thread: tfjs wasm is single-threaded in Node.
  const ortOneThread = await ortNodeBackend.loadModel({
    ...base,
    device: 'cpu',
    backendOptions: { intraOpNumThreads: 1 },
  });
  return { tfjs, ort, ortOneThread, load: [tfjsLoad, ortLoad] };
}

{
  const { tfjs, ort, ortOneThread, load } = await loadBoth('vision');
  log(`vision tower loaded: tfjs wasm ${load[0].toFixed(1)} s, ort-node ${load[1].toFixed(1)} s`);
  const pair = prepareVisionInputs(largeConfig.visionConfig, { pixelValues: pixels(2, 224, 3) });
  const [a, b] = [await tfjs.runVision(pair, NO_GRAD), await ort.runVision(pair, NO_GRAD)];
  const cos = compareEmbeddings(a.features!.data, b.features!.data, a.features!.dims[0]).cosine;
  const one = prepareVisionInputs(largeConfig.visionConfig, { pixelValues: pixels(1, 224, 4) });
  const [tfjsSeconds, ortSeconds] = await timePair(
    RUNS,
    () => tfjs.runVision(one, NO_GRAD),
    () => ort.runVision(one, NO_GRAD),
  );
  const [tfjsAgain, ortOneSeconds] = await timePair(
    RUNS,
    () => tfjs.runVision(one, NO_GRAD),
    () => ortOneThread.runVision(one, NO_GRAD),
  );
  results.full_vision = {
    tfjs_wasm_images_per_s_next_to_one_thread_ort: 1 / tfjsAgain,
    ort_node_one_thread_images_per_s: 1 / ortOneSeconds,
    ratio_to_one_thread_ort: ortOneSeconds / tfjsAgain,
    cosine_image_embeds: cos,
    tfjs_wasm_images_per_s: 1 / tfjsSeconds,
    ort_node_images_per_s: 1 / ortSeconds,
    ratio: ortSeconds / tfjsSeconds,
    tfjs_wasm_gflops: visionFlops() / 1e9 / tfjsSeconds,
    ort_node_gflops: visionFlops() / 1e9 / ortSeconds,
  };
  log(`full vision: ${JSON.stringify(results.full_vision)}`);
  await tfjs.dispose();
  await ort.dispose();
  await ortOneThread.dispose();
}

if (!SKIP_TEXT) {
  const { tfjs, ort, ortOneThread, load } = await loadBoth('text');
  await ortOneThread.dispose();
  log(`text tower loaded: tfjs wasm ${load[0].toFixed(1)} s, ort-node ${load[1].toFixed(1)} s`);
  const texts = prepareTextInputs(largeConfig.textConfig, {
    inputIds: ids(8, 16, largeConfig.textConfig.vocabSize, 6),
  });
  const [a, b] = [await tfjs.runText(texts, NO_GRAD), await ort.runText(texts, NO_GRAD)];
  const cos = compareEmbeddings(a.features!.data, b.features!.data, a.features!.dims[0]).cosine;
  const [tfjsSeconds, ortSeconds] = await timePair(
    RUNS,
    () => tfjs.runText(texts, NO_GRAD),
    () => ort.runText(texts, NO_GRAD),
  );
  results.full_text = {
    cosine_text_embeds: cos,
    tfjs_wasm_texts_per_s: 8 / tfjsSeconds,
    ort_node_texts_per_s: 8 / ortSeconds,
    ratio: ortSeconds / tfjsSeconds,
    tfjs_wasm_gflops: (8 * textFlops(16)) / 1e9 / tfjsSeconds,
    ort_node_gflops: (8 * textFlops(16)) / 1e9 / ortSeconds,
  };
  log(`full text (8 x 16 tokens): ${JSON.stringify(results.full_text)}`);
  await tfjs.dispose();
  await ort.dispose();
}

results.layers = LAYERS;
console.log(JSON.stringify(results, null, 2));
