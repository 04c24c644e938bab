import { NotSupportedError } from '@altclip/core';
import { ImageDecodeError } from '../errors.js';
import { type RawImage, toRGB } from '../raw-image.js';
import { isNode, loadNodeIO } from '../runtime.js';
import { readExifOrientation } from './exif.js';
import { compileWasm, type WasmSource } from './wasm.js';

// libjpeg-turbo (TurboJPEG API) compiled to wasm, from @cwasm/jpeg-turbo: the decoder Pillow uses, with its
// defaults (ISLOW IDCT, fancy upsampling), and the only wasm build found that also outputs CMYK. Its JS wrapper
// reads the binary with `fs`, so we instantiate the .wasm ourselves in Node and in browsers.
const TJPF_RGB = 0;
const TJPF_CMYK = 11;
const TJCS_CMYK = 3;
const TJCS_YCCK = 4;
const MAX_RETAINED_MEMORY = 256 * 1024 * 1024;

interface TurboJpeg {
  memory: WebAssembly.Memory;
  malloc(size: number): number;
  free(pointer: number): void;
  tjInitDecompress(): number;
  tjDestroy(handle: number): number;
  tjDecompressHeader3(
    handle: number,
    src: number,
    size: number,
    w: number,
    h: number,
    ss: number,
    cs: number,
  ): number;
  tjDecompress2(
    handle: number,
    src: number,
    size: number,
    dst: number,
    w: number,
    pitch: number,
    h: number,
    pf: number,
    flags: number,
  ): number;
}

let configuredSource: WasmSource | undefined;
let compiled: Promise<WebAssembly.Module> | undefined;
let instance: TurboJpeg | undefined;

/** Overrides where the libjpeg-turbo wasm is loaded from (default: the dependency in Node, `./jpeg-turbo.wasm` beside this module in browsers). */
export function setJpegWasm(source: WasmSource): void {
  configuredSource = source;
  compiled = undefined;
  instance = undefined;
}

class LibjpegError extends Error {}

function trap(name: string): () => never {
  return () => {
    throw new LibjpegError(name);
  };
}

async function getInstance(): Promise<TurboJpeg> {
  compiled ??= (async () => {
    const source =
      configuredSource ??
      (isNode
        ? await (await loadNodeIO()).readDependencyFile('@cwasm/jpeg-turbo/jpeg-turbo.wasm')
        : new URL('./jpeg-turbo.wasm', import.meta.url));
    return compileWasm(source);
  })();
  const module = await compiled;
  // libjpeg reports fatal errors through longjmp; thrown from wasm, it leaves the instance's stack unwound,
  // so a fresh instance replaces it after every error.
  instance ??= new WebAssembly.Instance(module, {
    env: { setjmp: () => 0, longjmp: trap('libjpeg error') },
    wasi_snapshot_preview1: {
      environ_sizes_get: () => 0,
      environ_get: trap('environ_get'),
      proc_exit: trap('proc_exit'),
      fd_close: trap('fd_close'),
      fd_seek: trap('fd_seek'),
      fd_write: trap('fd_write'),
    },
  }).exports as unknown as TurboJpeg;
  return instance;
}

export interface JpegMarkers {
  /** SOF marker number (0xc0..0xcf); 9..11, 13..15 are arithmetic coding. */
  readonly sof: number | undefined;
  readonly width: number;
  readonly height: number;
  readonly components: number;
  readonly orientation: number | undefined;
}

/** Reads the markers before the first scan: frame type and EXIF orientation. */
export function readJpegMarkers(bytes: Uint8Array): JpegMarkers {
  let sof: number | undefined;
  let orientation: number | undefined;
  let width = 0;
  let height = 0;
  let components = 0;
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) break;
    const marker = bytes[p + 1];
    if (marker === 0xff) {
      p++;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) {
      p += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break;
    const length = (bytes[p + 2] << 8) | bytes[p + 3];
    const body = bytes.subarray(p + 4, p + 2 + length);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame && sof === undefined && body.length >= 6) {
      sof = marker;
      height = (body[1] << 8) | body[2];
      width = (body[3] << 8) | body[4];
      components = body[5];
    }
    if (
      marker === 0xe1 &&
      orientation === undefined &&
      body.length > 6 &&
      body[0] === 0x45 &&
      body[1] === 0x78
    ) {
      orientation = readExifOrientation(body);
    }
    p += 2 + length;
  }
  return { sof, width, height, components, orientation };
}

/** Decodes a JPEG to RGB as Pillow does (CMYK / YCCK files through Pillow's inverted-CMYK rule). */
export async function decodeJpeg(
  bytes: Uint8Array,
  name: string,
  checkPixels: (pixels: number) => void,
): Promise<RawImage> {
  const markers = readJpegMarkers(bytes);
  const { sof } = markers;
  if (sof !== undefined && ((sof >= 0xc9 && sof <= 0xcb) || sof >= 0xcd)) {
    return decodeArithmetic(bytes, name, checkPixels, markers);
  }
  const tj = await getInstance();
  let input = 0;
  let header = 0;
  let output = 0;
  let handle = 0;
  try {
    input = tj.malloc(bytes.length);
    header = tj.malloc(16);
    if (input === 0 || header === 0) throw new ImageDecodeError(name, 'out of memory reading the JPEG');
    new Uint8Array(tj.memory.buffer, input, bytes.length).set(bytes);
    handle = tj.tjInitDecompress();
    if (
      tj.tjDecompressHeader3(handle, input, bytes.length, header, header + 4, header + 8, header + 12) !== 0
    ) {
      throw new ImageDecodeError(name, 'not a valid JPEG header');
    }
    const [width, height, , colorspace] = new Int32Array(tj.memory.buffer, header, 4);
    checkPixels(width * height);
    const cmyk = colorspace === TJCS_CMYK || colorspace === TJCS_YCCK;
    const channels = cmyk ? 4 : 3;
    output = tj.malloc(width * height * channels);
    if (output === 0) throw new ImageDecodeError(name, `out of memory decoding a ${width}x${height} JPEG`);
    const status = tj.tjDecompress2(
      handle,
      input,
      bytes.length,
      output,
      width,
      width * channels,
      height,
      cmyk ? TJPF_CMYK : TJPF_RGB,
      0,
    );
    // TurboJPEG also fails on libjpeg warnings (e.g. premature end of data), where Pillow raises too.
    if (status !== 0) throw new ImageDecodeError(name, 'corrupt or truncated JPEG data');
    const pixels = new Uint8Array(tj.memory.buffer, output, width * height * channels);
    return { data: cmyk ? cmykToRgb(pixels) : pixels.slice(), width, height, channels: 3 };
  } catch (error) {
    if (error instanceof LibjpegError) {
      instance = undefined;
      throw new ImageDecodeError(name, 'corrupt or unsupported JPEG data', { cause: error });
    }
    throw error;
  } finally {
    if (instance === tj) {
      if (handle) tj.tjDestroy(handle);
      if (output) tj.free(output);
      if (header) tj.free(header);
      if (input) tj.free(input);
      // Wasm memory never shrinks: after a very large image, let a fresh instance start small again.
      if (tj.memory.buffer.byteLength > MAX_RETAINED_MEMORY) instance = undefined;
    }
  }
}

/**
 * Pillow's CMYK→RGB on the bytes libjpeg returns for a 4-component JPEG (Pillow assumes Adobe-inverted storage):
 * R = round(C·K / 255) in ImagingConvert's exact integer form.
 */
function cmykToRgb(cmyk: Uint8Array): Uint8Array {
  const rgb = new Uint8Array((cmyk.length / 4) * 3);
  for (let i = 0, o = 0; i < cmyk.length; i += 4, o += 3) {
    const k = cmyk[i + 3];
    for (let c = 0; c < 3; c++) {
      const t = (255 - cmyk[i + c]) * k + 128;
      rgb[o + c] = k - (((t >> 8) + t) >> 8);
    }
  }
  return rgb;
}

/** Arithmetic-coded JPEG: Node only (see node-io's decodeArithmeticJpeg), gray or YCbCr. */
async function decodeArithmetic(
  bytes: Uint8Array,
  name: string,
  checkPixels: (pixels: number) => void,
  { width, height, components }: JpegMarkers,
): Promise<RawImage> {
  if (!isNode) throw new NotSupportedError(`${name}: arithmetic-coded JPEG is only decoded in Node`);
  if (components !== 1 && components !== 3) {
    throw new NotSupportedError(
      `${name}: arithmetic-coded JPEG with ${components} components is not supported`,
    );
  }
  checkPixels(width * height);
  const io = await loadNodeIO();
  let decoded: Awaited<ReturnType<typeof io.decodeArithmeticJpeg>>;
  try {
    decoded = await io.decodeArithmeticJpeg(bytes);
  } catch (error) {
    throw new ImageDecodeError(name, 'corrupt or truncated JPEG data', { cause: error });
  }
  return toRGB({
    data: decoded.data,
    width: decoded.width,
    height: decoded.height,
    channels: decoded.components,
  });
}
