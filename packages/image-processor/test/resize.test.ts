import { InputError } from '@altclip/core';
import { describe, expect, it } from 'vitest';
import { centerCrop, type RawImage, Resample, resize } from '../src/index.js';

function gradient(width: number, height: number, channels = 3): RawImage {
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + (i >> 5)) & 255;
  return { data, width, height, channels };
}

const filters = [
  Resample.NEAREST,
  Resample.LANCZOS,
  Resample.BILINEAR,
  Resample.BICUBIC,
  Resample.BOX,
  Resample.HAMMING,
];

describe('resize', () => {
  it.each(filters)(
    'keeps a constant image constant with filter %i (fixed-point weights sum to 1)',
    (filter) => {
      const image: RawImage = {
        data: new Uint8Array(37 * 23 * 3).fill(201),
        width: 37,
        height: 23,
        channels: 3,
      };
      for (const size of [
        { width: 11, height: 50 },
        { width: 80, height: 7 },
      ]) {
        const out = resize(image, size, filter);
        expect([out.width, out.height]).toEqual([size.width, size.height]);
        expect(out.data.every((v) => v === 201)).toBe(true);
      }
    },
  );

  it('BOX halving averages pixel pairs with round-half-up, as PIL does', () => {
    const image = gradient(8, 4, 1);
    const out = resize(image, { width: 4, height: 4 }, Resample.BOX);
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        const a = image.data[y * 8 + 2 * x];
        const b = image.data[y * 8 + 2 * x + 1];
        expect(out.data[y * 4 + x]).toBe((a + b + 1) >> 1);
      }
    }
  });

  it('NEAREST picks trunc((i + 0.5) * in / out)', () => {
    const image = gradient(10, 1, 1);
    const out = resize(image, { width: 4, height: 1 }, Resample.NEAREST);
    expect([...out.data]).toEqual([1, 3, 6, 8].map((x) => image.data[x]));
  });

  it('returns the input unchanged when the size does not change, and works on 1, 2 and 4 channels', () => {
    const image = gradient(5, 6);
    expect(resize(image, { width: 5, height: 6 })).toBe(image);
    for (const channels of [1, 2, 4]) {
      const many = gradient(9, 7, channels);
      const out = resize(many, { width: 4, height: 12 }, Resample.BICUBIC);
      expect(out.data.length).toBe(4 * 12 * channels);
      // Each channel resized alone gives the same bytes as resizing them interleaved.
      const single = resize(
        { data: many.data.filter((_, i) => i % channels === 0), width: 9, height: 7, channels: 1 },
        { width: 4, height: 12 },
      );
      expect([...out.data.filter((_, i) => i % channels === 0)]).toEqual([...single.data]);
    }
  });

  it('rejects bad sizes and filters with InputError', () => {
    const image = gradient(4, 4);
    expect(() => resize(image, { width: 0, height: 4 })).toThrow(InputError);
    expect(() => resize(image, { width: 2, height: 2 }, 9 as Resample)).toThrow(InputError);
    expect(() => resize({ ...image, data: new Uint8Array(3) }, { width: 2, height: 2 })).toThrow(InputError);
  });
});

describe('centerCrop', () => {
  it('crops with floor offsets', () => {
    const image = gradient(7, 5, 1);
    const out = centerCrop(image, { width: 4, height: 2 });
    // top = floor(3 / 2) = 1, left = floor(3 / 2) = 1
    expect([...out.data]).toEqual([...image.data.subarray(8, 12), ...image.data.subarray(15, 19)]);
  });

  it('pads with zeros, the odd extra row / column at the top / left', () => {
    const image: RawImage = { data: new Uint8Array([9, 8]), width: 2, height: 1, channels: 1 };
    const out = centerCrop(image, { width: 5, height: 4 });
    // rows: pad top ceil(3/2) = 2; columns: pad left ceil(3/2) = 2
    expect([...out.data]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 8, 0, 0, 0, 0, 0, 0]);
  });
});
