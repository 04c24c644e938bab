import type { RawImage } from '../raw-image.js';

/** The Orientation tag (0x0112) of an EXIF block (`Exif\0\0` prefix optional), or undefined if absent/invalid. */
export function readExifOrientation(exif: Uint8Array): number | undefined {
  let start = 0;
  if (exif.length >= 6 && exif[0] === 0x45 && exif[1] === 0x78 && exif[2] === 0x69 && exif[3] === 0x66)
    start = 6;
  if (exif.length < start + 8) return undefined;
  const view = new DataView(exif.buffer, exif.byteOffset + start, exif.length - start);
  const order = view.getUint16(0);
  if (order !== 0x4949 && order !== 0x4d4d) return undefined;
  const little = order === 0x4949;
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > view.byteLength) return undefined;
  const count = view.getUint16(ifd, little);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > view.byteLength) return undefined;
    if (view.getUint16(entry, little) === 0x0112) {
      const value = view.getUint16(entry + 8, little);
      return value >= 1 && value <= 8 ? value : undefined;
    }
  }
  return undefined;
}

/** Pillow's `ImageOps.exif_transpose` for orientations 2..8 (1 or undefined returns the image as is). */
export function applyExifOrientation(image: RawImage, orientation: number | undefined): RawImage {
  if (orientation === undefined || orientation < 2 || orientation > 8) return image;
  const { data, width: w, height: h, channels } = image;
  const swap = orientation >= 5;
  const outWidth = swap ? h : w;
  const outHeight = swap ? w : h;
  const out = new Uint8Array(data.length);
  // For each output pixel (i = row, j = column): the source pixel, following Pillow's transpose table.
  const source: (i: number, j: number) => number = {
    2: (i: number, j: number) => i * w + (w - 1 - j),
    3: (i: number, j: number) => (h - 1 - i) * w + (w - 1 - j),
    4: (i: number, j: number) => (h - 1 - i) * w + j,
    5: (i: number, j: number) => j * w + i,
    6: (i: number, j: number) => (h - 1 - j) * w + i,
    7: (i: number, j: number) => (h - 1 - j) * w + (w - 1 - i),
    8: (i: number, j: number) => j * w + (w - 1 - i),
  }[orientation as 2 | 3 | 4 | 5 | 6 | 7 | 8];
  let o = 0;
  for (let i = 0; i < outHeight; i++) {
    for (let j = 0; j < outWidth; j++) {
      const p = source(i, j) * channels;
      for (let c = 0; c < channels; c++) out[o++] = data[p + c];
    }
  }
  return { data: out, width: outWidth, height: outHeight, channels };
}
