import { ConfigError } from '@altclip/core';
import { describe, expect, it } from 'vitest';
import {
  CLIP_DEFAULTS,
  CLIPImageProcessor,
  parseImageProcessorConfig,
  preprocess,
  Resample,
  resizeOutputSize,
} from '../src/index.js';
import { folderFiles, IMAGES_DIR, imagesPath } from './helpers.js';

describe('parseImageProcessorConfig', () => {
  it('reads the legacy form: int size is the shortest edge, int crop is square, missing keys default', () => {
    const config = parseImageProcessorConfig({ size: 256, crop_size: 240, do_normalize: false });
    expect(config.size).toEqual({ shortestEdge: 256 });
    expect(config.cropSize).toEqual({ height: 240, width: 240 });
    expect(config.doNormalize).toBe(false);
    expect(config.doRescale).toBe(true);
    expect(config.rescaleFactor).toBe(1 / 255);
    expect(config.doConvertRgb).toBe(true);
    expect(config.resample).toBe(Resample.BICUBIC);
  });

  it('reads the current dict form and every field', () => {
    const config = parseImageProcessorConfig({
      do_resize: false,
      size: { height: 300, width: 200 },
      resample: 1,
      do_center_crop: false,
      crop_size: { height: 100, width: 120 },
      do_rescale: false,
      rescale_factor: 0.5,
      do_normalize: true,
      image_mean: [0.5, 0.5, 0.5],
      image_std: [0.25, 0.25, 0.25],
      do_convert_rgb: false,
    });
    expect(config).toEqual({
      doResize: false,
      size: { height: 300, width: 200 },
      resample: Resample.LANCZOS,
      doCenterCrop: false,
      cropSize: { height: 100, width: 120 },
      doRescale: false,
      rescaleFactor: 0.5,
      doNormalize: true,
      imageMean: [0.5, 0.5, 0.5],
      imageStd: [0.25, 0.25, 0.25],
      doConvertRgb: false,
    });
  });

  it('takes CLIP defaults for an empty object and round-trips through toJSON', () => {
    const processor = CLIPImageProcessor.fromConfig({});
    expect(processor.config).toEqual(CLIP_DEFAULTS);
    expect(CLIPImageProcessor.fromConfig(processor.toJSON()).config).toEqual(CLIP_DEFAULTS);
  });

  it.each([
    [{ resample: 7 }, 'resample'],
    [{ size: { longest_edge: 10 } }, 'size'],
    [{ size: -3 }, 'size'],
    [{ crop_size: 'big' }, 'crop_size'],
    [{ image_mean: [1, 2] }, 'image_mean'],
    [{ image_std: [1, 0, 1] }, 'image_std'],
    [{ do_resize: 'yes' }, 'do_resize'],
  ])('rejects %j with a ConfigError on %s', (json, field) => {
    expect(() => parseImageProcessorConfig(json)).toThrow(ConfigError);
    try {
      parseImageProcessorConfig(json);
    } catch (error) {
      expect((error as ConfigError).field).toBe(field);
    }
  });
});

describe('resizeOutputSize', () => {
  it('truncates the long side like int() in Python', () => {
    expect(resizeOutputSize(768, 1024, { shortestEdge: 224 })).toEqual({ width: 224, height: 298 });
    expect(resizeOutputSize(1000, 3, { shortestEdge: 224 })).toEqual({ width: 74666, height: 224 });
    expect(resizeOutputSize(5, 5, { shortestEdge: 224 })).toEqual({ width: 224, height: 224 });
    expect(resizeOutputSize(451, 300, { height: 10, width: 20 })).toEqual({ width: 20, height: 10 });
  });
});

describe.skipIf(!IMAGES_DIR)('loading from model files', () => {
  it('fromPretrained reads preprocessor_config.json from a local folder (legacy int sizes)', async () => {
    const processor = await CLIPImageProcessor.fromPretrained(imagesPath('variants', 'a_legacy_int_sizes'), {
      localFilesOnly: true,
    });
    expect(processor.config).toEqual(CLIP_DEFAULTS);
  });

  it('fromFiles reads the same config through any ModelFiles', async () => {
    const processor = await CLIPImageProcessor.fromFiles(
      folderFiles(imagesPath('variants', 'd_se256_crop240x200')),
    );
    expect(processor.config.size).toEqual({ shortestEdge: 256 });
    expect(processor.config.cropSize).toEqual({ height: 240, width: 200 });
  });
});

describe('preprocess()', () => {
  it('runs the default (AltCLIP) config on raw pixels', async () => {
    const image = { data: new Uint8Array(4 * 2 * 3).fill(255), width: 4, height: 2, channels: 3 };
    const { pixelValues } = await preprocess(image);
    expect(pixelValues.dims).toEqual([1, 3, 224, 224]);
    // White everywhere: (1 - mean) / std per channel, in float32.
    const expected = [0, 1, 2].map((c) =>
      Math.fround(
        Math.fround(Math.fround(255 / 255) - Math.fround(CLIP_DEFAULTS.imageMean[c])) /
          Math.fround(CLIP_DEFAULTS.imageStd[c]),
      ),
    );
    for (let c = 0; c < 3; c++) expect(pixelValues.data[c * 224 * 224 + 1000]).toBe(expected[c]);
  });
});
