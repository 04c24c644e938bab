import { InputError } from '@altclip/core';
import { type RawImage, validateRawImage } from './raw-image.js';

/** PIL's resampling filters, numbered as `PIL.Image.Resampling` (the `resample` key of preprocessor_config.json). */
export const Resample = {
  NEAREST: 0,
  LANCZOS: 1,
  BILINEAR: 2,
  BICUBIC: 3,
  BOX: 4,
  HAMMING: 5,
} as const;
export type Resample = (typeof Resample)[keyof typeof Resample];

interface Filter {
  readonly support: number;
  readonly weight: (x: number) => number;
}

// The filter functions are written in the same operation order as Pillow's Resample.c, so the doubles agree.
function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

const FILTERS: Record<Exclude<Resample, 0>, Filter> = {
  [Resample.BOX]: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  [Resample.BILINEAR]: {
    support: 1,
    weight: (x) => {
      const ax = x < 0 ? -x : x;
      return ax < 1 ? 1 - ax : 0;
    },
  },
  [Resample.HAMMING]: {
    support: 1,
    weight: (x) => {
      let ax = x < 0 ? -x : x;
      if (ax === 0) return 1;
      if (ax >= 1) return 0;
      ax *= Math.PI;
      return (Math.sin(ax) / ax) * (0.54 + 0.46 * Math.cos(ax));
    },
  },
  [Resample.BICUBIC]: {
    support: 2,
    weight: (x) => {
      const a = -0.5;
      const ax = x < 0 ? -x : x;
      if (ax < 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
      if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * a;
      return 0;
    },
  },
  [Resample.LANCZOS]: { support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);
const SATURATED = 1 << (PRECISION_BITS + 8);

/** Per output index: first source index, tap count, and PIL's fixed-point weights (`ksize` taps each). */
interface Coefficients {
  readonly ksize: number;
  readonly bounds: Int32Array;
  readonly weights: Int32Array;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for one axis. */
function precomputeCoefficients(inSize: number, outSize: number, filter: Filter): Coefficients {
  const scale = inSize / outSize;
  const filterScale = scale < 1 ? 1 : scale;
  const support = filter.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const inverseScale = 1 / filterScale;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const taps = new Float64Array(ksize);
  for (let out = 0; out < outSize; out++) {
    const center = (out + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const count = Math.min(Math.trunc(center + support + 0.5), inSize) - lo;
    let total = 0;
    for (let j = 0; j < count; j++) {
      const w = filter.weight((j + lo - center + 0.5) * inverseScale);
      taps[j] = w;
      total += w;
    }
    const base = out * ksize;
    for (let j = 0; j < count; j++) {
      const w = total !== 0 ? taps[j] / total : taps[j];
      weights[base + j] = w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[out * 2] = lo;
    bounds[out * 2 + 1] = count;
  }
  return { ksize, bounds, weights };
}

function clip8(sum: number): number {
  if (sum >= SATURATED) return 255;
  if (sum <= 0) return 0;
  return sum >> PRECISION_BITS;
}

/** Horizontal pass over source rows [firstRow, firstRow + rows). */
function resampleHorizontal(
  src: Uint8Array,
  srcWidth: number,
  channels: number,
  firstRow: number,
  rows: number,
  outWidth: number,
  { ksize, bounds, weights }: Coefficients,
): Uint8Array {
  const out = new Uint8Array(rows * outWidth * channels);
  const srcStride = srcWidth * channels;
  let o = 0;
  for (let y = 0; y < rows; y++) {
    const rowStart = (firstRow + y) * srcStride;
    for (let x = 0; x < outWidth; x++) {
      const start = rowStart + bounds[x * 2] * channels;
      const count = bounds[x * 2 + 1];
      const k = x * ksize;
      if (channels === 3) {
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        for (let j = 0, p = start; j < count; j++, p += 3) {
          const w = weights[k + j];
          s0 += src[p] * w;
          s1 += src[p + 1] * w;
          s2 += src[p + 2] * w;
        }
        out[o++] = clip8(s0);
        out[o++] = clip8(s1);
        out[o++] = clip8(s2);
      } else {
        for (let c = 0; c < channels; c++) {
          let s = HALF;
          for (let j = 0, p = start + c; j < count; j++, p += channels) s += src[p] * weights[k + j];
          out[o++] = clip8(s);
        }
      }
    }
  }
  return out;
}

/** Vertical pass; `rowOffset` is the source row that `src` starts at. */
function resampleVertical(
  src: Uint8Array,
  rowLength: number,
  rowOffset: number,
  outHeight: number,
  { ksize, bounds, weights }: Coefficients,
): Uint8Array {
  const out = new Uint8Array(outHeight * rowLength);
  const sums = new Float64Array(rowLength);
  for (let y = 0; y < outHeight; y++) {
    const first = bounds[y * 2] - rowOffset;
    const count = bounds[y * 2 + 1];
    const k = y * ksize;
    sums.fill(HALF);
    // Row by row keeps memory access sequential; integer sums are exact in doubles, so the order is free.
    for (let j = 0; j < count; j++) {
      const w = weights[k + j];
      const row = (first + j) * rowLength;
      for (let i = 0; i < rowLength; i++) sums[i] += src[row + i] * w;
    }
    const base = y * rowLength;
    for (let i = 0; i < rowLength; i++) out[base + i] = clip8(sums[i]);
  }
  return out;
}

/** PIL NEAREST (ImagingScaleAffine): positions accumulated by repeated addition, as Pillow does. */
function nearestIndices(inSize: number, outSize: number): Int32Array {
  const step = inSize / outSize;
  const indices = new Int32Array(outSize);
  let pos = step * 0.5;
  for (let i = 0; i < outSize; i++) {
    indices[i] = Math.min(Math.trunc(pos), inSize - 1);
    pos += step;
  }
  return indices;
}

function resizeNearest(image: RawImage, width: number, height: number): RawImage {
  const { data, channels } = image;
  const xs = nearestIndices(image.width, width);
  const ys = nearestIndices(image.height, height);
  const out = new Uint8Array(width * height * channels);
  const srcStride = image.width * channels;
  let o = 0;
  for (let y = 0; y < height; y++) {
    const row = ys[y] * srcStride;
    for (let x = 0; x < width; x++) {
      const p = row + xs[x] * channels;
      for (let c = 0; c < channels; c++) out[o++] = data[p + c];
    }
  }
  return { data: out, width, height, channels };
}

/**
 * `PIL.Image.resize((width, height), resample)` on an 8-bit image, bit for bit: Pillow's two-pass fixed-point
 * convolution (horizontal first, support widened when downscaling), or NEAREST. Same size returns the input.
 */
export function resize(image: RawImage, size: { width: number; height: number }, resample: Resample = Resample.BICUBIC): RawImage {
  validateRawImage(image);
  const { width, height } = size;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InputError(`resize: invalid target size ${width}x${height}`);
  }
  if (width === image.width && height === image.height) return image;
  if (resample === Resample.NEAREST) return resizeNearest(image, width, height);
  const filter = FILTERS[resample];
  if (!filter) throw new InputError(`resize: unknown resample filter ${resample} (0 to 5 are PIL's)`);
  const { channels } = image;
  const needHorizontal = width !== image.width;
  const needVertical = height !== image.height;
  const vertical = needVertical ? precomputeCoefficients(image.height, height, filter) : undefined;
  let data = image.data;
  let rowOffset = 0;
  if (needHorizontal) {
    const horizontal = precomputeCoefficients(image.width, width, filter);
    // Like Pillow, run the horizontal pass only over the source rows the vertical pass will read.
    let firstRow = 0;
    let rows = image.height;
    if (vertical) {
      firstRow = vertical.bounds[0];
      rows = vertical.bounds[(height - 1) * 2] + vertical.bounds[(height - 1) * 2 + 1] - firstRow;
    }
    data = resampleHorizontal(data, image.width, channels, firstRow, rows, width, horizontal);
    rowOffset = firstRow;
  }
  if (vertical) data = resampleVertical(data, width * channels, rowOffset, height, vertical);
  return { data, width, height, channels };
}
