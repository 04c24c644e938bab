import { readFileSync } from 'node:fs';
import { ortNodeBackend } from '@altclip/backend-ort';
import {
  AltCLIPConfig,
  type BackendModel,
  compareEmbeddings,
  createRandomWeights,
  prepareTextInputs,
  prepareVisionInputs,
  Tensor,
} from '@altclip/core';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../tools/fixtures.js';
import { tfjsBackend } from '../src/index.js';

tf.env().set('PROD', true);

// The full BAAI/AltCLIP depth (24 layers per tower), one tower per load: about a minute on 2 cores and up to
// ~3.4 GiB of wasm heap (the text tower: a 1 GB word-embedding table, 1.1 GB of layer weights and XNNPACK's
// packed copy of them) next to onnxruntime's copy: opt in with ALTCLIP_SLOW_TESTS=1. scripts/speed.ts does
// the same and also times it.
const SLOW = process.env.ALTCLIP_SLOW_TESTS === '1';
const LARGE = SLOW ? fixturePath('models', 'altclip-large-config', 'config.json') : undefined;
const NO_OUTPUTS = { outputHiddenStates: false, outputAttentions: false };

describe.skipIf(!LARGE)('BAAI/AltCLIP shapes at full depth (random weights): tfjs wasm vs ort-node', () => {
  const json = LARGE ? JSON.parse(readFileSync(LARGE, 'utf8')) : {};
  const config = LARGE ? AltCLIPConfig.fromJSON(json) : undefined;

  async function both(part: 'text' | 'vision'): Promise<[BackendModel, BackendModel]> {
    const cfg = config as AltCLIPConfig;
    const weights = createRandomWeights(cfg, {
      seed: 9,
      parts: { text: part === 'text', vision: part === 'vision' },
    });
    const request = {
      config: cfg,
      weights,
      towers: { text: part === 'text', vision: part === 'vision', withProjection: true },
      dtype: 'fp32' as const,
    };
    await tfjsBackend.init();
    await ortNodeBackend.init();
    return [
      await tfjsBackend.loadModel({ ...request, device: 'wasm' }),
      await ortNodeBackend.loadModel({ ...request, device: 'cpu' }),
    ];
  }

  /** Reports the wasm heap, threads and time of a tower check. */
  function report(part: string, started: number, cosines: number[]): void {
    const heap = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
    console.info(
      `[full-size ${part}] cosine ${cosines.join(', ')}; ${getThreadsCount()} wasm threads, wasm heap ${(heap / 2 ** 30).toFixed(2)} GiB, ${((performance.now() - started) / 1000).toFixed(0)} s with ort-node`,
    );
  }

  it('runs the full depth', () => {
    expect(config?.visionConfig.numHiddenLayers).toBe(24);
    expect(config?.textConfig.numHiddenLayers).toBe(24);
  });

  it('image embeds agree (cosine >= 0.9999), 224 and interpolated 280x252', async () => {
    const started = performance.now();
    const [tfjs, ort] = await both('vision');
    const tensors = tf.memory().numTensors;
    const cosines: number[] = [];
    for (const [height, width] of [
      [224, 224],
      [280, 252],
    ]) {
      const pixels = Float32Array.from({ length: 2 * 3 * height * width }, (_, i) => Math.sin(i * 0.001) * 2);
      const inputs = prepareVisionInputs((config as AltCLIPConfig).visionConfig, {
        pixelValues: new Tensor('float32', pixels, [2, 3, height, width]),
        interpolatePosEncoding: height !== 224,
      });
      const a = await tfjs.runVision(inputs, NO_OUTPUTS);
      const b = await ort.runVision(inputs, NO_OUTPUTS);
      cosines.push(compareEmbeddings(a.features!.data, b.features!.data, a.features!.dims[0]).cosine);
      expect(cosines.at(-1)).toBeGreaterThanOrEqual(0.9999);
    }
    expect(tf.memory().numTensors).toBe(tensors);
    report('vision', started, cosines);
    await tfjs.dispose();
    await ort.dispose();
  });

  it('text embeds agree (cosine >= 0.9999)', async () => {
    const started = performance.now();
    const [tfjs, ort] = await both('text');
    const tensors = tf.memory().numTensors;
    const inputs = prepareTextInputs((config as AltCLIPConfig).textConfig, {
      inputIds: [
        [0, 1000, 200000, 5, 77, 2, 1, 1],
        [0, 42, 249999, 2, 1, 1, 1, 1],
      ],
      attentionMask: [
        [1, 1, 1, 1, 1, 1, 0, 0],
        [1, 1, 1, 1, 0, 0, 0, 0],
      ],
    });
    const a = await tfjs.runText(inputs, NO_OUTPUTS);
    const b = await ort.runText(inputs, NO_OUTPUTS);
    const cosine = compareEmbeddings(a.features!.data, b.features!.data, a.features!.dims[0]).cosine;
    expect(cosine).toBeGreaterThanOrEqual(0.9999);
    expect(tf.memory().numTensors).toBe(tensors);
    report('text', started, [cosine]);
    await tfjs.dispose();
    await ort.dispose();
  });
});
