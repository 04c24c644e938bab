import { InputError } from '@altclip/core';
import { type RawImage, validateRawImage } from './raw-image.js';
import type { Region } from './resize.js';

/**
 * transformers' `center_crop` window on an image of the given size: top = floor((h − ch) / 2),
 * left = floor((w − cw) / 2). Negative offsets mean zero padding; this equals placing the image on the padded
 * canvas at (ceil((H − h) / 2), ceil((W − w) / 2)) and cutting there, as transformers does, so an odd padding
 * puts the extra zero row / column at the top / left.
 */
export function centerCropWindow(
  width: number,
  height: number,
  crop: { width: number; height: number },
): Region {
  if (!Number.isInteger(crop.width) || !Number.isInteger(crop.height) || crop.width < 1 || crop.height < 1) {
    throw new InputError(`centerCrop: invalid crop size ${crop.width}x${crop.height}`);
  }
  return {
    top: Math.floor((height - crop.height) / 2),
    left: Math.floor((width - crop.width) / 2),
    height: crop.height,
    width: crop.width,
  };
}

/** The part of `window` that lies inside a width x height image, or undefined when they do not overlap. */
export function visiblePart(width: number, height: number, window: Region): Region | undefined {
  const top = Math.max(window.top, 0);
  const left = Math.max(window.left, 0);
  const bottom = Math.min(window.top + window.height, height);
  const right = Math.min(window.left + window.width, width);
  return bottom > top && right > left ? { top, left, height: bottom - top, width: right - left } : undefined;
}

/** A zero canvas the size of `window` with `part` (the visible pixels, already cut out) at its place. */
export function padToWindow(
  part: RawImage | undefined,
  window: Region,
  visible: Region | undefined,
  channels: number,
): RawImage {
  if (part && visible && part.width === window.width && part.height === window.height) return part;
  const out = new Uint8Array(window.width * window.height * channels);
  if (part && visible) {
    const rowBytes = part.width * channels;
    for (let y = 0; y < part.height; y++) {
      const at = ((visible.top - window.top + y) * window.width + (visible.left - window.left)) * channels;
      out.set(part.data.subarray(y * rowBytes, (y + 1) * rowBytes), at);
    }
  }
  return { data: out, width: window.width, height: window.height, channels };
}

/** transformers' `center_crop` on an HWC uint8 image, with zero padding when the crop is larger. */
export function centerCrop(image: RawImage, size: { width: number; height: number }): RawImage {
  validateRawImage(image);
  const window = centerCropWindow(image.width, image.height, size);
  if (window.width === image.width && window.height === image.height) return image;
  const visible = visiblePart(image.width, image.height, window);
  let part: RawImage | undefined;
  if (visible) {
    const rowBytes = visible.width * image.channels;
    const data = new Uint8Array(visible.height * rowBytes);
    for (let y = 0; y < visible.height; y++) {
      const src = ((visible.top + y) * image.width + visible.left) * image.channels;
      data.set(image.data.subarray(src, src + rowBytes), y * rowBytes);
    }
    part = { data, width: visible.width, height: visible.height, channels: image.channels };
  }
  return padToWindow(part, window, visible, image.channels);
}
