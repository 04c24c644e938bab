// Bundled by scripts/browser-speed.ts: times matMul and the vision tower on tfjs wasm in Chromium.
import { AltCLIPConfig, createRandomWeights, prepareVisionInputs, Tensor } from '@altclip/core';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { medianSeconds } from '../../../../tools/timing.js';
import { configureWasmPaths, configureWasmThreads, tfjsBackend } from '../../src/index.js';

async function measure(threads: number, layers: number) {
  configureWasmPaths('/wasm/');
  configureWasmThreads(threads);
  await tfjsBackend.init();
  await tf.setBackend('wasm');
  const a = tf.randomNormal([1024, 1024]);
  const matMulSeconds = await medianSeconds(3, async () => {
    const c = tf.matMul(a, a);
    await c.data();
    c.dispose();
  });
  a.dispose();
  const json = await (await fetch('/large/config.json')).json();
  json.vision_config.num_hidden_layers = layers;
  const config = AltCLIPConfig.fromJSON(json);
  const weights = createRandomWeights(config, { seed: 5, parts: { text: false, vision: true } });
  const model = await tfjsBackend.loadModel({
    config,
    weights,
    towers: { text: false, vision: true, withProjection: true },
    device: 'wasm',
    dtype: 'fp32',
  });
  const pixels = new Tensor('float32', new Float32Array(3 * 224 * 224).fill(0.25), [1, 3, 224, 224]);
  const inputs = prepareVisionInputs(config.visionConfig, { pixelValues: pixels });
  const imageSeconds = await medianSeconds(3, () =>
    model.runVision(inputs, { outputHiddenStates: false, outputAttentions: false }),
  );
  await model.dispose();
  return {
    threads: getThreadsCount(),
    crossOriginIsolated: globalThis.crossOriginIsolated,
    matMulGflops: (2 * 1024 ** 3) / matMulSeconds / 1e9,
    imageSeconds,
  };
}

(globalThis as unknown as { measure: typeof measure }).measure = measure;
