import { NotSupportedError } from '@altclip/core';
import { ImageDecodeError } from '../errors.js';
import type { RawImage } from '../raw-image.js';

// Hand-written: the npm BMP readers need Node's Buffer, and uncompressed BMP is a few lines.
const BI_RGB = 0;
const BI_BITFIELDS = 3;

/** Uncompressed BMP (1/4/8-bit palette, 24-bit, 32-bit BI_RGB or 8-bit-channel bitfields) to RGB; alpha dropped. */
export function decodeBmp(bytes: Uint8Array, name: string, checkPixels: (pixels: number) => void): RawImage {
  if (bytes.length < 26) throw new ImageDecodeError(name, 'truncated BMP header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  let width: number;
  let rawHeight: number;
  let bpp: number;
  let compression = BI_RGB;
  let paletteSize = 0;
  if (headerSize === 12) {
    width = view.getUint16(18, true);
    rawHeight = view.getInt16(20, true);
    bpp = view.getUint16(24, true);
  } else {
    if (headerSize < 40 || bytes.length < 14 + 40)
      throw new ImageDecodeError(name, 'truncated or unknown BMP header');
    width = view.getInt32(18, true);
    rawHeight = view.getInt32(22, true);
    bpp = view.getUint16(28, true);
    compression = view.getUint32(30, true);
    paletteSize = view.getUint32(46, true);
  }
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0) throw new ImageDecodeError(name, `invalid BMP size ${width}x${height}`);
  checkPixels(width * height);
  let masks = [0xff0000, 0xff00, 0xff];
  if (compression === BI_BITFIELDS && bpp === 32) {
    // The masks follow a 40-byte header, and sit at the same offset inside V4/V5 headers.
    masks = [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true)];
  } else if (compression !== BI_RGB) {
    throw new NotSupportedError(`${name}: compressed BMP (compression ${compression}) is not supported`);
  }
  if (![1, 4, 8, 24, 32].includes(bpp))
    throw new NotSupportedError(`${name}: ${bpp}-bit BMP is not supported`);
  const shifts = masks.map((m) => 31 - Math.clz32(m & -m));
  if (bpp === 32 && masks.some((m, c) => m >>> shifts[c] !== 0xff)) {
    throw new NotSupportedError(`${name}: BMP bitfields other than 8 bits per channel are not supported`);
  }
  const palette: number[] = [];
  if (bpp <= 8) {
    const entrySize = headerSize === 12 ? 3 : 4;
    const count = paletteSize || 1 << bpp;
    const start = 14 + headerSize;
    for (let i = 0; i < count && start + i * entrySize + 2 < bytes.length; i++) {
      const p = start + i * entrySize;
      palette.push(bytes[p + 2], bytes[p + 1], bytes[p]);
    }
  }
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (dataOffset + stride * height > bytes.length)
    throw new ImageDecodeError(name, 'truncated BMP pixel data');
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    let o = y * width * 3;
    for (let x = 0; x < width; x++, o += 3) {
      if (bpp === 24) {
        const p = row + x * 3;
        rgb[o] = bytes[p + 2];
        rgb[o + 1] = bytes[p + 1];
        rgb[o + 2] = bytes[p];
      } else if (bpp === 32) {
        const v = view.getUint32(row + x * 4, true);
        rgb[o] = (v & masks[0]) >>> shifts[0];
        rgb[o + 1] = (v & masks[1]) >>> shifts[1];
        rgb[o + 2] = (v & masks[2]) >>> shifts[2];
      } else {
        const bit = x * bpp;
        const index = (bytes[row + (bit >> 3)] >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        rgb[o] = palette[index * 3] ?? 0;
        rgb[o + 1] = palette[index * 3 + 1] ?? 0;
        rgb[o + 2] = palette[index * 3 + 2] ?? 0;
      }
    }
  }
  return { data: rgb, width, height, channels: 3 };
}
