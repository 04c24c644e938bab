import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectClose, goldenSuite, readGoldenTensors, toleranceOf } from '../../../tools/goldens.js';
import { computeHead, openSafetensors, Tensor } from '../src/index.js';

const suite = goldenSuite();

/** `features @ weight^T` in float64, for the projections (bias-free Linear). */
function project(features: Tensor, weight: Tensor): Tensor<'float32'> {
  const [rows, inner] = features.dims;
  const out = weight.dims[0];
  const result = new Float32Array(rows * out);
  const x = features.data as Float32Array;
  const w = weight.data as Float32Array;
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < out; o++) {
      let sum = 0;
      for (let k = 0; k < inner; k++) sum += x[r * inner + k] * w[o * inner + k];
      result[r * out + o] = sum;
    }
  }
  return new Tensor('float32', result, [rows, out]);
}

describe.skipIf(!suite)('contrastive head against the tiny-altclip goldens', () => {
  for (const name of ['full_3x3_loss', 'full_2x4_no_loss', 'fp16_weights_full_2x2']) {
    it(`${name}: logits and loss from the goldens' tower outputs`, async () => {
      const goldenCase = suite!.cases.find((c) => c.name === name)!;
      const tensors = await readGoldenTensors(suite!, goldenCase);
      const weights = await openSafetensors(
        join(suite!.modelDir, goldenCase.weights_file ?? 'model.safetensors'),
      );
      try {
        const textFeatures = project(
          tensors.get('text_model_output.pooler_output')!,
          await weights.getFloat32('text_projection.weight'),
        );
        const imageFeatures = project(
          tensors.get('vision_model_output.pooler_output')!,
          await weights.getFloat32('visual_projection.weight'),
        );
        const logitScale = (await weights.getFloat32('logit_scale')).data[0];
        const returnLoss = goldenCase.options.return_loss ?? false;
        const head = computeHead(textFeatures, imageFeatures, logitScale, returnLoss);
        const strict = { atol: 1e-5, rtol: 0 };
        for (const key of ['logits_per_image', 'logits_per_text', 'text_embeds', 'image_embeds'] as const) {
          const ours = {
            logits_per_image: head.logitsPerImage,
            logits_per_text: head.logitsPerText,
            text_embeds: head.textEmbeds,
            image_embeds: head.imageEmbeds,
          }[key];
          expectClose(ours, tensors.get(key)!, strict, `${name} ${key}`);
          expect(toleranceOf(suite!, goldenCase, key).atol).toBeGreaterThanOrEqual(strict.atol);
        }
        if (returnLoss) expectClose(head.loss!, tensors.get('loss')!, strict, `${name} loss`);
        else expect(head.loss).toBeUndefined();
      } finally {
        await weights.close();
      }
    });
  }
});
