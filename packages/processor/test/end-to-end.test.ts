import { join } from 'node:path';
import '@altclip/backend-ort';
import '@altclip/backend-tfjs';
import { AltCLIPModel, type Device, softmax } from '@altclip/core';
import { describe, expect, it } from 'vitest';
import { expectClose, goldenSuite, readGoldenTensors, toleranceOf } from '../../../tools/goldens.js';
import { AltCLIPProcessor, zeroShotImageClassification } from '../src/index.js';

const suite = goldenSuite();
const e2e = suite?.cases.find((c) => c.name === 'e2e_processor_4x3') as
  | (NonNullable<typeof suite>['cases'][number] & { texts: string[]; images: string[] })
  | undefined;

const backends: { backend: string; device: Device }[] = [
  { backend: 'ort-node', device: 'cpu' },
  { backend: 'ort-web', device: 'wasm' },
  { backend: 'tfjs', device: 'cpu' },
  { backend: 'tfjs', device: 'wasm' },
];

describe.skipIf(!suite)('texts and image files through processor and model, on every backend', () => {
  for (const { backend, device } of backends) {
    it(`${backend} ${device}: logits, embeds and probabilities match the Python golden`, async () => {
      const processor = await AltCLIPProcessor.fromPretrained(suite!.modelDir);
      const model = await AltCLIPModel.fromPretrained(suite!.modelDir, { backend, device });
      try {
        const images = e2e!.images.map((path) => join(suite!.modelDir, path));
        const inputs = await processor.process({ text: e2e!.texts, images, padding: 'longest' });
        const output = await model.forward(inputs);
        const golden = await readGoldenTensors(suite!, e2e!);
        const check = (name: string, actual: Parameters<typeof expectClose>[0]) =>
          expectClose(
            actual,
            golden.get(name)!,
            toleranceOf(suite!, e2e!, name),
            `${backend}/${device} ${name}`,
          );
        check('logits_per_image', output.logitsPerImage);
        check('logits_per_text', output.logitsPerText);
        check('text_embeds', output.textEmbeds);
        check('image_embeds', output.imageEmbeds);
        check('probs_per_image', softmax(output.logitsPerImage));

        // The pipeline's scores are the same probabilities, sorted per image.
        const ranked = await zeroShotImageClassification(model, processor, images, e2e!.texts, {
          hypothesisTemplate: '{}',
        });
        const probs = softmax(output.logitsPerImage).to2d();
        ranked.forEach((scores, image) => {
          expect(scores.map((s) => s.score)).toEqual([...scores.map((s) => s.score)].sort((a, b) => b - a));
          for (const { label, score } of scores) {
            expect(score).toBeCloseTo(probs[image][e2e!.texts.indexOf(label)], 6);
          }
        });
      } finally {
        await model.dispose();
      }
    });
  }
});
