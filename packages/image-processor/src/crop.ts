import { InputError } from '@altclip/core';
import { type RawImage, validateRawImage } from './raw-image.js';

/**
 * transformers' `center_crop` on an HWC uint8 array: top = floor((h − ch) / 2), left = floor((w − cw) / 2);
 * when the crop is larger than the image, the image sits on a zero canvas at offset
 * (ceil((H − h) / 2), ceil((W − w) / 2)) first, so an odd padding puts the extra zero row / column at the top / left.
 */
export function centerCrop(image: RawImage, size: { width: number; height: number }): RawImage {
  validateRawImage(image);
  const { width: cropWidth, height: cropHeight } = size;
  if (!Number.isInteger(cropWidth) || !Number.isInteger(cropHeight) || cropWidth < 1 || cropHeight < 1) {
    throw new InputError(`centerCrop: invalid crop size ${cropWidth}x${cropHeight}`);
  }
  const { data, width, height, channels } = image;
  if (cropWidth === width && cropHeight === height) return image;
  // Equal to placing the image on the padded canvas first and cutting the window there (transformers' way).
  const top = Math.floor((height - cropHeight) / 2);
  const left = Math.floor((width - cropWidth) / 2);
  // Copy the overlap of the window [top, top + ch) x [left, left + cw) with the image; the rest stays zero.
  const out = new Uint8Array(cropWidth * cropHeight * channels);
  const x0 = Math.max(left, 0);
  const x1 = Math.min(left + cropWidth, width);
  for (let y = Math.max(top, 0); y < Math.min(top + cropHeight, height); y++) {
    if (x1 <= x0) break;
    const src = (y * width + x0) * channels;
    out.set(data.subarray(src, src + (x1 - x0) * channels), ((y - top) * cropWidth + (x0 - left)) * channels);
  }
  return { data: out, width: cropWidth, height: cropHeight, channels };
}
