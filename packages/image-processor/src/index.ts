export {
  CLIP_DEFAULTS,
  type ImageProcessorConfig,
  imageProcessorConfigToJSON,
  parseImageProcessorConfig,
  type SizeSpec,
} from './config.js';
export { centerCrop } from './crop.js';
export { applyExifOrientation, readExifOrientation } from './decode/exif.js';
export {
  DEFAULT_MAX_PIXELS,
  type DecodeOptions,
  decodeImage,
  type ImageFormat,
  sniffFormat,
} from './decode/index.js';
export { setJpegWasm } from './decode/jpeg.js';
export type { WasmSource } from './decode/wasm.js';
export { setWebpWasm } from './decode/webp.js';
export { ImageDecodeError, ImageTooLargeError } from './errors.js';
export { type ImageInput, type LoadImageOptions, loadImage } from './load.js';
export { ImageProcessorPool, type ImageProcessorPoolOptions } from './pool.js';
export {
  CLIPImageProcessor,
  type ImageProcessorOptions,
  type ImageProcessorOutput,
  type PixelValues,
  PREPROCESSOR_CONFIG_FILE,
  preprocess,
  resizeOutputSize,
  stackPixelValues,
} from './processor.js';
export { type RawImage, toRGB } from './raw-image.js';
export { Resample, resize } from './resize.js';
