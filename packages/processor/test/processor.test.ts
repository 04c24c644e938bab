import { join } from 'node:path';
import { InputError, type Tensor } from '@altclip/core';
import { describe, expect, it } from 'vitest';
import { expectClose, goldenSuite, readGoldenTensors } from '../../../tools/goldens.js';
import { AltCLIPProcessor } from '../src/index.js';

const suite = goldenSuite();
const e2e = suite?.cases.find((c) => c.name === 'e2e_processor_4x3') as
  | (NonNullable<typeof suite>['cases'][number] & { texts: string[]; images: string[] })
  | undefined;

describe.skipIf(!suite)('AltCLIPProcessor on the tiny-altclip end-to-end golden', () => {
  it('tokenizes and preprocesses exactly as the Python processor', async () => {
    const processor = await AltCLIPProcessor.fromPretrained(suite!.modelDir);
    const images = e2e!.images.map((path) => join(suite!.modelDir, path));
    const inputs = await processor.process({ text: e2e!.texts, images, padding: 'longest' });
    const golden = await readGoldenTensors(suite!, e2e!);
    expect(inputs.inputIds!.to2d()).toEqual((golden.get('input_ids') as Tensor).to2d());
    expect(inputs.attentionMask!.to2d()).toEqual((golden.get('attention_mask') as Tensor).to2d());
    expectClose(inputs.pixelValues!, golden.get('pixel_values')!, { atol: 1e-6, rtol: 0 }, 'pixel_values');
  });

  it('returns only the parts asked for, plain arrays on request, and decodes', async () => {
    const processor = await AltCLIPProcessor.fromPretrained(suite!.modelDir);
    const textOnly = await processor.process({ text: 'a photo of a dog', returnTensors: false });
    expect(textOnly.pixelValues).toBeUndefined();
    expect(Array.isArray(textOnly.inputIds)).toBe(true);
    const ids = (textOnly.inputIds as number[][])[0];
    expect(processor.decode(ids, { skipSpecialTokens: true })).toBe('a photo of a dog');
    expect(processor.batchDecode([ids, ids], { skipSpecialTokens: true })).toEqual([
      'a photo of a dog',
      'a photo of a dog',
    ]);
    const imageOnly = await processor.process({ images: join(suite!.modelDir, e2e!.images[1]) });
    expect(imageOnly.inputIds).toBeUndefined();
    expect(imageOnly.pixelValues!.dims).toEqual([1, 3, 30, 30]);
  });

  it('refuses a call with neither text nor images', async () => {
    const processor = await AltCLIPProcessor.fromPretrained(suite!.modelDir);
    await expect(processor.process({})).rejects.toThrow(InputError);
  });
});
