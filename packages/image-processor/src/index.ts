export {
  CLIP_DEFAULTS,
  type ImageProcessorConfig,
  imageProcessorConfigToJSON,
  parseImageProcessorConfig,
  type SizeSpec,
} from './config.js';
export { centerCrop } from './crop.js';
export { type DecodeOptions, DEFAULT_MAX_PIXELS, decodeImage, type ImageFormat, sniffFormat } from './decode/index.js';
export { applyExifOrientation, readExifOrientation } from './decode/exif.js';
export { setJpegWasm } from './decode/jpeg.js';
export type { WasmSource } from './decode/wasm.js';
export { setWebpWasm } from './decode/webp.js';
export { ImageDecodeError, ImageTooLargeError } from './errors.js';
export { type ImageInput, type LoadImageOptions, loadImage } from './load.js';
export {
  CLIPImageProcessor,
  type ImageProcessorOptions,
  type ImageProcessorOutput,
  PREPROCESSOR_CONFIG_FILE,
  resizeOutputSize,
} from './processor.js';
export { type RawImage, toRGB } from './raw-image.js';
export { Resample, resize } from './resize.js';
