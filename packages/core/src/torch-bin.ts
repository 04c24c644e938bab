import { unzipSync } from 'fflate';
import { CheckpointError } from './errors.js';
import { type TorchTensorRef, unpickleStateDict } from './pickle.js';
import { Tensor, type TensorType, TYPED_ARRAYS, toFloat32 } from './tensor.js';
import type { TensorInfo, TensorLocation, WeightStore } from './weights.js';

export { UnsafePickleError } from './pickle.js';

/** Random access to the entries of a zip archive. */
interface ZipSource {
  readonly name: string;
  readonly entryNames: readonly string[];
  /** The whole (decompressed) entry. */
  readEntry(entry: string): Promise<Uint8Array>;
  /** A byte range of the decompressed entry. */
  readRange(entry: string, start: number, length: number): Promise<Uint8Array>;
  entrySize(entry: string): number;
  /** Absolute file offset of an uncompressed entry's bytes, for files on disk. */
  dataOffset(entry: string): number | undefined;
  close(): Promise<void>;
}

const TENSOR_TYPES: Readonly<Record<string, TensorType>> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F64: 'float32',
  I64: 'int64',
  I32: 'int32',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

interface BinEntry {
  readonly ref: TorchTensorRef;
  readonly info: TensorInfo;
  readonly entry: string;
  /** Whether the elements are stored densely in row-major order from the storage offset. */
  readonly contiguous: boolean;
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  if (shape.includes(0)) return true;
  let expected = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    // The stride of a size-1 axis never matters.
    if (shape[axis] !== 1 && stride[axis] !== expected) return false;
    expected *= shape[axis];
  }
  return true;
}

/**
 * A PyTorch `torch.save(state_dict)` checkpoint (`pytorch_model.bin`, zip format). The pickle is read with a
 * restricted unpickler (tensors, storages and OrderedDicts only); storages are read when a tensor is asked
 * for. Legacy (pre-1.6, non-zip) checkpoints are not supported.
 */
export class TorchBinStore implements WeightStore {
  readonly name: string;
  readonly #zip: ZipSource;
  readonly #entries: Map<string, BinEntry>;
  #closed = false;

  private constructor(zip: ZipSource, entries: Map<string, BinEntry>) {
    this.name = zip.name;
    this.#zip = zip;
    this.#entries = entries;
  }

  /** Reads `data.pkl` and checks every tensor against the storage entries it points into. */
  static async fromZip(zip: ZipSource): Promise<TorchBinStore> {
    const name = zip.name;
    const pickles = zip.entryNames.filter((entry) => entry === 'data.pkl' || entry.endsWith('/data.pkl'));
    if (pickles.length !== 1) {
      throw new CheckpointError(
        name,
        `expected exactly one data.pkl in the zip, found ${pickles.length}: not a torch.save checkpoint`,
      );
    }
    // The prefix is the file stem at save time and differs between writers ('archive/', 'pytorch_model/').
    const prefix = pickles[0].slice(0, -'data.pkl'.length);
    const refs = unpickleStateDict(name, await zip.readEntry(pickles[0]));
    const entries = new Map<string, BinEntry>();
    for (const [key, ref] of refs) {
      const { storage } = ref;
      const type = TENSOR_TYPES[storage.type.dtype];
      if (!type)
        throw new CheckpointError(name, `tensor '${key}': ${storage.type.className} is not supported`);
      const entry = `${prefix}data/${storage.key}`;
      if (!zip.entryNames.includes(entry)) {
        throw new CheckpointError(name, `tensor '${key}': storage entry '${entry}' is missing from the zip`);
      }
      if (zip.entrySize(entry) !== storage.numel * storage.type.bytes) {
        throw new CheckpointError(
          name,
          `tensor '${key}': storage '${entry}' has ${zip.entrySize(entry)} bytes, expected ${storage.numel} × ${storage.type.bytes}`,
        );
      }
      const numel = ref.shape.reduce((a, b) => a * b, 1);
      const lastIndex = ref.shape.reduce(
        (sum, dim, axis) => sum + (dim - 1) * ref.stride[axis],
        ref.storageOffset,
      );
      if (numel > 0 && lastIndex >= storage.numel) {
        throw new CheckpointError(
          name,
          `tensor '${key}': size [${ref.shape}] with stride [${ref.stride}] at offset ${ref.storageOffset} runs past its storage of ${storage.numel} elements`,
        );
      }
      entries.set(key, {
        ref,
        info: { dtype: type, shape: ref.shape },
        entry,
        contiguous: isContiguous(ref.shape, ref.stride),
      });
    }
    return new TorchBinStore(zip, entries);
  }

  keys(): string[] {
    return [...this.#entries.keys()];
  }

  info(key: string): TensorInfo | undefined {
    return this.#entries.get(key)?.info;
  }

  async get(key: string): Promise<Tensor> {
    const entry = this.#entries.get(key);
    if (!entry) throw new CheckpointError(this.name, `no tensor '${key}' in the checkpoint`);
    if (this.#closed) throw new CheckpointError(this.name, `store is closed (reading '${key}')`);
    const { ref, info } = entry;
    const elementBytes = ref.storage.type.bytes;
    const numel = ref.shape.reduce((a, b) => a * b, 1);
    const buffer = new ArrayBuffer(numel * elementBytes);
    const out = new Uint8Array(buffer);
    if (numel > 0) {
      const span =
        ref.shape.reduce((sum, dim, axis) => sum + (dim - 1) * ref.stride[axis], 0) * elementBytes +
        elementBytes;
      const bytes = await this.#zip.readRange(entry.entry, ref.storageOffset * elementBytes, span);
      if (entry.contiguous) out.set(bytes.subarray(0, out.length));
      else gatherStrided(bytes, out, ref.shape, ref.stride, elementBytes);
    }
    if (ref.storage.type.dtype === 'F64') {
      return new Tensor('float32', Float32Array.from(new Float64Array(buffer)), info.shape);
    }
    return new Tensor(info.dtype, new TYPED_ARRAYS[info.dtype](buffer), info.shape);
  }

  async getFloat32(key: string): Promise<Tensor<'float32'>> {
    return toFloat32(await this.get(key));
  }

  location(key: string): TensorLocation | undefined {
    const entry = this.#entries.get(key);
    if (!entry?.contiguous || entry.ref.storage.type.dtype === 'F64') return undefined;
    const start = this.#zip.dataOffset(entry.entry);
    if (start === undefined) return undefined;
    const elementBytes = entry.ref.storage.type.bytes;
    return {
      path: this.name,
      offset: start + entry.ref.storageOffset * elementBytes,
      length: entry.info.shape.reduce((a, b) => a * b, 1) * elementBytes,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#zip.close();
  }
}

/** Copies a strided view (`bytes` starts at its first element) into dense row-major order. */
function gatherStrided(
  bytes: Uint8Array,
  out: Uint8Array,
  shape: readonly number[],
  stride: readonly number[],
  elementBytes: number,
): void {
  const index = new Array(shape.length).fill(0);
  const numel = out.length / elementBytes;
  for (let i = 0; i < numel; i++) {
    let source = 0;
    for (let axis = 0; axis < shape.length; axis++) source += index[axis] * stride[axis];
    out.set(bytes.subarray(source * elementBytes, (source + 1) * elementBytes), i * elementBytes);
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      if (++index[axis] < shape[axis]) break;
      index[axis] = 0;
    }
  }
}

function zipError(name: string, error: unknown): CheckpointError {
  if (error instanceof CheckpointError) return error;
  return new CheckpointError(name, `not a readable zip archive (${(error as Error)?.message ?? error})`, {
    cause: error,
  });
}

/** A zip in memory, read with fflate: each read extracts just the one entry. */
function bufferZip(bytes: Uint8Array, name: string): ZipSource {
  const sizes = new Map<string, number>();
  try {
    unzipSync(bytes, {
      filter: (file) => {
        sizes.set(file.name, file.originalSize);
        return false;
      },
    });
  } catch (error) {
    throw zipError(name, error);
  }
  const readEntry = async (entry: string) => {
    try {
      const out = unzipSync(bytes, { filter: (file) => file.name === entry })[entry];
      if (!out) throw new Error(`entry '${entry}' is missing`);
      return out;
    } catch (error) {
      throw zipError(name, error);
    }
  };
  return {
    name,
    entryNames: [...sizes.keys()],
    readEntry,
    readRange: async (entry, start, length) => (await readEntry(entry)).subarray(start, start + length),
    entrySize: (entry) => sizes.get(entry) ?? 0,
    dataOffset: () => undefined,
    close: async () => {},
  };
}

/** A zip on disk, read with yauzl: the central directory on open, then only the byte ranges asked for. */
async function fileZip(path: string): Promise<ZipSource> {
  const yauzl = await import('yauzl');
  const { open } = await import('node:fs/promises');
  let zip: import('yauzl').ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false });
  } catch (error) {
    throw zipError(path, error);
  }
  const handle = await open(path, 'r');
  try {
    const entries = new Map<string, import('yauzl').Entry>();
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: import('yauzl').Entry) => {
        entries.set(entry.fileName, entry);
        zip.readEntry();
      });
      zip.on('end', resolve);
      zip.on('error', reject);
      zip.readEntry();
    });
    // Uncompressed entries (torch.save writes only those) are read in place from the file.
    const offsets = new Map<string, number>();
    const { size } = await handle.stat();
    for (const [entryName, entry] of entries) {
      if (entry.compressionMethod === 0 && !entryName.endsWith('/')) {
        const { fileDataStart } = await zip.readLocalFileHeaderPromise(entry, { minimal: true });
        if (fileDataStart + entry.uncompressedSize > size) {
          throw new CheckpointError(
            path,
            `zip entry '${entryName}' runs past the end of the file: truncated`,
          );
        }
        offsets.set(entryName, fileDataStart);
      }
    }
    const readAt = async (position: number, length: number) => {
      const out = new Uint8Array(length);
      for (let done = 0; done < length; ) {
        const { bytesRead } = await handle.read(out, done, length - done, position + done);
        if (bytesRead === 0)
          throw new CheckpointError(path, `file ended at byte ${position + done}: truncated`);
        done += bytesRead;
      }
      return out;
    };
    const readCompressed = async (entryName: string) => {
      const entry = entries.get(entryName);
      if (!entry) throw new CheckpointError(path, `zip entry '${entryName}' is missing`);
      const stream = await zip.openReadStreamPromise(entry);
      const chunks: Uint8Array[] = [];
      for await (const chunk of stream) chunks.push(chunk as Uint8Array);
      return new Uint8Array(Buffer.concat(chunks));
    };
    const readRange = async (entryName: string, start: number, length: number) => {
      const offset = offsets.get(entryName);
      try {
        if (offset !== undefined) return await readAt(offset + start, length);
        return (await readCompressed(entryName)).subarray(start, start + length);
      } catch (error) {
        throw zipError(path, error);
      }
    };
    return {
      name: path,
      entryNames: [...entries.keys()],
      readEntry: (entryName) => readRange(entryName, 0, entries.get(entryName)?.uncompressedSize ?? 0),
      readRange,
      entrySize: (entryName) => entries.get(entryName)?.uncompressedSize ?? 0,
      dataOffset: (entryName) => offsets.get(entryName),
      close: async () => {
        zip.close();
        await handle.close();
      },
    };
  } catch (error) {
    zip.close();
    await handle.close();
    throw zipError(path, error);
  }
}

/** Opens a `pytorch_model.bin` on disk (Node): reads the zip directory and the pickle, tensors on demand. */
export async function openTorchBin(path: string): Promise<TorchBinStore> {
  const zip = await fileZip(path);
  try {
    return await TorchBinStore.fromZip(zip);
  } catch (error) {
    await zip.close();
    throw error;
  }
}

/** A `pytorch_model.bin` held in memory (browsers). */
export async function readTorchBin(
  bytes: ArrayBuffer | Uint8Array,
  name = '<buffer>',
): Promise<TorchBinStore> {
  return TorchBinStore.fromZip(bufferZip(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), name));
}
