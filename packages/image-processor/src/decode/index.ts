import { NotSupportedError } from '@altclip/core';
import { ImageDecodeError, ImageTooLargeError } from '../errors.js';
import type { RawImage } from '../raw-image.js';
import { decodeBmp } from './bmp.js';
import { applyExifOrientation } from './exif.js';
import { decodeGif } from './gif.js';
import { decodeJpeg, readJpegMarkers } from './jpeg.js';
import { decodePng, readPngInfo } from './png.js';
import { decodeWebp, readWebpInfo } from './webp.js';

/** PIL's `Image.MAX_IMAGE_PIXELS` × 2: where Pillow raises DecompressionBombError instead of warning. */
export const DEFAULT_MAX_PIXELS = 2 * 89_478_485;

export interface DecodeOptions {
  /** Decompression-bomb guard: larger images throw ImageTooLargeError before decoding. Default 178,956,970. */
  readonly maxPixels?: number;
  /**
   * 'ignore' (default): pixels as stored, like `processor(images=PIL.Image.open(path))`.
   * 'apply': rotate/mirror by the EXIF orientation first, like transformers' `load_image(path)`.
   */
  readonly exifOrientation?: 'ignore' | 'apply';
}

export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'bmp';

/** The container format from the file's magic bytes. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return 'gif';
  if (
    b.length >= 12 &&
    b[0] === 0x52 &&
    b[1] === 0x49 &&
    b[2] === 0x46 &&
    b[3] === 0x46 &&
    b[8] === 0x57 &&
    b[9] === 0x45 &&
    b[10] === 0x42 &&
    b[11] === 0x50
  )
    return 'webp';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  return undefined;
}

/**
 * Decodes an encoded image (JPEG, PNG, GIF, WebP, BMP) to 8-bit RGB exactly as Pillow 9.4 opens it and
 * applies `convert("RGB")`. `name` labels errors (a path, or a position in a batch).
 */
export async function decodeImage(
  bytes: Uint8Array,
  name: string,
  options: DecodeOptions = {},
): Promise<RawImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const checkPixels = (pixels: number) => {
    if (pixels > maxPixels) throw new ImageTooLargeError(name, pixels, maxPixels);
  };
  const format = sniffFormat(bytes);
  let image: RawImage;
  let orientation: number | undefined;
  const wantOrientation = options.exifOrientation === 'apply';
  try {
    switch (format) {
      case 'jpeg':
        image = await decodeJpeg(bytes, name, checkPixels);
        if (wantOrientation) orientation = readJpegMarkers(bytes).orientation;
        break;
      case 'png':
        image = await decodePng(bytes, name, checkPixels);
        if (wantOrientation) orientation = readPngInfo(bytes, name).orientation;
        break;
      case 'webp':
        image = await decodeWebp(bytes, name, checkPixels);
        if (wantOrientation) orientation = readWebpInfo(bytes, name).orientation;
        break;
      case 'gif':
        image = decodeGif(bytes, name, checkPixels);
        break;
      case 'bmp':
        image = decodeBmp(bytes, name, checkPixels);
        break;
      default:
        throw new NotSupportedError(
          `${name}: unrecognised image format (JPEG, PNG, GIF, WebP and BMP are read)`,
        );
    }
  } catch (error) {
    if (
      error instanceof ImageDecodeError ||
      error instanceof ImageTooLargeError ||
      error instanceof NotSupportedError
    ) {
      throw error;
    }
    throw new ImageDecodeError(name, `cannot decode ${format} data (${(error as Error)?.message ?? error})`, {
      cause: error,
    });
  }
  return applyExifOrientation(image, orientation);
}
