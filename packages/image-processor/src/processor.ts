import { InputError, type ModelFiles, type OpenModelOptions, openModel, Tensor } from '@altclip/core';
import {
  type ImageProcessorConfig,
  imageProcessorConfigToJSON,
  parseImageProcessorConfig,
} from './config.js';
import { centerCrop, centerCropWindow, padToWindow, visiblePart } from './crop.js';
import type { DecodeOptions } from './decode/index.js';
import { type ImageInput, loadImage } from './load.js';
import { type RawImage, toRGB, validateRawImage } from './raw-image.js';
import { resize, resizeRegion } from './resize.js';

export const PREPROCESSOR_CONFIG_FILE = 'preprocessor_config.json';

export type ImageProcessorOptions = DecodeOptions;

export interface ImageProcessorOutput {
  /** float32 `[N, 3, H, W]`. */
  readonly pixelValues: Tensor<'float32'>;
}

/**
 * transformers' `get_resize_output_image_size(..., default_to_square=False)`: the short side becomes
 * `shortestEdge`, the long side `int(shortestEdge * long / short)` (truncated, not rounded).
 */
export function resizeOutputSize(
  width: number,
  height: number,
  size: ImageProcessorConfig['size'],
): { width: number; height: number } {
  if (!('shortestEdge' in size)) return { width: size.width, height: size.height };
  const edge = size.shortestEdge;
  const [short, long] = width <= height ? [width, height] : [height, width];
  const newLong = Math.trunc((edge * long) / short);
  return width <= height ? { width: edge, height: newLong } : { width: newLong, height: edge };
}

/** `CLIPImageProcessor` on transformers' PIL path: decode → RGB → resize → center crop → rescale → normalize. */
export class CLIPImageProcessor {
  readonly config: ImageProcessorConfig;
  readonly options: ImageProcessorOptions;
  /** Per channel, the float32 output for each uint8 value: rescale and normalize folded into a lookup table. */
  private readonly lookup: Float32Array[];

  constructor(config: ImageProcessorConfig, options: ImageProcessorOptions = {}) {
    this.config = config;
    this.options = options;
    this.lookup = [0, 1, 2].map((channel) => valueTable(config, channel));
  }

  /** From a parsed `preprocessor_config.json` object (legacy or current form). */
  static fromConfig(json: unknown, options?: ImageProcessorOptions): CLIPImageProcessor {
    return new CLIPImageProcessor(parseImageProcessorConfig(json), options);
  }

  /** From a model's files: reads `preprocessor_config.json`. */
  static async fromFiles(files: ModelFiles, options?: ImageProcessorOptions): Promise<CLIPImageProcessor> {
    return CLIPImageProcessor.fromConfig(await files.readJSON(PREPROCESSOR_CONFIG_FILE), options);
  }

  /** From a local folder or a hub id, through `openModel` of @altclip/core. */
  static async fromPretrained(
    ref: string,
    options: OpenModelOptions & ImageProcessorOptions = {},
  ): Promise<CLIPImageProcessor> {
    return CLIPImageProcessor.fromFiles(await openModel(ref, options), options);
  }

  toJSON(): Record<string, unknown> {
    return imageProcessorConfigToJSON(this.config);
  }

  /** Resize and center crop (the uint8 steps) of one decoded image, as the processor applies them. */
  prepare(image: RawImage): RawImage {
    validateRawImage(image);
    const current = this.config.doConvertRgb ? toRGB(image) : image;
    if (current.channels !== 3) {
      throw new InputError(`image has ${current.channels} channels; set do_convert_rgb or pass RGB pixels`);
    }
    if (!this.config.doResize)
      return this.config.doCenterCrop ? centerCrop(current, this.config.cropSize) : current;
    const size = resizeOutputSize(current.width, current.height, this.config.size);
    if (!this.config.doCenterCrop) return resize(current, size, this.config.resample);
    // Resize only the pixels the crop keeps: the same bytes as resizing everything, without the waste
    // (a 1000x3 strip would otherwise become a 224x74666 image first).
    const window = centerCropWindow(size.width, size.height, this.config.cropSize);
    const visible = visiblePart(size.width, size.height, window);
    const part = visible && resizeRegion(current, size, this.config.resample, visible);
    return padToWindow(part, window, visible, 3);
  }

  /** Rescale + normalize + HWC→CHW of one prepared RGB uint8 image. */
  pixelValuesOf(image: RawImage): PixelValues {
    const plane = image.width * image.height;
    const { data } = image;
    const out = new Float32Array(3 * plane);
    const [red, green, blue] = this.lookup;
    for (let i = 0, p = 0; i < plane; i++, p += 3) {
      out[i] = red[data[p]];
      out[plane + i] = green[data[p + 1]];
      out[2 * plane + i] = blue[data[p + 2]];
    }
    return { data: out, width: image.width, height: image.height };
  }

  /** One image, end to end: float32 CHW values. `name` labels errors (default: the path or kind of input). */
  async preprocessImage(input: ImageInput, name?: string): Promise<PixelValues> {
    return this.pixelValuesOf(this.prepare(await loadImage(input, { ...this.options, name })));
  }

  /**
   * Preprocesses one image or a batch (one image at a time, so a large batch never holds all decoded images);
   * every image must end at the same size (true with center crop).
   */
  async preprocess(images: ImageInput | readonly ImageInput[]): Promise<ImageProcessorOutput> {
    const list = Array.isArray(images) ? (images as readonly ImageInput[]) : [images as ImageInput];
    if (list.length === 0) throw new InputError('preprocess: no images');
    const results: PixelValues[] = [];
    for (const [index, input] of list.entries()) {
      const name = list.length > 1 ? batchItemName(input, index) : undefined;
      try {
        results.push(await this.preprocessImage(input, name));
      } catch (error) {
        if (list.length > 1 && error instanceof InputError)
          throw new InputError(`images[${index}]: ${error.message}`);
        throw error;
      }
    }
    return stackPixelValues(results);
  }
}

/** float32 CHW values of one preprocessed image. */
export interface PixelValues {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
}

/** How errors name the i-th image of a batch. */
export function batchItemName(input: unknown, index: number): string {
  return `images[${index}]${typeof input === 'string' ? ` (${input})` : ''}`;
}

/** Stacks per-image values into `[N, 3, H, W]`; all images must have one size. */
export function stackPixelValues(results: readonly PixelValues[]): ImageProcessorOutput {
  const { width, height } = results[0];
  for (const [index, image] of results.entries()) {
    if (image.width !== width || image.height !== height) {
      throw new InputError(
        `images[${index}] is ${image.width}x${image.height} after preprocessing, images[0] is ${width}x${height}: cannot stack (enable center crop)`,
      );
    }
  }
  const size = 3 * width * height;
  if (results.length === 1)
    return { pixelValues: new Tensor('float32', results[0].data, [1, 3, height, width]) };
  const out = new Float32Array(results.length * size);
  for (const [index, image] of results.entries()) out.set(image.data, index * size);
  return { pixelValues: new Tensor('float32', out, [results.length, 3, height, width]) };
}

/**
 * Output value per uint8 input for one channel, in transformers' float sequence: rescale in double then round
 * to float32; normalize with float32 mean/std, one float32 rounding per operation.
 */
function valueTable(config: ImageProcessorConfig, channel: number): Float32Array {
  const table = new Float32Array(256);
  const mean = Math.fround(config.imageMean[channel]);
  const std = Math.fround(config.imageStd[channel]);
  for (let value = 0; value < 256; value++) {
    let x = config.doRescale ? Math.fround(value * config.rescaleFactor) : value;
    if (config.doNormalize) x = Math.fround(Math.fround(x - mean) / std);
    table[value] = x;
  }
  return table;
}

/**
 * `CLIPImageProcessor.fromConfig(config).preprocess(images)` in one call; `config` is a preprocessor_config.json
 * object (default: CLIP's defaults, which are AltCLIP's settings).
 */
export function preprocess(
  images: ImageInput | readonly ImageInput[],
  config: unknown = {},
  options?: ImageProcessorOptions,
): Promise<ImageProcessorOutput> {
  return CLIPImageProcessor.fromConfig(config, options).preprocess(images);
}
