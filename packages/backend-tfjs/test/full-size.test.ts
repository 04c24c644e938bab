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
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../tools/fixtures.js';
import { tfjsBackend } from '../src/index.js';

tf.env().set('PROD', true);

// ~40 s on 2 cores and several GB of memory (a 1 GB word-embedding table in wasm and in onnxruntime): opt in
// with ALTCLIP_SLOW_TESTS=1. scripts/speed.ts does the same at 12 layers and also times it.
const SLOW = process.env.ALTCLIP_SLOW_TESTS === '1';
const LARGE = SLOW ? fixturePath('models', 'altclip-large-config', 'config.json') : undefined;
const NO_OUTPUTS = { outputHiddenStates: false, outputAttentions: false };

describe.skipIf(!LARGE)(
  'BAAI/AltCLIP shapes (random weights, 2 layers per tower): tfjs wasm vs ort-node',
  () => {
    const json = LARGE ? JSON.parse(readFileSync(LARGE, 'utf8')) : {};
    if (LARGE) {
      json.text_config.num_hidden_layers = 2;
      json.vision_config.num_hidden_layers = 2;
    }
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

    it('image embeds agree (cosine >= 0.9999), 224 and interpolated 280x252', async () => {
      const [tfjs, ort] = await both('vision');
      for (const [height, width] of [
        [224, 224],
        [280, 252],
      ]) {
        const pixels = Float32Array.from(
          { length: 2 * 3 * height * width },
          (_, i) => Math.sin(i * 0.001) * 2,
        );
        const inputs = prepareVisionInputs((config as AltCLIPConfig).visionConfig, {
          pixelValues: new Tensor('float32', pixels, [2, 3, height, width]),
          interpolatePosEncoding: height !== 224,
        });
        const a = await tfjs.runVision(inputs, NO_OUTPUTS);
        const b = await ort.runVision(inputs, NO_OUTPUTS);
        expect(
          compareEmbeddings(a.features!.data, b.features!.data, a.features!.dims[0]).cosine,
        ).toBeGreaterThanOrEqual(0.9999);
      }
      await tfjs.dispose();
      await ort.dispose();
    });

    it('text embeds agree (cosine >= 0.9999)', async () => {
      const [tfjs, ort] = await both('text');
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
      expect(
        compareEmbeddings(a.features!.data, b.features!.data, a.features!.dims[0]).cosine,
      ).toBeGreaterThanOrEqual(0.9999);
      await tfjs.dispose();
      await ort.dispose();
    });
  },
);
