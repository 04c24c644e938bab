// Bundled by test/browser.test.ts for headless Chromium: runs the tiny goldens on a browser tfjs device
// (webgl, wasm, webgpu).
import { AltCLIPConfig, type Device, readSafetensors, type Tensor } from '@altclip/core';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
// Registers tfjs' webgpu backend, as an application that wants WebGPU does.
import '@tensorflow/tfjs-backend-webgpu';
import {
  configureWasmPaths,
  configureWasmThreads,
  createTrainer,
  TfjsModel,
  tfjsBackend,
} from '../../src/index.js';
import { type CaseSpec, runCase } from '../run-case.js';

interface BrowserCase extends CaseSpec {
  file: string;
  weights_file?: string;
  expect_error?: unknown;
}

const TOWERS = { text: true, vision: true, withProjection: true };

async function bytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function runGoldens(device: Device) {
  configureWasmPaths('/wasm/');
  configureWasmThreads(navigator.hardwareConcurrency);
  await tfjsBackend.init();
  const devices = tfjsBackend.capabilities().devices;
  const golden = (await (await fetch('/tiny/golden/cases.json')).json()) as { cases: BrowserCase[] };
  const config = AltCLIPConfig.fromJSON(await (await fetch('/tiny/config.json')).json());
  const models = new Map<string, TfjsModel>();
  for (const file of ['model.safetensors', 'model.fp16.safetensors']) {
    const weights = readSafetensors(await bytes(`/tiny/${file}`), file);
    models.set(file, await TfjsModel.load({ config, weights, towers: TOWERS, device }));
  }
  const tensorsBefore = tf.memory().numTensors;
  const results: Record<string, Record<string, { dims: number[]; data: number[] }>> = {};
  for (const c of golden.cases) {
    if (c.expect_error || c.name === 'e2e_processor_4x3') continue;
    const store = readSafetensors(await bytes(`/tiny/golden/${c.file}`), c.file);
    const data = new Map<string, Tensor>();
    for (const key of store.keys()) data.set(key, await store.get(key));
    const model = models.get(c.weights_file ?? 'model.safetensors') as TfjsModel;
    const out = await runCase(model, config, c, data);
    results[c.name] = Object.fromEntries(
      [...out].map(([name, t]) => [name, { dims: [...t.dims], data: Array.from(t.data as Float32Array) }]),
    );
  }
  const leaked = tf.memory().numTensors - tensorsBefore;
  const wasmThreads = device === 'wasm' ? getThreadsCount() : undefined;
  const multithreadBuild = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const cores = navigator.hardwareConcurrency;
  const crossOriginIsolated = globalThis.crossOriginIsolated;
  for (const model of models.values()) await model.dispose();
  return {
    devices,
    backend: tf.getBackend(),
    leaked,
    remaining: tf.memory().numTensors,
    wasmThreads,
    multithreadBuild,
    cores,
    crossOriginIsolated,
    results,
  };
}

/** A few Adam steps on the golden full_3x3_loss pairs: the losses, and the gradient of one weight. */
async function train(device: Device) {
  configureWasmPaths('/wasm/');
  await tfjsBackend.init();
  const config = AltCLIPConfig.fromJSON(await (await fetch('/tiny/config.json')).json());
  const weights = readSafetensors(await bytes('/tiny/model.safetensors'));
  const model = await TfjsModel.load({ config, weights, towers: TOWERS, device });
  const store = readSafetensors(await bytes('/tiny/golden/full_3x3_loss.safetensors'));
  const batch = {
    inputIds: await store.get('input_ids'),
    attentionMask: await store.get('attention_mask'),
    pixelValues: (await store.get('pixel_values')) as Tensor<'float32'>,
  };
  const trainer = createTrainer(model, { learningRate: 1e-2, training: false });
  const { grads } = await trainer.lossAndGrads(batch);
  const losses = [await trainer.loss(batch)];
  for (let i = 0; i < 5; i++) await trainer.step(batch);
  losses.push(await trainer.loss(batch));
  trainer.dispose();
  await model.dispose();
  const grad = grads.get(
    'text_model.roberta.encoder.layer.0.attention.self.query.weight',
  ) as Tensor<'float32'>;
  return { losses, grad: Array.from(grad.data), remaining: tf.memory().numTensors };
}

(globalThis as unknown as { train: typeof train }).train = (device: Device) =>
  train(device).catch((error: Error) => {
    throw new Error(String(error.stack ?? error));
  });

(globalThis as unknown as { runGoldens: typeof runGoldens }).runGoldens = (device: Device) =>
  runGoldens(device).catch((error: Error) => {
    throw new Error(String(error.stack ?? error));
  });
