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

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for one axis, for outputs [first, first + count). */
function precomputeCoefficients(
  inSize: number,
  outSize: number,
  filter: Filter,
  first: number,
  count: number,
): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const inverseScale = 1 / filterScale;
  const bounds = new Int32Array(count * 2);
  const weights = new Int32Array(count * ksize);
  const taps = new Float64Array(ksize);
  for (let i = 0; i < count; i++) {
    const center = (first + i + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const n = Math.min(Math.trunc(center + support + 0.5), inSize) - lo;
    let total = 0;
    for (let j = 0; j < n; j++) {
      const w = filter.weight((j + lo - center + 0.5) * inverseScale);
      taps[j] = w;
      total += w;
    }
    const base = i * ksize;
    for (let j = 0; j < n; j++) {
      const w = total !== 0 ? taps[j] / total : taps[j];
      weights[base + j] =
        w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[i * 2] = lo;
    bounds[i * 2 + 1] = n;
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
        // Pillow's int32 accumulators: the sums provably stay inside int32, so `| 0` loses nothing and keeps
        // V8 on integer arithmetic.
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        for (let j = 0, p = start; j < count; j++, p += 3) {
          const w = weights[k + j];
          s0 = (s0 + Math.imul(src[p], w)) | 0;
          s1 = (s1 + Math.imul(src[p + 1], w)) | 0;
          s2 = (s2 + Math.imul(src[p + 2], w)) | 0;
        }
        out[o++] = clip8(s0);
        out[o++] = clip8(s1);
        out[o++] = clip8(s2);
      } else {
        for (let c = 0; c < channels; c++) {
          let s = HALF;
          for (let j = 0, p = start + c; j < count; j++, p += channels)
            s = (s + Math.imul(src[p], weights[k + j])) | 0;
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
  const sums = new Int32Array(rowLength);
  for (let y = 0; y < outHeight; y++) {
    const first = bounds[y * 2] - rowOffset;
    const count = bounds[y * 2 + 1];
    const k = y * ksize;
    sums.fill(HALF);
    // Row by row keeps memory access sequential; integer sums are exact, so the order is free.
    for (let j = 0; j < count; j++) {
      const w = weights[k + j];
      const row = (first + j) * rowLength;
      for (let i = 0; i < rowLength; i++) sums[i] = (sums[i] + Math.imul(src[row + i], w)) | 0;
    }
    const base = y * rowLength;
    for (let i = 0; i < rowLength; i++) out[base + i] = clip8(sums[i]);
  }
  return out;
}

/** PIL NEAREST (ImagingScaleAffine): positions accumulated by repeated addition, as Pillow does. */
function nearestIndices(inSize: number, outSize: number, first: number, count: number): Int32Array {
  const step = inSize / outSize;
  const indices = new Int32Array(count);
  let pos = step * 0.5;
  for (let i = 0; i < first + count; i++) {
    if (i >= first) indices[i - first] = Math.min(Math.trunc(pos), inSize - 1);
    pos += step;
  }
  return indices;
}

function resizeNearest(image: RawImage, size: { width: number; height: number }, region: Region): RawImage {
  const { data, channels } = image;
  const { width, height } = region;
  const xs = nearestIndices(image.width, size.width, region.left, width);
  const ys = nearestIndices(image.height, size.height, region.top, height);
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

/** A rectangle of the output image: `[top, top + height) x [left, left + width)`. */
export interface Region {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

/**
 * `PIL.Image.resize((width, height), resample)` on an 8-bit image, bit for bit: Pillow's two-pass fixed-point
 * convolution (horizontal first, support widened when downscaling), or NEAREST. Same size returns the input.
 */
export function resize(
  image: RawImage,
  size: { width: number; height: number },
  resample: Resample = Resample.BICUBIC,
): RawImage {
  return resizeRegion(image, size, resample, { top: 0, left: 0, height: size.height, width: size.width });
}

/**
 * Only `region` of what `resize` would return (each output pixel depends on the source alone, so the bytes are
 * the same): the processor computes just the part its center crop keeps.
 */
export function resizeRegion(
  image: RawImage,
  size: { width: number; height: number },
  resample: Resample,
  region: Region,
): RawImage {
  validateRawImage(image);
  const { width, height } = size;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InputError(`resize: invalid target size ${width}x${height}`);
  }
  const { top, left } = region;
  if (
    top < 0 ||
    left < 0 ||
    region.width < 1 ||
    region.height < 1 ||
    top + region.height > height ||
    left + region.width > width
  ) {
    throw new InputError(`resize: region outside the ${width}x${height} output`);
  }
  const { channels } = image;
  const needHorizontal = width !== image.width;
  const needVertical = height !== image.height;
  if (!needHorizontal && !needVertical) {
    if (region.width === width && region.height === height) return image;
    return copyRegion(image, region);
  }
  if (resample === Resample.NEAREST) return resizeNearest(image, size, region);
  const filter = FILTERS[resample];
  if (!filter) throw new InputError(`resize: unknown resample filter ${resample} (0 to 5 are PIL's)`);
  const vertical = needVertical
    ? precomputeCoefficients(image.height, height, filter, top, region.height)
    : undefined;
  // Like Pillow, run the horizontal pass only over the source rows the vertical pass will read.
  let firstRow = top;
  let rows = region.height;
  if (vertical) {
    firstRow = vertical.bounds[0];
    const last = (region.height - 1) * 2;
    rows = vertical.bounds[last] + vertical.bounds[last + 1] - firstRow;
  }
  const data = needHorizontal
    ? resampleHorizontal(
        image.data,
        image.width,
        channels,
        firstRow,
        rows,
        region.width,
        precomputeCoefficients(image.width, width, filter, left, region.width),
      )
    : copyRegion(image, { top: firstRow, left, height: rows, width: region.width }).data;
  const out = vertical
    ? resampleVertical(data, region.width * channels, firstRow, region.height, vertical)
    : data;
  return { data: out, width: region.width, height: region.height, channels };
}

function copyRegion(image: RawImage, region: Region): RawImage {
  const { channels } = image;
  const rowBytes = region.width * channels;
  const out = new Uint8Array(region.height * rowBytes);
  for (let y = 0; y < region.height; y++) {
    const src = ((region.top + y) * image.width + region.left) * channels;
    out.set(image.data.subarray(src, src + rowBytes), y * rowBytes);
  }
  return { data: out, width: region.width, height: region.height, channels };
}
