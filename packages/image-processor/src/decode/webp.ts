import { NotSupportedError } from '@altclip/core';
import decodeWebpWasm, { init as initWebpWasm } from '@jsquash/webp/decode.js';
import { ImageDecodeError } from '../errors.js';
import type { RawImage } from '../raw-image.js';
import { isNode, loadNodeIO } from '../runtime.js';
import { readExifOrientation } from './exif.js';
import { compileWasm, type WasmSource } from './wasm.js';

let configuredSource: WasmSource | undefined;
let ready: Promise<void> | undefined;

/** Overrides where libwebp's wasm is loaded from (default: the dependency in Node; its own URL in browsers). */
export function setWebpWasm(source: WasmSource): void {
  configuredSource = source;
  ready = undefined;
}

function initialise(): Promise<void> {
  ready ??= (async () => {
    const source =
      configuredSource ??
      (isNode
        ? await (await loadNodeIO()).readDependencyFile('@jsquash/webp/codec/dec/webp_dec.wasm')
        : undefined);
    // In browsers without an override, the codec's glue fetches its .wasm relative to itself.
    if (source === undefined) await initWebpWasm();
    else
      await (initWebpWasm as unknown as (module: WebAssembly.Module) => Promise<void>)(
        await compileWasm(source),
      );
  })();
  return ready;
}

export interface WebpInfo {
  readonly width: number;
  readonly height: number;
  readonly animated: boolean;
  readonly orientation: number | undefined;
}

/** Canvas size, animation flag and EXIF orientation from the RIFF chunks, without decoding. */
export function readWebpInfo(bytes: Uint8Array, name: string): WebpInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  let animated = false;
  let orientation: number | undefined;
  let p = 12;
  while (p + 8 <= bytes.length) {
    const tag = String.fromCharCode(bytes[p], bytes[p + 1], bytes[p + 2], bytes[p + 3]);
    const size = view.getUint32(p + 4, true);
    const body = p + 8;
    if (tag === 'VP8X' && body + 10 <= bytes.length) {
      animated = (bytes[body] & 0x02) !== 0;
      width = 1 + (bytes[body + 4] | (bytes[body + 5] << 8) | (bytes[body + 6] << 16));
      height = 1 + (bytes[body + 7] | (bytes[body + 8] << 8) | (bytes[body + 9] << 16));
    } else if (tag === 'VP8 ' && width === 0 && body + 10 <= bytes.length) {
      width = view.getUint16(body + 6, true) & 0x3fff;
      height = view.getUint16(body + 8, true) & 0x3fff;
    } else if (tag === 'VP8L' && width === 0 && body + 5 <= bytes.length) {
      const bits = view.getUint32(body + 1, true);
      width = (bits & 0x3fff) + 1;
      height = ((bits >>> 14) & 0x3fff) + 1;
    } else if (tag === 'EXIF') {
      orientation = readExifOrientation(bytes.subarray(body, Math.min(body + size, bytes.length)));
    }
    p = body + size + (size & 1);
  }
  if (width === 0 || height === 0) throw new ImageDecodeError(name, 'not a valid WebP file (no image chunk)');
  return { width, height, animated, orientation };
}

/** Decodes a still WebP with libwebp (lossy: fancy upsampling, as Pillow); alpha is dropped. */
export async function decodeWebp(
  bytes: Uint8Array,
  name: string,
  checkPixels: (pixels: number) => void,
): Promise<RawImage> {
  const info = readWebpInfo(bytes, name);
  checkPixels(info.width * info.height);
  if (info.animated) throw new NotSupportedError(`${name}: animated WebP is not supported`);
  await initialise();
  let decoded: ImageData;
  try {
    // The codec reads the bytes as an ArrayBuffer: pass an exact copy, never a view into a larger buffer.
    decoded = await decodeWebpWasm(bytes.slice().buffer);
  } catch (error) {
    throw new ImageDecodeError(name, 'corrupt or truncated WebP data', { cause: error });
  }
  const { width, height, data } = decoded;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, o = 0; o < rgb.length; i += 4, o += 3) {
    rgb[o] = data[i];
    rgb[o + 1] = data[i + 1];
    rgb[o + 2] = data[i + 2];
  }
  return { data: rgb, width, height, channels: 3 };
}
