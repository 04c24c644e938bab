// Node-only helpers. Loaded with a computed dynamic import so that browser bundles never see `node:` modules.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { inflateSync } from 'node:zlib';

/** The bytes of a file on disk. */
export async function readPath(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path));
}

/** The bytes of a file shipped inside a dependency, e.g. `@cwasm/jpeg-turbo/jpeg-turbo.wasm`. */
export async function readDependencyFile(specifier: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(createRequire(import.meta.url).resolve(specifier)));
}

/** zlib inflate with Node's native zlib (about 3x faster than the pure-JS fallback used in browsers). */
export function inflate(data: Uint8Array): Uint8Array {
  return inflateSync(data);
}

/** A worker_threads Worker running the module at `url`. */
export function startWorker(url: URL, workerData: unknown): Worker {
  return new Worker(url, { workerData });
}

/** Logical CPUs this process may use. */
export function cpuCount(): number {
  return availableParallelism();
}

interface CornerstoneDecoder {
  getEncodedBuffer(size: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): { width: number; height: number; componentCount: number };
  decode(): void;
  delete(): void;
}
type CornerstoneModule = { JPEGDecoder: new () => CornerstoneDecoder };
let arithmeticCodec: Promise<CornerstoneModule> | undefined;

/**
 * Decodes an arithmetic-coded JPEG with Cornerstone's libjpeg-turbo build (compiled with arithmetic decoding,
 * which the main decoder lacks). Its emscripten glue is CommonJS that requires `fs`, so it stays Node-only.
 * Returns interleaved 8-bit samples (1 or 3 components); throws on corrupt or truncated data.
 */
export async function decodeArithmeticJpeg(
  bytes: Uint8Array,
): Promise<{ data: Uint8Array; width: number; height: number; components: number }> {
  const require = createRequire(import.meta.url);
  arithmeticCodec ??= (async () => {
    const factory = require('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs') as (
      options: object,
    ) => Promise<CornerstoneModule>;
    const wasmBinary = await readFile(require.resolve('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm'));
    return factory({ wasmBinary });
  })();
  const codec = await arithmeticCodec;
  const decoder = new codec.JPEGDecoder();
  try {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    try {
      decoder.decode();
    } catch (error) {
      // Emscripten throws C++ exceptions as bare pointers.
      throw new Error(typeof error === 'number' ? 'libjpeg-turbo rejected the data' : String(error));
    }
    const { width, height, componentCount } = decoder.getFrameInfo();
    // A copy, as a Uint8Array (the codec hands out a Uint8ClampedArray view of its heap).
    return { data: new Uint8Array(decoder.getDecodedBuffer()), width, height, components: componentCount };
  } finally {
    decoder.delete();
  }
}
