// Bundled by test/browser.test.ts for headless Chromium: runs the tiny goldens on a browser tfjs device.
import { AltCLIPConfig, type Device, readSafetensors, type Tensor } from '@altclip/core';
import * as tf from '@tensorflow/tfjs';
import { TfjsModel, tfjsBackend } from '../../src/index.js';
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
  for (const model of models.values()) await model.dispose();
  return { devices, backend: tf.getBackend(), leaked, remaining: tf.memory().numTensors, results };
}

(globalThis as unknown as { runGoldens: typeof runGoldens }).runGoldens = (device: Device) =>
  runGoldens(device).catch((error: Error) => {
    throw new Error(String(error.stack ?? error));
  });
