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
import { tfjsBackend } from '../src/index.js';
import { compare, loadGolden, readCase, TINY_DIR } from './golden.js';

tf.env().set('PROD', true);

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

describe.skipIf(!TINY_DIR)('through core model classes', () => {
  for (const device of ['cpu', 'wasm'] as const) {
    it(`AltCLIPModel.fromPretrained(tiny, {backend: 'tfjs', device: '${device}'}) matches full_3x3_loss`, async () => {
      const golden = loadGolden();
      const c = golden.cases.find((x) => x.name === 'full_3x3_loss')!;
      const data = await readCase(c);
      const model = await AltCLIPModel.fromPretrained(TINY_DIR as string, { backend: 'tfjs', device });
      expect(model.backend).toBe('tfjs');
      expect(model.device).toBe(device);
      const out = await model.forward({
        inputIds: data.get('input_ids') as Tensor,
        attentionMask: data.get('attention_mask') as Tensor,
        pixelValues: data.get('pixel_values') as Tensor<'float32'>,
        returnLoss: true,
      });
      const { atol, rtol } = golden.default_tolerance;
      for (const [name, actual] of [
        ['logits_per_image', out.logitsPerImage],
        ['text_embeds', out.textEmbeds],
        ['image_embeds', out.imageEmbeds],
        ['loss', out.loss],
      ] as const) {
        expect(compare(actual as Tensor, data.get(name) as Tensor, atol, rtol).violations, name).toBe(0);
      }
      await model.dispose();
    });
  }

  it('loads the standalone towers from the full checkpoint', async () => {
    const golden = loadGolden();
    const t = golden.cases.find((x) => x.name === 'text_right_padded')!;
    const v = golden.cases.find((x) => x.name === 'vision_batch2')!;
    const [textData, visionData] = [await readCase(t), await readCase(v)];
    const text = await AltCLIPTextModel.fromPretrained(TINY_DIR as string, {
      backend: 'tfjs',
      device: 'wasm',
    });
    const vision = await AltCLIPVisionModel.fromPretrained(TINY_DIR as string, {
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
    expect(
      compare(textOut.lastHiddenState, textData.get('last_hidden_state') as Tensor, 1e-4, 1e-4).violations,
    ).toBe(0);
    expect(
      compare(visionOut.poolerOutput, visionData.get('pooler_output') as Tensor, 1e-4, 1e-4).violations,
    ).toBe(0);
    await text.dispose();
    await vision.dispose();
  });
});
