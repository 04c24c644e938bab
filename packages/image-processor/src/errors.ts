import { AltCLIPError } from '@altclip/core';

/** An image could not be decoded: corrupt, truncated, or in a format this package does not read. */
export class ImageDecodeError extends AltCLIPError {
  /** Which input failed: a path, `bytes[…]`, or `images[i]` inside a batch. */
  readonly input: string;
  constructor(input: string, message: string, options?: { cause?: unknown }) {
    super('invalid_image', `${input}: ${message}`, options);
    this.input = input;
  }
}

/** An image has more pixels than the configured limit (a decompression-bomb guard, like PIL's MAX_IMAGE_PIXELS). */
export class ImageTooLargeError extends AltCLIPError {
  readonly input: string;
  readonly pixels: number;
  readonly maxPixels: number;
  constructor(input: string, pixels: number, maxPixels: number) {
    super(
      'image_too_large',
      `${input}: ${pixels} pixels exceed the limit of ${maxPixels} (raise maxPixels if the file is trusted)`,
    );
    this.input = input;
    this.pixels = pixels;
    this.maxPixels = maxPixels;
  }
}
