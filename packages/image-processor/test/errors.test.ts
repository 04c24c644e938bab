import { readFileSync } from 'node:fs';
import { InputError, NotSupportedError } from '@altclip/core';
import { describe, expect, it } from 'vitest';
import { CLIPImageProcessor, ImageDecodeError, ImageTooLargeError, loadImage } from '../src/index.js';
import { IMAGES_DIR, imagesPath } from './helpers.js';

const samples = {
  jpeg: 'inputs/ljt_testorig_227x149.jpg',
  cmyk: 'inputs/pillow_cmyk_ycck.jpg',
  arithmetic: 'inputs/ljt_testimgari_arith.jpg',
  png: 'inputs/skimage_chelsea_rgb.png',
  gif: 'inputs/pillow_hopper_static.gif',
  webp: 'inputs/pillow_flower_lossy.webp',
  bmp: 'inputs/pillow_hopper_24bit.bmp',
};

describe.skipIf(!IMAGES_DIR)('corrupt and truncated files', () => {
  it.each(Object.entries(samples))(
    'a truncated %s gives ImageDecodeError naming the input',
    async (_kind, file) => {
      const bytes = new Uint8Array(readFileSync(imagesPath(file)));
      const truncated = bytes.slice(0, Math.floor(bytes.length * 0.6));
      const error = await loadImage(truncated, { name: `cut-${file}` }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImageDecodeError);
      expect((error as ImageDecodeError).input).toBe(`cut-${file}`);
      expect((error as Error).message).toContain(`cut-${file}`);
    },
  );

  it('keeps decoding after a libjpeg error (the wasm instance is replaced)', async () => {
    const bytes = new Uint8Array(readFileSync(imagesPath(samples.jpeg)));
    const garbage = bytes.slice();
    garbage.fill(0x55, 300, 2000);
    for (let i = 0; i < 3; i++)
      await expect(loadImage(bytes.slice(0, 700))).rejects.toBeInstanceOf(ImageDecodeError);
    await loadImage(garbage).catch(() => undefined);
    const image = await loadImage(bytes);
    expect([image.width, image.height]).toEqual([227, 149]);
  });

  it('rejects unknown formats with NotSupportedError', async () => {
    await expect(loadImage(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]))).rejects.toBeInstanceOf(
      NotSupportedError,
    );
  });

  it('names a missing file', async () => {
    const error = await loadImage('/nonexistent/cat.png').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect((error as ImageDecodeError).input).toBe('/nonexistent/cat.png');
  });

  it.each(Object.entries(samples))('the pixel limit stops a %s before it is decoded', async (_kind, file) => {
    const error = await loadImage(imagesPath(file), { maxPixels: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect((error as ImageTooLargeError).maxPixels).toBe(1000);
    expect((error as ImageTooLargeError).pixels).toBeGreaterThan(1000);
  });

  it('in a batch, the error says which image failed', async () => {
    const processor = CLIPImageProcessor.fromConfig({}, { maxPixels: 200_000 });
    const bad = new Uint8Array(readFileSync(imagesPath(samples.png))).slice(0, 5000);
    const error = await processor.preprocess([imagesPath(samples.gif), bad]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect((error as ImageDecodeError).input).toBe('images[1]');
    const large = await processor
      .preprocess([imagesPath(samples.gif), imagesPath('inputs/altclip_man.jpg')])
      .catch((e: unknown) => e);
    expect(large).toBeInstanceOf(ImageTooLargeError);
    expect((large as Error).message).toContain('images[1] (');
  });
});

describe('raw pixel inputs', () => {
  it('converts gray, gray+alpha and RGBA raw pixels like convert("RGB")', async () => {
    const gray = await loadImage({ data: new Uint8Array([10, 20]), width: 2, height: 1, channels: 1 });
    expect([...gray.data]).toEqual([10, 10, 10, 20, 20, 20]);
    const la = await loadImage({ data: new Uint8Array([10, 0, 20, 255]), width: 2, height: 1, channels: 2 });
    expect([...la.data]).toEqual([10, 10, 10, 20, 20, 20]);
    // Alpha is dropped, never composited: RGB under alpha 0 is kept.
    const rgba = await loadImage({
      data: new Uint8Array([1, 2, 3, 0, 4, 5, 6, 128]),
      width: 2,
      height: 1,
      channels: 4,
    });
    expect([...rgba.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects raw pixels whose size does not add up', async () => {
    await expect(
      loadImage({ data: new Uint8Array(5), width: 2, height: 1, channels: 3 }),
    ).rejects.toBeInstanceOf(InputError);
  });

  it('refuses to stack images of different sizes without center crop', async () => {
    const processor = CLIPImageProcessor.fromConfig({ do_center_crop: false });
    const a = { data: new Uint8Array(4 * 8 * 3), width: 4, height: 8, channels: 3 };
    const b = { data: new Uint8Array(8 * 4 * 3), width: 8, height: 4, channels: 3 };
    await expect(processor.preprocess([a, b])).rejects.toBeInstanceOf(InputError);
    const { pixelValues } = await processor.preprocess([a, a]);
    expect(pixelValues.dims).toEqual([2, 3, 448, 224]);
  });
});

describe.skipIf(!IMAGES_DIR)('paths', () => {
  it('accepts file: URLs as strings and URL objects in Node', async () => {
    const path = imagesPath(samples.bmp);
    const url = new URL(`file://${path}`);
    const [a, b, c] = await Promise.all([loadImage(path), loadImage(url), loadImage(url.href)]);
    expect(Buffer.compare(a.data, b.data)).toBe(0);
    expect(Buffer.compare(a.data, c.data)).toBe(0);
  });
});
