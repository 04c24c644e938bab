// Golden files through @altclip/core's safetensors reader, as plain byte arrays for easy comparison.
import { readFileSync } from 'node:fs';
import { readSafetensors } from '@altclip/core';

export interface GoldenTensor {
  readonly dtype: string;
  readonly shape: number[];
  /** The raw little-endian bytes (uint8 pixels as they are). */
  readonly bytes: Uint8Array;
}

export async function readGolden(path: string): Promise<Record<string, GoldenTensor>> {
  const store = readSafetensors(new Uint8Array(readFileSync(path)), path);
  const tensors: Record<string, GoldenTensor> = {};
  for (const key of store.keys()) {
    const tensor = await store.get(key);
    const data = tensor.data as Uint8Array | Float32Array;
    tensors[key] = {
      dtype: store.storedDtype(key) ?? tensor.type,
      shape: [...tensor.dims],
      bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
  }
  return tensors;
}

export function asFloat32(tensor: GoldenTensor): Float32Array {
  if (tensor.dtype !== 'F32') throw new Error(`expected F32, got ${tensor.dtype}`);
  return new Float32Array(tensor.bytes.buffer, tensor.bytes.byteOffset, tensor.bytes.byteLength / 4);
}
