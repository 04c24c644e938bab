import { InputError } from '@altclip/core';
import { type DecodeOptions, decodeImage } from './decode/index.js';
import { ImageDecodeError } from './errors.js';
import { type RawImage, toRGB, validateRawImage } from './raw-image.js';
import { isNode, loadNodeIO } from './runtime.js';

/**
 * What `loadImage` accepts. Encoded files (path, URL, bytes, Blob) are decoded by this package, identically in
 * Node and browsers. Browser-decoded sources (ImageBitmap, HTMLImageElement, canvas, ImageData) come through a
 * canvas: the browser's own decoder and premultiplied alpha, so they need not match Python to the last bit.
 */
export type ImageInput =
  | string
  | URL
  | Uint8Array
  | ArrayBuffer
  | Blob
  | RawImage
  | ImageData
  | ImageBitmap
  | HTMLImageElement
  | HTMLCanvasElement
  | OffscreenCanvas;

export interface LoadImageOptions extends DecodeOptions {
  /** A label for error messages (default: the path, or the kind of input). */
  readonly name?: string;
}

function hasGlobal(name: string): boolean {
  return typeof (globalThis as Record<string, unknown>)[name] === 'function';
}

function isInstance(value: unknown, globalName: string): boolean {
  const ctor = (globalThis as Record<string, unknown>)[globalName];
  return typeof ctor === 'function' && value instanceof (ctor as new (...args: never[]) => unknown);
}

async function fetchBytes(url: string, name: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new ImageDecodeError(name, `cannot fetch ${url} (${(error as Error).message})`, { cause: error });
  }
  if (!response.ok) throw new ImageDecodeError(name, `fetching ${url} failed: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function readLocation(location: string | URL, name: string): Promise<Uint8Array> {
  const href = location instanceof URL ? location.href : location;
  const isRemote = /^(https?:|data:|blob:)/i.test(href);
  if (isNode && !isRemote) {
    const { readPath } = await loadNodeIO();
    const url = location instanceof URL ? location : /^file:/i.test(href) ? new URL(href) : undefined;
    const path = url ? decodeURIComponent(url.pathname) : href;
    try {
      return await readPath(path);
    } catch (error) {
      throw new ImageDecodeError(name, `cannot read the file (${(error as Error).message})`, {
        cause: error,
      });
    }
  }
  return fetchBytes(href, name);
}

/** Pixels drawn by the browser: RGBA from a canvas. */
function drawToPixels(source: CanvasImageSource, width: number, height: number): RawImage {
  const canvas = hasGlobal('OffscreenCanvas')
    ? new OffscreenCanvas(width, height)
    : Object.assign(document.createElement('canvas'), { width, height });
  const context = canvas.getContext('2d') as
    | CanvasRenderingContext2D
    | OffscreenCanvasRenderingContext2D
    | null;
  if (!context) throw new InputError('loadImage: no 2D canvas context available');
  context.drawImage(source, 0, 0);
  const { data } = context.getImageData(0, 0, width, height);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height, channels: 4 };
}

function defaultName(input: unknown): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) return 'image bytes';
  return 'image';
}

/**
 * Loads any supported input as 8-bit RGB (`{data, width, height, channels: 3}`), the way Pillow opens and
 * `convert("RGB")`s it. In Node a string is a file path (or an http(s)/data URL); in browsers, a URL.
 */
export async function loadImage(input: ImageInput, options: LoadImageOptions = {}): Promise<RawImage> {
  const name = options.name ?? defaultName(input);
  if (typeof input === 'string' || input instanceof URL) {
    return decodeImage(await readLocation(input, name), name, options);
  }
  if (input instanceof Uint8Array) return decodeImage(input, name, options);
  if (input instanceof ArrayBuffer) return decodeImage(new Uint8Array(input), name, options);
  if (isInstance(input, 'Blob')) {
    return decodeImage(new Uint8Array(await (input as Blob).arrayBuffer()), name, options);
  }
  if (isInstance(input, 'ImageData')) {
    const { data, width, height } = input as ImageData;
    return toRGB({
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width,
      height,
      channels: 4,
    });
  }
  if (isInstance(input, 'HTMLImageElement')) {
    const image = input as HTMLImageElement;
    // Decode the element's file ourselves when it can be fetched and read (exact); else fall back to the canvas.
    const source = image.currentSrc || image.src;
    if (source) {
      try {
        return await decodeImage(await fetchBytes(source, name), name, options);
      } catch {
        // Cross-origin, unsupported format (SVG, AVIF...) or corrupt: use what the browser decoded.
      }
    }
    if (!image.complete) await image.decode();
    return toRGB(drawToPixels(image, image.naturalWidth, image.naturalHeight));
  }
  if (
    isInstance(input, 'ImageBitmap') ||
    isInstance(input, 'HTMLCanvasElement') ||
    isInstance(input, 'OffscreenCanvas')
  ) {
    const source = input as ImageBitmap | HTMLCanvasElement | OffscreenCanvas;
    return toRGB(drawToPixels(source, source.width, source.height));
  }
  if (typeof input === 'object' && input !== null && 'data' in input && 'channels' in input) {
    const raw = input as RawImage;
    const view = raw.data as ArrayBufferView;
    const data =
      raw.data instanceof Uint8Array
        ? raw.data
        : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    const image = { data, width: raw.width, height: raw.height, channels: raw.channels };
    validateRawImage(image, name);
    return toRGB(image);
  }
  throw new InputError(
    `${name}: unsupported image input (path, URL, bytes, Blob, raw pixels, ImageData, ImageBitmap, image or canvas)`,
  );
}
