import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIPImageProcessor, ImageDecodeError, ImageProcessorPool } from '../src/index.js';
import { IMAGES_DIR, type ImageEntry, imagesPath, readJSON } from './helpers.js';

// Worker threads run the build (dist/pool-worker.js): turbo builds the package before its tests.
const built = existsSync(resolve(import.meta.dirname, '..', 'dist', 'pool-worker.js'));
if (!built && process.env.CI)
  throw new Error('dist/pool-worker.js missing under CI: build the package first');

describe.skipIf(!built || !IMAGES_DIR)('ImageProcessorPool', () => {
  let pool: ImageProcessorPool;
  let processor: CLIPImageProcessor;
  beforeAll(async () => {
    processor = CLIPImageProcessor.fromConfig(readJSON('golden', 'preprocessor_config.json'));
    pool = await ImageProcessorPool.create(processor, { workers: 2 });
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('gives the same batch as the processor, in order', async () => {
    const files = readJSON<{ images: ImageEntry[] }>('index.json').images.map((entry) =>
      imagesPath(entry.file),
    );
    const [pooled, direct] = await Promise.all([pool.preprocess(files), processor.preprocess(files)]);
    expect(pooled.pixelValues.dims).toEqual([files.length, 3, 224, 224]);
    expect(
      Buffer.compare(
        Buffer.from(pooled.pixelValues.data.buffer),
        Buffer.from(direct.pixelValues.data.buffer),
      ),
    ).toBe(0);
  });

  it('names the failing image and keeps working afterwards', async () => {
    const good = imagesPath('inputs/pillow_hopper_static.gif');
    const error = await pool
      .preprocess([good, new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2])])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect((error as ImageDecodeError).input).toBe('images[1]');
    const { pixelValues } = await pool.preprocess(good);
    expect(pixelValues.dims).toEqual([1, 3, 224, 224]);
  });
});
