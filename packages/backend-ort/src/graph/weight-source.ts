import { CheckpointError, float32ToFloat16, type WeightStore } from '@altclip/core';
import { BYTES_PER_ELEMENT, type ExternalLocation, type PendingWeight } from './onnx-builder.js';

/**
 * How a weight initializer is produced from the checkpoint:
 * `tensor` is the stored tensor in the given float type (referenced in place when it already has it);
 * `int8Columns` / `int8Scales` are the two halves of a symmetric per-output-column int8 quantisation of a
 * Linear weight `[out, in]`, laid out `[in, out]` as DynamicQuantizeMatMul wants its B.
 */
export type WeightSource =
  | { readonly kind: 'tensor'; readonly key: string; readonly type: 'float32' | 'float16' }
  | { readonly kind: 'int8Columns'; readonly key: string }
  | { readonly kind: 'int8Scales'; readonly key: string };

export type GraphWeight = PendingWeight<WeightSource>;

/** A stable identity of a weight source, shared by graph variants that use the same bytes. */
export function sourceId(source: WeightSource): string {
  return source.kind === 'tensor' ? `${source.key}:${source.type}` : `${source.key}:${source.kind}`;
}

/** Where the weights of a graph live once placed. */
export interface PlacedWeights {
  readonly locate: (weight: GraphWeight) => ExternalLocation;
  /** Node: the folder that external data paths are relative to. */
  readonly folder?: string;
  /** Web: the external data files, in memory. */
  readonly files?: readonly { readonly path: string; readonly data: Uint8Array }[];
}

/** The stored tensor can be used byte for byte for this source (same dtype, raw little-endian). */
export function usableInPlace(store: WeightStore, source: WeightSource): boolean {
  return source.kind === 'tensor' && store.info(source.key)?.dtype === source.type;
}

/** Symmetric int8 quantisation of a Linear weight `[out, in]`, one scale per output feature. */
export function quantizeColumns(
  weight: Float32Array,
  out: number,
  inFeatures: number,
): { values: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(out);
  const values = new Int8Array(out * inFeatures);
  for (let o = 0; o < out; o++) {
    let max = 0;
    const row = o * inFeatures;
    for (let i = 0; i < inFeatures; i++) max = Math.max(max, Math.abs(weight[row + i]));
    const scale = max > 0 ? max / 127 : 1;
    scales[o] = scale;
    for (let i = 0; i < inFeatures; i++) values[i * out + o] = Math.round(weight[row + i] / scale);
  }
  return { values, scales };
}

function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/**
 * Produces the bytes of weight sources one at a time, so that converting a large checkpoint holds at most
 * one tensor (plus its conversion) in memory. The last quantisation is remembered because its values and
 * scales are asked for one after the other.
 */
export class WeightBytesProducer {
  readonly #store: WeightStore;
  #lastQuantized?: { key: string; values: Int8Array; scales: Float32Array };

  constructor(store: WeightStore) {
    this.#store = store;
  }

  async bytes(weight: GraphWeight): Promise<Uint8Array> {
    const { source } = weight;
    const expected = weight.dims.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[weight.type];
    const result = await this.#produce(source);
    if (result.byteLength !== expected) {
      throw new CheckpointError(
        source.key,
        `tensor has ${result.byteLength} bytes, the graph needs ${expected} (shape [${weight.dims.join(', ')}] ${weight.type})`,
      );
    }
    return result;
  }

  async #produce(source: WeightSource): Promise<Uint8Array> {
    if (source.kind === 'tensor') {
      const stored = await this.#store.get(source.key);
      if (stored.type === source.type) return bytesOf(stored.data);
      const float32 = await this.#store.getFloat32(source.key);
      if (source.type === 'float32') return bytesOf(float32.data);
      return bytesOf(Uint16Array.from(float32.data, float32ToFloat16));
    }
    if (this.#lastQuantized?.key !== source.key) {
      const weight = await this.#store.getFloat32(source.key);
      const [out, inFeatures] = weight.dims;
      this.#lastQuantized = { key: source.key, ...quantizeColumns(weight.data, out, inFeatures) };
    }
    return bytesOf(source.kind === 'int8Columns' ? this.#lastQuantized.values : this.#lastQuantized.scales);
  }
}

/** Alignment of tensors inside a written weights file (lets onnxruntime map them and SIMD loads stay aligned). */
export const WEIGHT_ALIGNMENT = 64;

/** Web runtimes: every weight in one in-memory external data file. */
export async function placeWeightsInMemory(
  store: WeightStore,
  weights: readonly GraphWeight[],
): Promise<PlacedWeights> {
  const producer = new WeightBytesProducer(store);
  const offsets = new Map<string, ExternalLocation>();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (const weight of weights) {
    const id = sourceId(weight.source);
    if (offsets.has(id)) continue;
    const bytes = (await producer.bytes(weight)).slice();
    size = Math.ceil(size / WEIGHT_ALIGNMENT) * WEIGHT_ALIGNMENT;
    offsets.set(id, { file: 'weights.bin', offset: size, length: bytes.byteLength });
    chunks.push(bytes);
    size += bytes.byteLength;
  }
  const data = new Uint8Array(size);
  let index = 0;
  for (const location of offsets.values()) data.set(chunks[index++], location.offset);
  return {
    locate: (weight) => offsets.get(sourceId(weight.source))!,
    files: [{ path: 'weights.bin', data }],
  };
}
