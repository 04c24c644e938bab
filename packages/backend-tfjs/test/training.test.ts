import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@altclip/backend-ort';
import {
  AltCLIPModel,
  computeHead,
  createRandom,
  openSafetensors,
  prepareTextInputs,
  prepareVisionInputs,
  readSafetensors,
  Tensor,
} from '@altclip/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose, goldenSuite, readGoldenTensors, tinyConfig } from '../../../tools/goldens.js';
import { createTrainer, type PairBatch, TfjsModel } from '../src/index.js';

tf.env().set('PROD', true);
const suite = goldenSuite();
const TOWERS = { text: true, vision: true, withProjection: true };

async function loadTiny(device: 'cpu' | 'wasm'): Promise<TfjsModel> {
  const weights = await openSafetensors(join(suite!.modelDir, 'model.safetensors'));
  try {
    return await TfjsModel.load({ config: tinyConfig(suite!), weights, towers: TOWERS, device });
  } finally {
    await weights.close();
  }
}

/** `pairs` random texts (ids 3..8001 between <s> and </s>, varied lengths, right-padded) and images. */
function syntheticBatch(pairs: number, seed: number): PairBatch {
  const next = createRandom(seed);
  const lengths = Array.from({ length: pairs }, () => 4 + Math.floor(next() * 6));
  const width = Math.max(...lengths);
  const inputIds = lengths.map((n) =>
    Array.from({ length: width }, (_, i) =>
      i === 0 ? 0 : i === n - 1 ? 2 : i < n ? 3 + Math.floor(next() * 7999) : 1,
    ),
  );
  const attentionMask = lengths.map((n) => Array.from({ length: width }, (_, i) => (i < n ? 1 : 0)));
  const pixels = Float32Array.from({ length: pairs * 3 * 30 * 30 }, () => next() * 4 - 2);
  return { inputIds, attentionMask, pixelValues: new Tensor('float32', pixels, [pairs, 3, 30, 30]) };
}

describe.skipIf(!suite)('training on tfjs cpu', () => {
  let model: TfjsModel;
  const batch = syntheticBatch(4, 7);

  beforeAll(async () => {
    model = await loadTiny('cpu');
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it('the differentiable loss equals the golden return_loss', async () => {
    const c = suite!.cases.find((x) => x.name === 'full_3x3_loss')!;
    const data = await readGoldenTensors(suite!, c);
    const pairs: PairBatch = {
      inputIds: data.get('input_ids') as Tensor,
      attentionMask: data.get('attention_mask') as Tensor,
      pixelValues: data.get('pixel_values') as Tensor<'float32'>,
    };
    const trainer = createTrainer(model);
    const loss = await trainer.loss(pairs);
    expect(Math.abs(loss - (data.get('loss') as Tensor<'float32'>).data[0])).toBeLessThan(1e-4);
    trainer.dispose();
  });

  it('gradients agree with central finite differences', async () => {
    const trainer = createTrainer(model, {
      training: false,
      trainable: { text: true, vision: true, logitScale: true },
    });
    const { loss, grads } = await trainer.lossAndGrads(batch);
    expect(loss).toBeCloseTo(await trainer.loss(batch), 6);
    const probes: [string, number][] = [
      ['logit_scale', 0],
      ['text_projection.weight', 7],
      ['visual_projection.weight', 40],
      ['text_model.roberta.encoder.layer.0.attention.self.query.weight', 5],
      ['text_model.roberta.embeddings.word_embeddings.weight', 32 * 2 + 3], // row 2 = </s>, used by every text
      ['text_model.roberta.embeddings.position_embeddings.weight', 32 * 3 + 1],
      ['vision_model.embeddings.patch_embedding.weight', 100],
      ['vision_model.embeddings.position_embedding.weight', 32 * 4 + 9],
      ['vision_model.encoder.layers.1.mlp.fc1.bias', 3],
      ['vision_model.pre_layrnorm.weight', 11],
    ];
    const step = 1e-2;
    const report: string[] = [];
    for (const [key, index] of probes) {
      const original = await model.getParameter(key);
      const lossAt = async (delta: number) => {
        const values = original.data.slice();
        values[index] += delta;
        await model.setParameter(key, new Tensor('float32', values, original.dims));
        return trainer.loss(batch);
      };
      const numeric = ((await lossAt(step)) - (await lossAt(-step))) / (2 * step);
      await model.setParameter(key, original);
      const analytic = (grads.get(key) as Tensor<'float32'>).data[index];
      report.push(
        `${key}[${index}]: analytic ${analytic.toExponential(4)} numeric ${numeric.toExponential(4)}`,
      );
      // float32 loss rounding (~1e-7) over 2h gives ~1e-5 of noise; O(h^2) truncation stays below 1e-3 relative.
      expect(Math.abs(analytic - numeric), report.at(-1)).toBeLessThanOrEqual(
        2e-4 + 1e-2 * Math.abs(analytic),
      );
    }
    console.info(report.join('\n'));
    trainer.dispose();
  });

  it('dropout is on in training mode only', async () => {
    const trainer = createTrainer(model, { seed: 1 });
    const inference = await trainer.loss(batch);
    expect(await trainer.loss(batch)).toBe(inference);
    const training = await trainer.loss(batch, { training: true });
    expect(training).not.toBe(inference);
    trainer.dispose();
  });

  it('a short fine-tune with a frozen image tower lowers the loss and keeps tensors bounded', async () => {
    const tuned = await loadTiny('cpu');
    const trainer = createTrainer(tuned, {
      learningRate: 3e-3,
      trainable: { text: true, vision: false },
      seed: 3,
    });
    const frozenKey = 'vision_model.encoder.layers.0.mlp.fc1.weight';
    const visionBefore = await tuned.getParameter(frozenKey);
    const textBefore = await tuned.getParameter('text_projection.weight');
    const before = await trainer.loss(batch);
    await trainer.step(batch);
    const tensorsAfterFirstStep = tf.memory().numTensors;
    for (let i = 1; i < 30; i++) await trainer.step(batch);
    expect(tf.memory().numTensors).toBe(tensorsAfterFirstStep);
    const after = await trainer.loss(batch);
    console.info(
      `fine-tune (text tower, 30 adam steps, 4 pairs): loss ${before.toFixed(4)} -> ${after.toFixed(4)}`,
    );
    expect(after).toBeLessThan(before * 0.5);
    expect((await tuned.getParameter(frozenKey)).data).toEqual(visionBefore.data);
    expect((await tuned.getParameter('text_projection.weight')).data).not.toEqual(textBefore.data);

    // Saved with Hugging Face keys, the file reloads into a model with identical outputs.
    const bytes = await trainer.exportSafetensors();
    const store = readSafetensors(bytes);
    expect(store.metadata).toEqual({ format: 'pt' });
    expect(store.keys().sort()).toEqual([...tuned.parameters.variables.keys()].sort());
    const reloaded = await TfjsModel.load({
      config: tuned.config,
      weights: store,
      towers: TOWERS,
      device: 'cpu',
    });
    const text = prepareTextInputs(tuned.config.textConfig, batch);
    const vision = prepareVisionInputs(tuned.config.visionConfig, batch);
    const options = { outputHiddenStates: false, outputAttentions: false };
    const [a, b] = [await tuned.runText(text, options), await reloaded.runText(text, options)];
    expect(b.features?.data).toEqual(a.features?.data);
    const [c, d] = [await tuned.runVision(vision, options), await reloaded.runVision(vision, options)];
    expect(d.features?.data).toEqual(c.features?.data);
    const head = computeHead(b.features!, d.features!, (await reloaded.logitScale())!, true);
    expect(head.loss!.data[0]).toBeCloseTo(after, 4);

    // save_pretrained layout, reloaded by the onnxruntime backend: the same outputs as tfjs.
    const dir = await mkdtemp(join(tmpdir(), 'altclip-tfjs-'));
    try {
      await trainer.savePretrained(dir);
      const ort = await AltCLIPModel.fromPretrained(dir, { backend: 'ort-node', device: 'cpu' });
      const ortOut = await ort.forward({ ...batch, returnLoss: true });
      const tfjsHead = computeHead(a.features!, c.features!, (await tuned.logitScale())!, true);
      expectClose(ortOut.textEmbeds, tfjsHead.textEmbeds, { atol: 1e-5, rtol: 1e-4 }, 'text embeds');
      expectClose(ortOut.imageEmbeds, tfjsHead.imageEmbeds, { atol: 1e-5, rtol: 1e-4 }, 'image embeds');
      expectClose(
        ortOut.logitsPerText,
        tfjsHead.logitsPerText,
        { atol: 1e-4, rtol: 1e-4 },
        'logits per text',
      );
      expect(ortOut.loss!.data[0]).toBeCloseTo(after, 4);
      await ort.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    trainer.dispose();
    await reloaded.dispose();
    await tuned.dispose();
  });
});

describe.skipIf(!suite)('training on tfjs wasm', () => {
  it('gives the cpu gradients for every parameter and trains', async () => {
    const batch = syntheticBatch(3, 11);
    const results = [];
    for (const device of ['cpu', 'wasm'] as const) {
      const model = await loadTiny(device);
      const trainer = createTrainer(model, { training: false, trainable: { logitScale: true } });
      results.push(await trainer.lossAndGrads(batch));
      const before = await trainer.loss(batch);
      for (let i = 0; i < 3; i++) await trainer.step(batch);
      if (device === 'wasm') expect(await trainer.loss(batch)).toBeLessThan(before);
      trainer.dispose();
      await model.dispose();
    }
    const [cpu, wasm] = results;
    expect(wasm.loss).toBeCloseTo(cpu.loss, 5);
    expect([...wasm.grads.keys()]).toEqual([...cpu.grads.keys()]);
    expect(cpu.grads.size).toBe(83);
    let worst = 0;
    for (const [key, grad] of cpu.grads) {
      const other = wasm.grads.get(key) as Tensor<'float32'>;
      let scale = 0;
      for (const v of grad.data) scale = Math.max(scale, Math.abs(v));
      if (/\.(key|k_proj)\.bias$/.test(key)) {
        // Softmax ignores a shift shared by all keys: this gradient is exactly 0, both sides hold rounding noise.
        for (const v of [...grad.data, ...other.data]) expect(Math.abs(v)).toBeLessThan(1e-6);
        continue;
      }
      let local = 0;
      for (let i = 0; i < grad.size; i++) {
        local = Math.max(local, Math.abs(other.data[i] - grad.data[i]) / (scale + 1e-6));
      }
      worst = Math.max(worst, local);
    }
    // Relative to each parameter's largest gradient: only summation order differs between the backends.
    expect(worst).toBeLessThan(1e-4);
  });
});
