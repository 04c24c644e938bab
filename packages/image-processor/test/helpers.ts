import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelFiles } from '@altclip/core';
import { fixturePath } from '../../../tools/fixtures.js';
import type { RawImage } from '../src/index.js';

export const IMAGES_DIR = fixturePath('images');

export function imagesPath(...parts: string[]): string {
  if (!IMAGES_DIR) throw new Error('image fixtures missing');
  return join(IMAGES_DIR, ...parts);
}

export function readJSON<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(imagesPath(...parts), 'utf8')) as T;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Float32 bytes little-endian, as the fixtures hash them (this machine is little-endian). */
export function floatBytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** A [top, left, height, width] window of an HWC uint8 image. */
export function window(
  image: RawImage,
  top: number,
  left: number,
  height: number,
  width: number,
): Uint8Array {
  const out = new Uint8Array(height * width * image.channels);
  for (let y = 0; y < height; y++) {
    const src = ((top + y) * image.width + left) * image.channels;
    out.set(image.data.subarray(src, src + width * image.channels), y * width * image.channels);
  }
  return out;
}

export interface ImageEntry {
  file: string;
  golden: string;
  decoded_sha256: string;
  decoded_size: [number, number];
  decoded_stored: string;
  decoded_patches?: Record<string, { top: number; left: number; height: number; width: number }>;
  resized_sha256: string;
  resized_size: [number, number];
  resized_stored: string;
  resized_window?: { top: number; left: number; height: number; width: number };
  crop_box: { top: number; left: number; height: number; width: number };
  pixel_values_sha256: string;
  load_image_path_differs: boolean;
  exif_transposed?: Record<string, unknown>;
  categories: string[];
  format: { container: string; pil_mode: string };
}

/** A local-folder ModelFiles for tests (until @altclip/core's openModel lands). */
export function folderFiles(folder: string): ModelFiles {
  const path = (name: string) => join(folder, name);
  return {
    ref: folder,
    exists: async (name) => existsSync(path(name)),
    readText: async (name) => readFileSync(path(name), 'utf8'),
    readJSON: async <T>(name: string) => JSON.parse(readFileSync(path(name), 'utf8')) as T,
    readBytes: async (name) =>
      existsSync(path(name)) ? new Uint8Array(readFileSync(path(name))) : undefined,
    localPath: async (name) => (existsSync(path(name)) ? path(name) : undefined),
  };
}

/** Byte equality with a readable failure (vitest's deep equality is slow on megabyte arrays). */
export function firstMismatch(actual: Uint8Array, expected: Uint8Array): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length} != ${expected.length}`;
  if (Buffer.compare(actual, expected) === 0) return undefined;
  const at = actual.findIndex((v, i) => v !== expected[i]);
  return `first difference at byte ${at}: ${actual[at]} != ${expected[at]}`;
}
