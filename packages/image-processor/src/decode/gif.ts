import { decompressFrame, type ParsedFrameWithoutPatch, parseGIF } from 'gifuct-js';
import { ImageDecodeError } from '../errors.js';
import type { RawImage } from '../raw-image.js';

type GifFrame = Parameters<typeof decompressFrame>[0];

/**
 * The first frame of a GIF as Pillow opens it (mode P on the logical screen) and converts it to RGB:
 * a palette lookup in which the transparent index keeps its palette colour. Screen pixels outside the
 * frame hold the transparent index when there is one, else index 0 (Pillow's load_prepare).
 */
export function decodeGif(bytes: Uint8Array, name: string, checkPixels: (pixels: number) => void): RawImage {
  if (bytes.length < 13) throw new ImageDecodeError(name, 'truncated GIF header');
  const width = bytes[6] | (bytes[7] << 8);
  const height = bytes[8] | (bytes[9] << 8);
  checkPixels(width * height);
  if (width === 0 || height === 0) throw new ImageDecodeError(name, 'GIF with an empty logical screen');
  // The parser pads missing data silently; Pillow raises on a truncated first frame, so check it is complete.
  const end = firstFrameEnd(bytes);
  if (end < 0) throw new ImageDecodeError(name, 'truncated GIF data');
  let frame: ParsedFrameWithoutPatch | undefined;
  try {
    // Parse only up to the first frame (an animation's other frames are never used), then a trailer.
    const head = new Uint8Array(end + 1);
    head.set(bytes.subarray(0, end));
    head[end] = 0x3b;
    const gif = parseGIF(head.buffer);
    const first = gif.frames.find((f) => 'image' in f) as GifFrame | undefined;
    if (first) frame = decompressFrame(first, gif.gct, false);
  } catch (error) {
    throw new ImageDecodeError(name, 'corrupt GIF data', { cause: error });
  }
  if (!frame) throw new ImageDecodeError(name, 'GIF without an image frame');
  const { dims, pixels, colorTable } = frame;
  const transparent = frame.transparentIndex as number | undefined;
  if (!colorTable || pixels.length < dims.width * dims.height)
    throw new ImageDecodeError(name, 'truncated GIF data');
  const indices = new Uint8Array(width * height).fill(transparent ?? 0);
  for (let y = 0; y < dims.height; y++) {
    const screenY = dims.top + y;
    if (screenY >= height) break;
    for (let x = 0; x < dims.width; x++) {
      const screenX = dims.left + x;
      if (screenX < width) indices[screenY * width + screenX] = pixels[y * dims.width + x];
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, o = 0; i < indices.length; i++, o += 3) {
    const entry = colorTable[indices[i]];
    if (entry) {
      rgb[o] = entry[0];
      rgb[o + 1] = entry[1];
      rgb[o + 2] = entry[2];
    }
  }
  return { data: rgb, width, height, channels: 3 };
}

/** Walks the block structure to the end of the first image's LZW data; -1 if the file ends first. */
function firstFrameEnd(bytes: Uint8Array): number {
  const skipSubBlocks = (start: number): number => {
    let p = start;
    while (p < bytes.length && bytes[p] !== 0) p += bytes[p] + 1;
    return p < bytes.length ? p + 1 : -1;
  };
  let p = 13 + (bytes[10] & 0x80 ? 3 << ((bytes[10] & 7) + 1) : 0);
  while (p < bytes.length) {
    const block = bytes[p];
    if (block === 0x21) {
      p = skipSubBlocks(p + 2);
      if (p < 0) return -1;
    } else if (block === 0x2c) {
      if (p + 10 > bytes.length) return -1;
      const flags = bytes[p + 9];
      p += 10 + (flags & 0x80 ? 3 << ((flags & 7) + 1) : 0) + 1;
      return skipSubBlocks(p);
    } else {
      return -1;
    }
  }
  return -1;
}
