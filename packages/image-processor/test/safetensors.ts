// Minimal safetensors reader for the golden files (8-byte LE header length, JSON header, raw little-endian data).
// Test-only: to be replaced by @altclip/core's reader once it lands.
import { readFileSync } from 'node:fs';

export interface GoldenTensor {
  readonly dtype: string;
  readonly shape: number[];
  readonly bytes: Uint8Array;
}

export function readSafetensors(path: string): Record<string, GoldenTensor> {
  const file = new Uint8Array(readFileSync(path));
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + headerLength))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const tensors: Record<string, GoldenTensor> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = entry.data_offsets;
    tensors[name] = { dtype: entry.dtype, shape: entry.shape, bytes: file.slice(8 + headerLength + begin, 8 + headerLength + end) };
  }
  return tensors;
}

export function asFloat32(tensor: GoldenTensor): Float32Array {
  if (tensor.dtype !== 'F32') throw new Error(`expected F32, got ${tensor.dtype}`);
  return new Float32Array(tensor.bytes.buffer, tensor.bytes.byteOffset, tensor.bytes.byteLength / 4);
}
