import { describe, expect, it } from 'vitest';
import { applyExifOrientation, loadImage, type RawImage, readExifOrientation } from '../src/index.js';

// A 3x2 one-channel image: value = 10 * row + column.
const image: RawImage = { data: new Uint8Array([0, 1, 2, 10, 11, 12]), width: 3, height: 2, channels: 1 };
const at = (img: RawImage, i: number, j: number) => img.data[i * img.width + j];

describe('applyExifOrientation (Pillow exif_transpose table)', () => {
  const H = image.height;
  const W = image.width;
  // out[i][j] = in[...] for each orientation, as the fixture README states them.
  const expected: Record<number, (i: number, j: number) => [number, number]> = {
    2: (i, j) => [i, W - 1 - j],
    3: (i, j) => [H - 1 - i, W - 1 - j],
    4: (i, j) => [H - 1 - i, j],
    5: (i, j) => [j, i],
    6: (i, j) => [H - 1 - j, i],
    7: (i, j) => [H - 1 - j, W - 1 - i],
    8: (i, j) => [j, W - 1 - i],
  };
  it.each(Object.entries(expected))('orientation %s', (orientation, source) => {
    const out = applyExifOrientation(image, Number(orientation));
    const swapped = Number(orientation) >= 5;
    expect([out.width, out.height]).toEqual(swapped ? [H, W] : [W, H]);
    for (let i = 0; i < out.height; i++) {
      for (let j = 0; j < out.width; j++) expect(at(out, i, j)).toBe(at(image, ...source(i, j)));
    }
  });

  it('leaves orientation 1 and unknown values alone', () => {
    expect(applyExifOrientation(image, 1)).toBe(image);
    expect(applyExifOrientation(image, undefined)).toBe(image);
  });

  it('reads the tag from big- and little-endian TIFF headers', () => {
    const tiff = (little: boolean) => {
      const bytes = new Uint8Array(6 + 8 + 2 + 12 + 4);
      bytes.set([0x45, 0x78, 0x69, 0x66, 0, 0]);
      const view = new DataView(bytes.buffer, 6);
      view.setUint16(0, little ? 0x4949 : 0x4d4d);
      view.setUint16(2, 42, little);
      view.setUint32(4, 8, little);
      view.setUint16(8, 1, little);
      view.setUint16(10, 0x0112, little);
      view.setUint16(12, 3, little);
      view.setUint32(14, 1, little);
      view.setUint16(18, 6, little);
      return bytes;
    };
    expect(readExifOrientation(tiff(true))).toBe(6);
    expect(readExifOrientation(tiff(false))).toBe(6);
    expect(readExifOrientation(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });
});

/** A minimal BMP writer for formats the fixtures lack. */
function bmp(
  width: number,
  height: number,
  bpp: number,
  rows: number[][],
  palette: number[][] = [],
  topDown = false,
): Uint8Array {
  const stride = Math.ceil((width * bpp) / 32) * 4;
  const offset = 14 + 40 + palette.length * 4;
  const bytes = new Uint8Array(offset + stride * height);
  const view = new DataView(bytes.buffer);
  bytes.set([0x42, 0x4d]);
  view.setUint32(2, bytes.length, true);
  view.setUint32(10, offset, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, width, true);
  view.setInt32(22, topDown ? -height : height, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, bpp, true);
  view.setUint32(46, palette.length, true);
  for (const [i, [r, g, b]] of palette.entries()) bytes.set([b, g, r, 0], 54 + i * 4);
  for (const [y, row] of rows.entries()) bytes.set(row, offset + (topDown ? y : height - 1 - y) * stride);
  return bytes;
}

describe('BMP', () => {
  it('reads 8-bit palette, 4-bit palette, 32-bit and top-down files', async () => {
    const palette = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
    ];
    const eight = await loadImage(
      bmp(
        2,
        2,
        8,
        [
          [0, 1],
          [2, 0],
        ],
        palette,
      ),
    );
    expect([...eight.data]).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 0, 0]);
    const four = await loadImage(bmp(3, 1, 4, [[0x12, 0x00]], palette));
    expect([...four.data]).toEqual([0, 255, 0, 0, 0, 255, 255, 0, 0]);
    // 32-bit BI_RGB is BGRX: the fourth byte is ignored.
    const wide = await loadImage(
      bmp(
        1,
        2,
        32,
        [
          [1, 2, 3, 99],
          [4, 5, 6, 0],
        ],
        [],
        true,
      ),
    );
    expect([...wide.data]).toEqual([3, 2, 1, 6, 5, 4]);
  });
});
