import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CLIPImageProcessor,
  centerCrop,
  loadImage,
  type RawImage,
  resize,
  resizeOutputSize,
} from '../src/index.js';
import {
  firstMismatch,
  folderFiles,
  IMAGES_DIR,
  imagesPath,
  maxAbsDiff,
  readJSON,
  sha256,
} from './helpers.js';
import { asFloat32, readGolden } from './safetensors.js';

interface VariantImage {
  file: string;
  golden: string;
  resized_size?: [number, number] | null;
  crop_box?: { top: number; left: number; height: number; width: number } | null;
  pixel_values_shape?: number[];
}
interface Variant {
  name: string;
  config_file: string;
  effective_config: Record<string, unknown>;
  images: VariantImage[];
}

const variants = IMAGES_DIR ? readJSON<{ variants: Variant[] }>('variants', 'index.json').variants : [];
const cases = variants.flatMap((variant) =>
  variant.images.map((image) => [`${variant.name} ${image.file}`, variant, image] as const),
);

describe.skipIf(!IMAGES_DIR)('config variants', () => {
  it.each(cases)('%s', async (_name, variant, image) => {
    const folder = imagesPath(variant.config_file.replace(/\/preprocessor_config\.json$/, ''));
    const processor = await CLIPImageProcessor.fromFiles(folderFiles(folder));
    // The file as written (legacy ints or dicts) must parse to the effective config the generator recorded.
    expect(processor.toJSON()).toMatchObject(variant.effective_config);
    const golden = await readGolden(imagesPath(image.golden));
    const stem = image.file.replace(/^inputs\//, '').replace(/\.[a-z]+$/, '');
    const defaults = await readGolden(imagesPath('golden', `${stem}.safetensors`));
    const { pixelValues } = await processor.preprocess(imagesPath(image.file));
    const expected = asFloat32(golden.pixel_values);
    expect(pixelValues.dims).toEqual([1, ...golden.pixel_values.shape]);
    expect(maxAbsDiff(pixelValues.data, expected)).toBeLessThanOrEqual(1e-6);
    // The uint8 steps on their own, from the golden decoded array (or ours, pinned by the golden test, for photos
    // stored as patches).
    if (golden.resized) {
      const decoded: RawImage = defaults.decoded
        ? {
            data: defaults.decoded.bytes,
            width: defaults.decoded.shape[1],
            height: defaults.decoded.shape[0],
            channels: 3,
          }
        : await loadImage(imagesPath(image.file));
      const { width, height } = decoded;
      const size = resizeOutputSize(width, height, processor.config.size);
      const resized = resize(decoded, size, processor.config.resample);
      expect(firstMismatch(resized.data, golden.resized.bytes)).toBeUndefined();
      if (image.crop_box) {
        const cropped = centerCrop(resized, processor.config.cropSize);
        expect([cropped.height, cropped.width]).toEqual([image.crop_box.height, image.crop_box.width]);
      }
    }
  });
});

describe.skipIf(!IMAGES_DIR)('batch golden', () => {
  it('stacks 4 images into [4, 3, 224, 224] equal to batch4.safetensors', async () => {
    const batch = readJSON<{ images: { file: string }[]; pixel_values_sha256: string }>(
      'batch',
      'index.json',
    );
    const processor = CLIPImageProcessor.fromConfig(
      JSON.parse(readFileSync(imagesPath('batch', 'preprocessor_config.json'), 'utf8')),
    );
    const { pixelValues } = await processor.preprocess(batch.images.map((image) => imagesPath(image.file)));
    const golden = await readGolden(imagesPath('batch', 'batch4.safetensors'));
    expect(pixelValues.dims).toEqual([4, 3, 224, 224]);
    expect(maxAbsDiff(pixelValues.data, asFloat32(golden.pixel_values))).toBeLessThanOrEqual(1e-6);
    const bytes = new Uint8Array(
      pixelValues.data.buffer,
      pixelValues.data.byteOffset,
      pixelValues.data.byteLength,
    );
    expect(sha256(bytes)).toBe(batch.pixel_values_sha256);
  });
});
