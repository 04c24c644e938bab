import * as core from '@altclip/core';
import { InputError, type ModelFiles, NotSupportedError, type OpenModelOptions, Tensor } from '@altclip/core';
import {
  type ImageProcessorConfig,
  imageProcessorConfigToJSON,
  parseImageProcessorConfig,
} from './config.js';
import { centerCrop } from './crop.js';
import type { DecodeOptions } from './decode/index.js';
import { type ImageInput, loadImage } from './load.js';
import { type RawImage, toRGB, validateRawImage } from './raw-image.js';
import { resize } from './resize.js';

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
    const openModel = (core as { openModel?: (ref: string, options?: OpenModelOptions) => Promise<ModelFiles> }).openModel;
    if (!openModel) throw new NotSupportedError('fromPretrained needs openModel from @altclip/core');
    return CLIPImageProcessor.fromFiles(await openModel(ref, options), options);
  }

  toJSON(): Record<string, unknown> {
    return imageProcessorConfigToJSON(this.config);
  }

  /** Resize and center crop (the uint8 steps) of one decoded image, as the processor applies them. */
  prepare(image: RawImage): RawImage {
    validateRawImage(image);
    let current = this.config.doConvertRgb ? toRGB(image) : image;
    if (current.channels !== 3) {
      throw new InputError(`image has ${current.channels} channels; set do_convert_rgb or pass RGB pixels`);
    }
    if (this.config.doResize) {
      current = resize(current, resizeOutputSize(current.width, current.height, this.config.size), this.config.resample);
    }
    if (this.config.doCenterCrop) current = centerCrop(current, this.config.cropSize);
    return current;
  }

  /** Rescale + normalize + HWC→CHW of an RGB uint8 image into `out` at `offset`. */
  private writePixelValues(image: RawImage, out: Float32Array, offset: number): void {
    const plane = image.width * image.height;
    const { data } = image;
    const [red, green, blue] = this.lookup;
    for (let i = 0, p = 0; i < plane; i++, p += 3) {
      out[offset + i] = red[data[p]];
      out[offset + plane + i] = green[data[p + 1]];
      out[offset + 2 * plane + i] = blue[data[p + 2]];
    }
  }

  /** Preprocesses one image or a batch; every image must end at the same size (true with center crop). */
  async preprocess(images: ImageInput | readonly ImageInput[]): Promise<ImageProcessorOutput> {
    const list = Array.isArray(images) ? (images as readonly ImageInput[]) : [images as ImageInput];
    if (list.length === 0) throw new InputError('preprocess: no images');
    const batch = list.length > 1;
    const prepared = await Promise.all(
      list.map(async (input, index) => {
        const name = batch ? `images[${index}]${typeof input === 'string' ? ` (${input})` : ''}` : undefined;
        try {
          return this.prepare(await loadImage(input, { ...this.options, name }));
        } catch (error) {
          if (batch && error instanceof InputError) throw new InputError(`images[${index}]: ${error.message}`);
          throw error;
        }
      }),
    );
    const { width, height } = prepared[0];
    prepared.forEach((image, index) => {
      if (image.width !== width || image.height !== height) {
        throw new InputError(
          `images[${index}] is ${image.width}x${image.height} after preprocessing, images[0] is ${width}x${height}: cannot stack (enable center crop)`,
        );
      }
    });
    const size = 3 * width * height;
    const out = new Float32Array(prepared.length * size);
    prepared.forEach((image, index) => this.writePixelValues(image, out, index * size));
    return { pixelValues: new Tensor('float32', out, [prepared.length, 3, height, width]) };
  }
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

