import { ConfigError } from '@altclip/core';
import { Resample } from './resize.js';

export type SizeSpec =
  | { readonly shortestEdge: number }
  | { readonly height: number; readonly width: number };

/** The fields of a `preprocessor_config.json` for `CLIPImageProcessor`, camelCased. */
export interface ImageProcessorConfig {
  readonly doResize: boolean;
  readonly size: SizeSpec;
  readonly resample: Resample;
  readonly doCenterCrop: boolean;
  readonly cropSize: { readonly height: number; readonly width: number };
  readonly doRescale: boolean;
  readonly rescaleFactor: number;
  readonly doNormalize: boolean;
  readonly imageMean: readonly number[];
  readonly imageStd: readonly number[];
  readonly doConvertRgb: boolean;
}

/** transformers' `CLIPImageProcessor` defaults: what a missing key means. */
export const CLIP_DEFAULTS: ImageProcessorConfig = Object.freeze({
  doResize: true,
  size: Object.freeze({ shortestEdge: 224 }),
  resample: Resample.BICUBIC,
  doCenterCrop: true,
  cropSize: Object.freeze({ height: 224, width: 224 }),
  doRescale: true,
  rescaleFactor: 1 / 255,
  doNormalize: true,
  imageMean: Object.freeze([0.48145466, 0.4578275, 0.40821073]),
  imageStd: Object.freeze([0.26862954, 0.26130258, 0.27577711]),
  doConvertRgb: true,
});

function positiveInt(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(field, `expected a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function bool(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean')
    throw new ConfigError(field, `expected true or false, got ${JSON.stringify(value)}`);
  return value;
}

function parseSize(value: unknown, fallback: SizeSpec): SizeSpec {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number') return { shortestEdge: positiveInt('size', value) };
  if (typeof value === 'object' && !Array.isArray(value)) {
    const dict = value as Record<string, unknown>;
    if ('shortest_edge' in dict) {
      if (dict.longest_edge !== undefined && dict.longest_edge !== null) {
        throw new ConfigError('size', 'longest_edge is not supported by CLIPImageProcessor');
      }
      return { shortestEdge: positiveInt('size.shortest_edge', dict.shortest_edge) };
    }
    if ('height' in dict && 'width' in dict) {
      return {
        height: positiveInt('size.height', dict.height),
        width: positiveInt('size.width', dict.width),
      };
    }
  }
  throw new ConfigError(
    'size',
    `expected an int, {shortest_edge} or {height, width}, got ${JSON.stringify(value)}`,
  );
}

function parseCropSize(
  value: unknown,
  fallback: { height: number; width: number },
): { height: number; width: number } {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number') {
    const side = positiveInt('crop_size', value);
    return { height: side, width: side };
  }
  if (typeof value === 'object' && !Array.isArray(value) && 'height' in value && 'width' in value) {
    const dict = value as Record<string, unknown>;
    return {
      height: positiveInt('crop_size.height', dict.height),
      width: positiveInt('crop_size.width', dict.width),
    };
  }
  throw new ConfigError('crop_size', `expected an int or {height, width}, got ${JSON.stringify(value)}`);
}

function channelTriple(field: string, value: unknown, fallback: readonly number[]): readonly number[] {
  if (value === undefined || value === null) return fallback;
  const list = typeof value === 'number' ? [value, value, value] : value;
  if (
    !Array.isArray(list) ||
    list.length !== 3 ||
    list.some((v) => typeof v !== 'number' || !Number.isFinite(v))
  ) {
    throw new ConfigError(field, `expected 3 numbers (one per RGB channel), got ${JSON.stringify(value)}`);
  }
  return list as number[];
}

/** Parses a `preprocessor_config.json` object (legacy int sizes or current dicts); missing keys take the defaults. */
export function parseImageProcessorConfig(json: unknown): ImageProcessorConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError('preprocessor_config', 'expected a JSON object');
  }
  const raw = json as Record<string, unknown>;
  const resample = raw.resample ?? CLIP_DEFAULTS.resample;
  if (typeof resample !== 'number' || !Number.isInteger(resample) || resample < 0 || resample > 5) {
    throw new ConfigError(
      'resample',
      `expected a PIL filter number 0..5, got ${JSON.stringify(raw.resample)}`,
    );
  }
  const rescaleFactor = raw.rescale_factor ?? CLIP_DEFAULTS.rescaleFactor;
  if (typeof rescaleFactor !== 'number' || !Number.isFinite(rescaleFactor)) {
    throw new ConfigError('rescale_factor', `expected a number, got ${JSON.stringify(raw.rescale_factor)}`);
  }
  const imageStd = channelTriple('image_std', raw.image_std, CLIP_DEFAULTS.imageStd);
  if (imageStd.some((v) => v === 0)) throw new ConfigError('image_std', 'must not contain 0');
  return {
    doResize: bool('do_resize', raw.do_resize, CLIP_DEFAULTS.doResize),
    size: parseSize(raw.size, CLIP_DEFAULTS.size),
    resample: resample as Resample,
    doCenterCrop: bool('do_center_crop', raw.do_center_crop, CLIP_DEFAULTS.doCenterCrop),
    cropSize: parseCropSize(raw.crop_size, CLIP_DEFAULTS.cropSize),
    doRescale: bool('do_rescale', raw.do_rescale, CLIP_DEFAULTS.doRescale),
    rescaleFactor,
    doNormalize: bool('do_normalize', raw.do_normalize, CLIP_DEFAULTS.doNormalize),
    imageMean: channelTriple('image_mean', raw.image_mean, CLIP_DEFAULTS.imageMean),
    imageStd,
    doConvertRgb: bool('do_convert_rgb', raw.do_convert_rgb, CLIP_DEFAULTS.doConvertRgb),
  };
}

/** The config in Hugging Face's current (dict) form. */
export function imageProcessorConfigToJSON(config: ImageProcessorConfig): Record<string, unknown> {
  const size =
    'shortestEdge' in config.size ? { shortest_edge: config.size.shortestEdge } : { ...config.size };
  return {
    do_resize: config.doResize,
    size,
    resample: config.resample,
    do_center_crop: config.doCenterCrop,
    crop_size: { height: config.cropSize.height, width: config.cropSize.width },
    do_rescale: config.doRescale,
    rescale_factor: config.rescaleFactor,
    do_normalize: config.doNormalize,
    image_mean: [...config.imageMean],
    image_std: [...config.imageStd],
    do_convert_rgb: config.doConvertRgb,
    image_processor_type: 'CLIPImageProcessor',
  };
}
