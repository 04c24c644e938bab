import { type FileHandle, open } from 'node:fs/promises';
import { CliError, ExitCode } from './exit-codes.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** Header block size (magic + version + length + dict): fixed, so the row count can be patched in place. */
const HEADER_BYTES = 128;

function headerText(rows: number, width: number, size: number): string {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${width}), }`;
  // NPY 1.0: the dict is padded with spaces and ends in '\n' so that the data starts on a 64-byte boundary.
  return `${dict.padEnd(size - 10 - 1, ' ')}\n`;
}

function headerBytes(rows: number, width: number, size = HEADER_BYTES): Uint8Array {
  const text = headerText(rows, width, size);
  const bytes = new Uint8Array(size);
  bytes.set(MAGIC, 0);
  bytes[6] = 1; // version 1.0
  bytes[7] = 0;
  new DataView(bytes.buffer).setUint16(8, text.length, true);
  bytes.set(new TextEncoder().encode(text), 10);
  return bytes;
}

/** Parses a float32 C-order 2-D NPY header; undefined when the file is not one. */
export function parseNpyHeader(
  bytes: Uint8Array,
): { rows: number; width: number; dataOffset: number } | undefined {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b) || bytes[6] !== 1) return undefined;
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint16(8, true);
  if (bytes.length < 10 + length) return undefined;
  const text = new TextDecoder().decode(bytes.subarray(10, 10 + length));
  const match = /'descr':\s*'<f4',\s*'fortran_order':\s*False,\s*'shape':\s*\((\d+),\s*(\d+)\)/.exec(text);
  if (!match) return undefined;
  return { rows: Number(match[1]), width: Number(match[2]), dataOffset: 10 + length };
}

/**
 * A float32 `[rows, width]` .npy file written row batch by row batch. The header is rewritten after every batch,
 * so the file is a valid .npy of the rows written so far at any moment (an interrupted run leaves a loadable file).
 */
export class NpyWriter {
  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    readonly width: number,
    private readonly dataOffset: number,
    private count: number,
  ) {}

  get rows(): number {
    return this.count;
  }

  static async create(path: string, width: number): Promise<NpyWriter> {
    const handle = await open(path, 'w+');
    await handle.write(headerBytes(0, width));
    return new NpyWriter(handle, path, width, HEADER_BYTES, 0);
  }

  /**
   * Reopens a file written by an interrupted run: keeps the rows that are complete and counted in the header
   * (at most `keepAtMost`), cuts the rest. Undefined when the file does not exist.
   */
  static async resume(path: string, width: number, keepAtMost: number): Promise<NpyWriter | undefined> {
    const handle = await open(path, 'r+').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!handle) return undefined;
    const head = new Uint8Array(HEADER_BYTES);
    const { bytesRead } = await handle.read(head, 0, HEADER_BYTES, 0);
    const header = parseNpyHeader(head.subarray(0, bytesRead));
    if (!header || header.dataOffset !== HEADER_BYTES) {
      await handle.close();
      throw new CliError(
        ExitCode.output,
        'output_conflict',
        `${path} is not an .npy file written by altclip embed; remove it or pass --overwrite`,
      );
    }
    if (header.width !== width) {
      await handle.close();
      throw new CliError(
        ExitCode.output,
        'output_conflict',
        `${path} holds ${header.width}-wide rows but this model gives ${width}; remove it or pass --overwrite`,
      );
    }
    const { size } = await handle.stat();
    const complete = Math.floor((size - header.dataOffset) / (4 * width));
    const rows = Math.min(header.rows, complete, keepAtMost);
    await handle.truncate(header.dataOffset + rows * 4 * width);
    await handle.write(headerBytes(rows, width), 0, HEADER_BYTES, 0);
    return new NpyWriter(handle, path, width, header.dataOffset, rows);
  }

  async append(rows: readonly Float32Array[]): Promise<void> {
    const block = new Float32Array(rows.length * this.width);
    rows.forEach((row, i) => {
      block.set(row, i * this.width);
    });
    const bytes = new Uint8Array(block.buffer);
    // Float32Array is platform-endian; NPY '<f4' is little-endian, as is every platform Node runs on.
    await writeAll(this.handle, bytes, this.dataOffset + this.count * 4 * this.width);
    this.count += rows.length;
    await writeAll(this.handle, headerBytes(this.count, this.width), 0);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let written = 0; written < bytes.length; ) {
    written += (await handle.write(bytes, written, bytes.length - written, position + written)).bytesWritten;
  }
}
