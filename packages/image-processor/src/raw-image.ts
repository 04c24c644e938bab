import { InputError } from '@altclip/core';

/** Decoded pixels, row-major, channels interleaved (HWC), 8 bits per channel. */
export interface RawImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

/** Checks that `data` holds exactly width·height·channels bytes and that the sizes are sane. */
export function validateRawImage(image: RawImage, what = 'image'): void {
  const { data, width, height, channels } = image;
  if (!(data instanceof Uint8Array) && !((data as unknown) instanceof Uint8ClampedArray)) {
    throw new InputError(`${what}: data must be a Uint8Array (uint8 HWC)`);
  }
  for (const [name, value] of [
    ['width', width],
    ['height', height],
    ['channels', channels],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new InputError(`${what}: ${name} must be a positive integer`);
  }
  if (channels > 4) throw new InputError(`${what}: ${channels} channels (1 to 4 are supported)`);
  if (data.length !== width * height * channels) {
    throw new InputError(
      `${what}: data has ${data.length} bytes, ${width}x${height}x${channels} needs ${width * height * channels}`,
    );
  }
}

/**
 * The image as 3-channel RGB the way PIL's `convert("RGB")` does it: gray is replicated, alpha is dropped
 * (never composited), RGB is returned as is.
 */
export function toRGB(image: RawImage): RawImage {
  const { data, width, height, channels } = image;
  if (channels === 3) return image;
  const pixels = width * height;
  const rgb = new Uint8Array(pixels * 3);
  if (channels === 1 || channels === 2) {
    for (let i = 0, j = 0, o = 0; i < pixels; i++, j += channels, o += 3) {
      const v = data[j];
      rgb[o] = v;
      rgb[o + 1] = v;
      rgb[o + 2] = v;
    }
  } else {
    for (let i = 0, j = 0, o = 0; i < pixels; i++, j += channels, o += 3) {
      rgb[o] = data[j];
      rgb[o + 1] = data[j + 1];
      rgb[o + 2] = data[j + 2];
    }
  }
  return { data: rgb, width, height, channels: 3 };
}
