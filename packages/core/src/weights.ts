import type { Tensor, TensorType } from './tensor.js';

/** Dtype and shape of one stored tensor. */
export interface TensorInfo {
  readonly dtype: TensorType;
  readonly shape: readonly number[];
}

/** Where a tensor's raw little-endian bytes sit inside a file on disk (safetensors), for zero-copy use. */
export interface TensorLocation {
  readonly path: string;
  readonly offset: number;
  readonly length: number;
}

/**
 * Read access to a checkpoint's tensors by Hugging Face key name.
 * Implementations read lazily: `get` loads one tensor, never the whole file.
 */
export interface WeightStore {
  keys(): string[];
  info(key: string): TensorInfo | undefined;
  /** The tensor in its stored dtype. Throws CheckpointError for a missing key. */
  get(key: string): Promise<Tensor>;
  /** The tensor as float32 (float16 / bfloat16 widened). */
  getFloat32(key: string): Promise<Tensor<'float32'>>;
  /** The file range of a tensor's bytes, when it is stored uncompressed in a file on disk. */
  location(key: string): TensorLocation | undefined;
  /** Releases file handles. */
  close(): Promise<void>;
}
