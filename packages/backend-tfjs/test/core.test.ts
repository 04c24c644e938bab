import {
  AltCLIPModel,
  AltCLIPTextModel,
  AltCLIPVisionModel,
  listBackends,
  resolveBackend,
  type Tensor,
} from '@altclip/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectClose, goldenSuite, readGoldenTensors } from '../../../tools/goldens.js';
import { tfjsBackend } from '../src/index.js';

tf.env().set('PROD', true);
const suite = goldenSuite();

describe('registration', () => {
  it("registers as 'tfjs' with cpu and wasm devices in Node", async () => {
    expect(listBackends()).toContain('tfjs');
    const resolved = await resolveBackend('tfjs', { device: 'wasm' });
    expect(resolved.backend).toBe(tfjsBackend);
    expect(resolved.capabilities.devices).toEqual(['wasm', 'cpu']);
    expect(resolved.capabilities.gradients).toBe(true);
    await expect(resolveBackend('tfjs', { device: 'webgl' })).rejects.toThrow(/webgl/);
  });
});

describe.skipIf(!suite)('through core model classes', () => {
  for (const device of ['cpu', 'wasm'] as const) {
    it(`AltCLIPModel.fromPretrained(tiny, {backend: 'tfjs', device: '${device}'}) matches full_3x3_loss`, async () => {
      const c = suite!.cases.find((x) => x.name === 'full_3x3_loss')!;
      const data = await readGoldenTensors(suite!, c);
      const model = await AltCLIPModel.fromPretrained(suite!.modelDir, { backend: 'tfjs', device });
      expect(model.backend).toBe('tfjs');
      expect(model.device).toBe(device);
      const out = await model.forward({
        inputIds: data.get('input_ids') as Tensor,
        attentionMask: data.get('attention_mask') as Tensor,
        pixelValues: data.get('pixel_values') as Tensor<'float32'>,
        returnLoss: true,
      });
      for (const [name, actual] of [
        ['logits_per_image', out.logitsPerImage],
        ['text_embeds', out.textEmbeds],
        ['image_embeds', out.imageEmbeds],
        ['loss', out.loss],
      ] as const) {
        expectClose(actual as Tensor, data.get(name) as Tensor, suite!.defaultTolerance, name);
      }
      await model.dispose();
    });
  }

  it('loads the standalone towers from the full checkpoint', async () => {
    const t = suite!.cases.find((x) => x.name === 'text_right_padded')!;
    const v = suite!.cases.find((x) => x.name === 'vision_batch2')!;
    const [textData, visionData] = [await readGoldenTensors(suite!, t), await readGoldenTensors(suite!, v)];
    const text = await AltCLIPTextModel.fromPretrained(suite!.modelDir, {
      backend: 'tfjs',
      device: 'wasm',
    });
    const vision = await AltCLIPVisionModel.fromPretrained(suite!.modelDir, {
      backend: 'tfjs',
      device: 'cpu',
    });
    const textOut = await text.forward({
      inputIds: textData.get('input_ids') as Tensor,
      attentionMask: textData.get('attention_mask') as Tensor,
    });
    const visionOut = await vision.forward({
      pixelValues: visionData.get('pixel_values') as Tensor<'float32'>,
    });
    expectClose(
      textOut.lastHiddenState,
      textData.get('last_hidden_state') as Tensor,
      { atol: 1e-4, rtol: 1e-4 },
      'text last_hidden_state',
    );
    expectClose(
      visionOut.poolerOutput,
      visionData.get('pooler_output') as Tensor,
      { atol: 1e-4, rtol: 1e-4 },
      'vision pooler_output',
    );
    await text.dispose();
    await vision.dispose();
  });
});
