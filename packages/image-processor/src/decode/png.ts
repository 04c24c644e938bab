import { decode as decodePngData } from 'fast-png';
import { ImageDecodeError } from '../errors.js';
import type { RawImage } from '../raw-image.js';
import { readExifOrientation } from './exif.js';

export interface PngInfo {
  readonly width: number;
  readonly height: number;
  readonly orientation: number | undefined;
}

/** IHDR size and the eXIf orientation, read from the chunk list without inflating anything. */
export function readPngInfo(bytes: Uint8Array, name: string): PngInfo {
  if (bytes.length < 24) throw new ImageDecodeError(name, 'truncated PNG header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  let orientation: number | undefined;
  let p = 8;
  while (p + 8 <= bytes.length) {
    const length = view.getUint32(p);
    const type = String.fromCharCode(bytes[p + 4], bytes[p + 5], bytes[p + 6], bytes[p + 7]);
    if (type === 'eXIf') orientation = readExifOrientation(bytes.subarray(p + 8, Math.min(p + 8 + length, bytes.length)));
    if (type === 'IDAT' || type === 'IEND') break;
    p += 12 + length;
  }
  return { width, height, orientation };
}

/**
 * Decodes a PNG to RGB the way Pillow opens it and converts it: palette lookup ignoring tRNS, alpha dropped,
 * 16-bit colour keeps the high byte, 16-bit gray (mode I) is clipped to 255, low-bit gray is scaled to 0..255.
 */
export function decodePng(bytes: Uint8Array, name: string, checkPixels: (pixels: number) => void): RawImage {
  const info = readPngInfo(bytes, name);
  checkPixels(info.width * info.height);
  let png: ReturnType<typeof decodePngData>;
  try {
    png = decodePngData(bytes, { checkCrc: true });
  } catch (error) {
    throw new ImageDecodeError(name, `corrupt or truncated PNG data (${(error as Error).message})`, { cause: error });
  }
  const { width, height, depth, channels, palette } = png;
  const pixels = width * height;
  if (png.data.length < (depth < 8 ? Math.ceil((width * depth) / 8) * height : pixels * channels)) {
    throw new ImageDecodeError(name, 'truncated PNG data');
  }
  const rgb = new Uint8Array(pixels * 3);
  if (depth < 8) {
    // Packed 1/2/4-bit samples (gray or palette indices), each row starting on a byte boundary.
    const data = png.data as Uint8Array;
    const rowBytes = Math.ceil((width * depth) / 8);
    const mask = (1 << depth) - 1;
    const scale = 255 / mask;
    for (let y = 0, o = 0; y < height; y++) {
      for (let x = 0; x < width; x++, o += 3) {
        const bit = x * depth;
        const value = (data[y * rowBytes + (bit >> 3)] >> (8 - depth - (bit & 7))) & mask;
        writePixel(rgb, o, value, palette, scale);
      }
    }
    return { data: rgb, width, height, channels: 3 };
  }
  const data = png.data;
  if (channels <= 2) {
    for (let i = 0, o = 0; i < pixels; i++, o += 3) {
      const raw = data[i * channels];
      // 16-bit gray opens as mode I (or LA;16B → LA for gray+alpha: the high byte).
      const value = depth === 16 ? (channels === 1 ? Math.min(raw, 255) : raw >> 8) : raw;
      writePixel(rgb, o, value, palette, 1);
    }
  } else {
    const shift = depth === 16 ? 8 : 0;
    for (let i = 0, o = 0; i < pixels; i++, o += 3) {
      const p = i * channels;
      rgb[o] = data[p] >> shift;
      rgb[o + 1] = data[p + 1] >> shift;
      rgb[o + 2] = data[p + 2] >> shift;
    }
  }
  return { data: rgb, width, height, channels: 3 };
}

function writePixel(rgb: Uint8Array, o: number, value: number, palette: number[][] | undefined, scale: number): void {
  if (palette) {
    // Indices past the palette's end read as black, like Pillow's zero-filled palette.
    const entry = palette[value];
    rgb[o] = entry ? entry[0] : 0;
    rgb[o + 1] = entry ? entry[1] : 0;
    rgb[o + 2] = entry ? entry[2] : 0;
  } else {
    const gray = scale === 1 ? value : Math.round(value * scale);
    rgb[o] = gray;
    rgb[o + 1] = gray;
    rgb[o + 2] = gray;
  }
}
