import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIPImageProcessor, loadImage, resize, resizeOutputSize } from '../src/index.js';
import {
  firstMismatch,
  floatBytes,
  folderFiles,
  IMAGES_DIR,
  type ImageEntry,
  imagesPath,
  maxAbsDiff,
  readJSON,
  sha256,
  window,
} from './helpers.js';
import { asFloat32, readGolden } from './safetensors.js';

const index = IMAGES_DIR ? readJSON<{ images: ImageEntry[] }>('index.json') : { images: [] };

const totals = {
  images: 0,
  decodedIdentical: 0,
  resizedIdentical: 0,
  pixelValuesBitExact: 0,
  maxPixelDiff: 0,
};

describe.skipIf(!IMAGES_DIR)('golden images (default config)', () => {
  let processor: CLIPImageProcessor;
  let exifProcessor: CLIPImageProcessor;
  beforeAll(async () => {
    processor = await CLIPImageProcessor.fromFiles(folderFiles(imagesPath('golden')));
    exifProcessor = await CLIPImageProcessor.fromFiles(folderFiles(imagesPath('golden')), {
      exifOrientation: 'apply',
    });
  });
  afterAll(() => {
    console.log(`image goldens: ${JSON.stringify(totals)}`);
  });

  it.each(index.images.map((entry) => [entry.file, entry] as const))('%s', async (_file, entry) => {
    totals.images++;
    const golden = await readGolden(imagesPath(entry.golden));
    const [height, width] = entry.decoded_size;
    // 1. Decoding (as PIL.Image.open + convert("RGB")).
    const decoded = await loadImage(imagesPath(entry.file));
    expect([decoded.height, decoded.width, decoded.channels]).toEqual([height, width, 3]);
    expect(sha256(decoded.data)).toBe(entry.decoded_sha256);
    if (entry.decoded_stored === 'full')
      expect(firstMismatch(decoded.data, golden.decoded.bytes)).toBeUndefined();
    for (const [name, box] of Object.entries(entry.decoded_patches ?? {})) {
      expect(
        firstMismatch(window(decoded, box.top, box.left, box.height, box.width), golden[name].bytes),
      ).toBeUndefined();
    }
    totals.decodedIdentical++;
    // 2. Resize from the decoded pixels (bit-identical to the golden's at this point).
    const target = resizeOutputSize(width, height, processor.config.size);
    expect([target.height, target.width]).toEqual(entry.resized_size);
    const resized = resize(decoded, target, processor.config.resample);
    expect(sha256(resized.data)).toBe(entry.resized_sha256);
    if (entry.resized_window) {
      const box = entry.resized_window;
      expect(
        firstMismatch(window(resized, box.top, box.left, box.height, box.width), golden.resized_window.bytes),
      ).toBeUndefined();
    } else {
      expect(firstMismatch(resized.data, golden.resized.bytes)).toBeUndefined();
    }
    totals.resizedIdentical++;
    // 3. The whole pipeline from the file.
    const expected = asFloat32(golden.pixel_values);
    const { pixelValues } = await processor.preprocess(imagesPath(entry.file));
    expect(pixelValues.dims).toEqual([1, ...golden.pixel_values.shape]);
    const diff = maxAbsDiff(pixelValues.data, expected);
    totals.maxPixelDiff = Math.max(totals.maxPixelDiff, diff);
    expect(diff).toBeLessThanOrEqual(1e-6);
    if (sha256(floatBytes(pixelValues.data)) === entry.pixel_values_sha256) totals.pixelValuesBitExact++;
    // 4. transformers' load_image(path) path: EXIF orientation applied first.
    if (entry.load_image_path_differs) {
      const exif = entry.exif_transposed as { decoded_exif_sha256: string; resized_exif_sha256: string };
      const rotated = await loadImage(imagesPath(entry.file), { exifOrientation: 'apply' });
      expect(sha256(rotated.data)).toBe(exif.decoded_exif_sha256);
      const rotatedTarget = resizeOutputSize(rotated.width, rotated.height, processor.config.size);
      expect(sha256(resize(rotated, rotatedTarget, processor.config.resample).data)).toBe(
        exif.resized_exif_sha256,
      );
      const exifOut = await exifProcessor.preprocess(imagesPath(entry.file));
      expect(maxAbsDiff(exifOut.pixelValues.data, asFloat32(golden.pixel_values_exif))).toBeLessThanOrEqual(
        1e-6,
      );
    } else {
      const rotated = await loadImage(imagesPath(entry.file), { exifOrientation: 'apply' });
      expect(sha256(rotated.data)).toBe(entry.decoded_sha256);
    }
  });
});
