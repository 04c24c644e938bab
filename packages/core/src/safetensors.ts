import { CheckpointError } from './errors.js';
import { bytesPerElement, Tensor, type TensorType, TYPED_ARRAYS, toFloat32 } from './tensor.js';
import type { TensorInfo, TensorLocation, WeightStore } from './weights.js';

/** The safetensors dtypes this library reads, with the core tensor type each one becomes. */
const DTYPES: Readonly<Record<string, { type: TensorType; bytes: number }>> = {
  F32: { type: 'float32', bytes: 4 },
  F16: { type: 'float16', bytes: 2 },
  BF16: { type: 'bfloat16', bytes: 2 },
  // Core has no float64 tensors: F64 is narrowed to float32 on read.
  F64: { type: 'float32', bytes: 8 },
  I64: { type: 'int64', bytes: 8 },
  I32: { type: 'int32', bytes: 4 },
  I8: { type: 'int8', bytes: 1 },
  U8: { type: 'uint8', bytes: 1 },
  BOOL: { type: 'bool', bytes: 1 },
};

const DTYPE_NAMES: { readonly [K in TensorType]: string } = {
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

/** The same bound the reference implementation puts on the JSON header. */
const MAX_HEADER_BYTES = 100_000_000;

interface HeaderEntry {
  readonly dtypeName: string;
  readonly info: TensorInfo;
  /** Offsets relative to the start of the data section. */
  readonly begin: number;
  readonly end: number;
}

/** Reads `length` bytes at `offset` of the data section. */
type RangeReader = (offset: number, length: number) => Promise<Uint8Array>;

/**
 * Checks a header against the format: a JSON object of `{dtype, shape, data_offsets}` entries whose byte
 * ranges match shape × dtype, lie inside the data section and do not overlap.
 */
function parseHeader(name: string, headerBytes: Uint8Array, dataSize: number) {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (error) {
    throw new CheckpointError(
      name,
      `safetensors header is not valid UTF-8 JSON (${(error as Error).message})`,
      {
        cause: error,
      },
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CheckpointError(name, 'safetensors header is not a JSON object');
  }
  const metadata: Record<string, string> = {};
  const entries = new Map<string, HeaderEntry>();
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new CheckpointError(name, '__metadata__ must be an object of strings');
      }
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw new CheckpointError(name, `__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    entries.set(key, parseEntry(name, key, value, dataSize));
  }
  const byOffset = [...entries.entries()].sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  for (let i = 1; i < byOffset.length; i++) {
    const [prevKey, prev] = byOffset[i - 1];
    const [key, entry] = byOffset[i];
    if (entry.begin < prev.end) {
      throw new CheckpointError(
        name,
        `tensors '${prevKey}' [${prev.begin}, ${prev.end}) and '${key}' [${entry.begin}, ${entry.end}) overlap`,
      );
    }
  }
  return { metadata, entries };
}

function parseEntry(name: string, key: string, value: unknown, dataSize: number): HeaderEntry {
  const fail = (message: string) => new CheckpointError(name, `tensor '${key}': ${message}`);
  if (typeof value !== 'object' || value === null) throw fail('header entry is not an object');
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  const dtypeInfo = typeof dtype === 'string' && Object.hasOwn(DTYPES, dtype) ? DTYPES[dtype] : undefined;
  if (!dtypeInfo) {
    throw fail(`unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw fail(`invalid shape ${JSON.stringify(shape)}`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    throw fail(`invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const expected = shape.reduce((a: number, b: number) => a * b, 1) * dtypeInfo.bytes;
  if (!Number.isSafeInteger(expected) || end - begin !== expected) {
    throw fail(
      `shape [${shape.join(', ')}] of ${dtype} needs ${expected} bytes, data_offsets span ${end - begin}`,
    );
  }
  if (end > dataSize) {
    throw fail(
      `data_offsets [${begin}, ${end}) run past the end of the data (${dataSize} bytes): the file is truncated`,
    );
  }
  return {
    dtypeName: dtype as string,
    info: { dtype: dtypeInfo.type, shape: shape as number[] },
    begin,
    end,
  };
}

/** Reads the 8-byte little-endian header length and checks it against the file size. */
function headerLength(name: string, prefix: Uint8Array, fileSize: number): number {
  if (fileSize < 8 || prefix.length < 8) {
    throw new CheckpointError(name, `file has ${fileSize} bytes, too short for a safetensors header`);
  }
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(fileSize - 8)) {
    throw new CheckpointError(
      name,
      `safetensors header length ${length} runs past the end of the file (${fileSize} bytes): truncated or not a safetensors file`,
    );
  }
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointError(name, `safetensors header length ${length} exceeds ${MAX_HEADER_BYTES} bytes`);
  }
  return Number(length);
}

/**
 * A safetensors file or buffer: the header is parsed on open, each tensor's bytes are read when asked for.
 * Tensors are fresh copies, never views of a shared buffer, so callers may modify them.
 */
export class SafetensorsStore implements WeightStore {
  /** The `__metadata__` map of the header (for example `{format: 'pt'}`). */
  readonly metadata: Readonly<Record<string, string>>;
  /** The file name used in error messages (the path for files). */
  readonly name: string;
  readonly #entries: Map<string, HeaderEntry>;
  readonly #read: RangeReader;
  /** Absolute file offset of the data section, for files on disk. */
  readonly #dataStart: number | undefined;
  readonly #release: () => Promise<void>;
  #closed = false;

  constructor(options: {
    name: string;
    metadata: Record<string, string>;
    entries: Map<string, HeaderEntry>;
    read: RangeReader;
    dataStart?: number;
    release?: () => Promise<void>;
  }) {
    this.name = options.name;
    this.metadata = Object.freeze({ ...options.metadata });
    this.#entries = options.entries;
    this.#read = options.read;
    this.#dataStart = options.dataStart;
    this.#release = options.release ?? (async () => {});
  }

  keys(): string[] {
    return [...this.#entries.keys()];
  }

  info(key: string): TensorInfo | undefined {
    return this.#entries.get(key)?.info;
  }

  /** The safetensors dtype name as stored (`F32`, `F16`, ...; F64 reads as float32). */
  storedDtype(key: string): string | undefined {
    return this.#entries.get(key)?.dtypeName;
  }

  async get(key: string): Promise<Tensor> {
    const entry = this.#entries.get(key);
    if (!entry) throw new CheckpointError(this.name, `no tensor '${key}' in the checkpoint`);
    if (this.#closed) throw new CheckpointError(this.name, `store is closed (reading '${key}')`);
    const bytes = await this.#read(entry.begin, entry.end - entry.begin);
    // Fresh, aligned storage: the bytes may sit at any offset of the source.
    const buffer = new ArrayBuffer(bytes.length);
    new Uint8Array(buffer).set(bytes);
    const { dtype, shape } = entry.info;
    if (entry.dtypeName === 'F64') {
      return new Tensor('float32', Float32Array.from(new Float64Array(buffer)), shape);
    }
    const ArrayType = TYPED_ARRAYS[dtype];
    const data = new ArrayType(buffer, 0, bytes.length / bytesPerElement(dtype));
    return new Tensor(dtype, data, shape);
  }

  async getFloat32(key: string): Promise<Tensor<'float32'>> {
    return toFloat32(await this.get(key));
  }

  location(key: string): TensorLocation | undefined {
    const entry = this.#entries.get(key);
    // F64 bytes are not in the reported dtype, so they cannot be used in place.
    if (!entry || this.#dataStart === undefined || entry.dtypeName === 'F64') return undefined;
    return { path: this.name, offset: this.#dataStart + entry.begin, length: entry.end - entry.begin };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#release();
  }
}

/** A safetensors file held in memory (browsers, fetched files). The bytes are not copied on open. */
export function readSafetensors(bytes: ArrayBuffer | Uint8Array, name = '<buffer>'): SafetensorsStore {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const length = headerLength(name, view, view.length);
  const dataStart = 8 + length;
  const { metadata, entries } = parseHeader(name, view.subarray(8, dataStart), view.length - dataStart);
  return new SafetensorsStore({
    name,
    metadata,
    entries,
    read: async (offset, size) => view.subarray(dataStart + offset, dataStart + offset + size),
  });
}

/**
 * Opens a safetensors file on disk (Node): reads only the header; each `get` reads just that tensor's bytes.
 * `location` gives absolute file ranges for zero-copy loading. Call `close` to release the file handle.
 */
export async function openSafetensors(path: string): Promise<SafetensorsStore> {
  const { open } = await import('node:fs/promises');
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new CheckpointError(path, `cannot open (${(error as Error).message})`, { cause: error });
  }
  try {
    const { size } = await handle.stat();
    const readAt = async (position: number, length: number): Promise<Uint8Array> => {
      const out = new Uint8Array(length);
      let done = 0;
      // One read call may return fewer bytes than asked (reads above 2 GB always do on Linux).
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, position + done);
        if (bytesRead === 0)
          throw new CheckpointError(path, `file ended at byte ${position + done} while reading`);
        done += bytesRead;
      }
      return out;
    };
    const length = headerLength(path, await readAt(0, Math.min(8, size)), size);
    const dataStart = 8 + length;
    const { metadata, entries } = parseHeader(path, await readAt(8, length), size - dataStart);
    return new SafetensorsStore({
      name: path,
      metadata,
      entries,
      read: (offset, bytes) => readAt(dataStart + offset, bytes),
      dataStart,
      release: () => handle.close(),
    });
  } catch (error) {
    await handle.close();
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(path, `cannot read (${(error as Error).message})`, { cause: error });
  }
}

/** What `writeSafetensors` / `serializeSafetensors` accept: key / tensor pairs, or a store to copy. */
export type SafetensorsEntries =
  | Iterable<readonly [string, Tensor]>
  | AsyncIterable<readonly [string, Tensor]>
  | WeightStore;

interface PlannedTensor {
  readonly key: string;
  readonly info: TensorInfo;
  readonly begin: number;
  readonly end: number;
}

/** The header bytes (length prefix included) and data layout for tensors in sorted key order. */
function planLayout(infos: Iterable<readonly [string, TensorInfo]>, metadata?: Record<string, string>) {
  const sorted = [...infos].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const planned: PlannedTensor[] = [];
  let offset = 0;
  for (const [key, info] of sorted) {
    if (key === '__metadata__')
      throw new CheckpointError('<writer>', "'__metadata__' cannot be a tensor name");
    const size = info.shape.reduce((a, b) => a * b, 1) * bytesPerElement(info.dtype);
    header[key] = {
      dtype: DTYPE_NAMES[info.dtype],
      shape: [...info.shape],
      data_offsets: [offset, offset + size],
    };
    planned.push({ key, info, begin: offset, end: offset + size });
    offset += size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Space padding to a multiple of 8 keeps the data 8-byte aligned, as the reference writer does.
  const padded = Math.ceil(json.length / 8) * 8;
  const headerBytes = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(headerBytes.buffer).setBigUint64(0, BigInt(padded), true);
  headerBytes.set(json, 8);
  return { headerBytes, planned, dataSize: offset };
}

function isWeightStore(entries: SafetensorsEntries): entries is WeightStore {
  return (
    // A Map has keys() and get() too; only a WeightStore describes its tensors with info().
    typeof (entries as WeightStore).keys === 'function' &&
    typeof (entries as WeightStore).get === 'function' &&
    typeof (entries as WeightStore).info === 'function'
  );
}

function tensorBytes(tensor: Tensor): Uint8Array {
  const data = tensor.data as ArrayBufferView;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function checkTensor(key: string, expected: TensorInfo, tensor: Tensor): void {
  if (tensor.type !== expected.dtype || tensor.dims.join(',') !== expected.shape.join(',')) {
    throw new CheckpointError(
      '<writer>',
      `tensor '${key}' changed between info and get: ${expected.dtype}[${expected.shape}] vs ${tensor.type}[${tensor.dims}]`,
    );
  }
}

/** A complete safetensors file in memory (browsers, tests). Keys are sorted, as the reference writer does. */
export function serializeSafetensors(
  entries: Iterable<readonly [string, Tensor]>,
  metadata?: Record<string, string>,
): Uint8Array {
  const tensors = new Map<string, Tensor>(entries);
  const infos = [...tensors].map(([key, t]) => [key, { dtype: t.type, shape: t.dims }] as const);
  const { headerBytes, planned, dataSize } = planLayout(infos, metadata);
  const out = new Uint8Array(headerBytes.length + dataSize);
  out.set(headerBytes);
  for (const { key, begin } of planned)
    out.set(tensorBytes(tensors.get(key) as Tensor), headerBytes.length + begin);
  return out;
}

/**
 * Writes a safetensors file (Node). From a WeightStore the header is computed from `info` and tensors are
 * fetched and written one at a time, so a checkpoint larger than memory can be copied; plain iterables are
 * collected first (their tensors exist in memory anyway). The file appears under `path` only when complete.
 */
export async function writeSafetensors(
  path: string,
  entries: SafetensorsEntries,
  metadata?: Record<string, string>,
): Promise<void> {
  let infos: [string, TensorInfo][];
  let fetch: (key: string) => Promise<Tensor>;
  if (isWeightStore(entries)) {
    infos = entries.keys().map((key) => [key, entries.info(key) as TensorInfo]);
    fetch = (key) => entries.get(key);
  } else {
    const tensors = new Map<string, Tensor>();
    for await (const [key, tensor] of entries as AsyncIterable<readonly [string, Tensor]>)
      tensors.set(key, tensor);
    infos = [...tensors].map(([key, t]) => [key, { dtype: t.type, shape: t.dims }]);
    fetch = async (key) => tensors.get(key) as Tensor;
  }
  const { headerBytes, planned } = planLayout(infos, metadata);
  const { open, rename, rm } = await import('node:fs/promises');
  const partial = `${path}.partial-${process.pid}-${Date.now()}`;
  const handle = await open(partial, 'w');
  try {
    const writeAll = async (bytes: Uint8Array) => {
      // A single write may be partial (always above 2 GB on Linux).
      for (let done = 0; done < bytes.length; ) {
        done += (await handle.write(bytes, done, bytes.length - done)).bytesWritten;
      }
    };
    await writeAll(headerBytes);
    for (const { key, info } of planned) {
      const tensor = await fetch(key);
      checkTensor(key, info, tensor);
      await writeAll(tensorBytes(tensor));
    }
    await handle.close();
    await rename(partial, path);
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(partial, { force: true });
    throw error;
  }
}
