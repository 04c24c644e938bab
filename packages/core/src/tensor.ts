import { InputError } from './errors.js';

/** Element types, named as onnxruntime names them. */
export type TensorType = 'float32' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

export interface TensorDataTypeMap {
  float32: Float32Array;
  /** IEEE half floats as raw bits (onnxruntime-web's convention). */
  float16: Uint16Array;
  /** bfloat16 as raw bits. */
  bfloat16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  int8: Int8Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

export type TensorData = TensorDataTypeMap[TensorType];

/** The typed array behind each tensor type, as a constructor over raw bytes. */
export interface TypedArrayConstructor<K extends TensorType> {
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): TensorDataTypeMap[K];
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
}

export const TYPED_ARRAYS: { readonly [K in TensorType]: TypedArrayConstructor<K> } = {
  float32: Float32Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/**
 * A dense row-major tensor: `new Tensor(type, data, dims)`, like onnxruntime's.
 * The data array is held, not copied, so conversion to and from ort / tfjs tensors can share the buffer.
 */
export class Tensor<T extends TensorType = TensorType> {
  readonly type: T;
  readonly data: TensorDataTypeMap[T];
  readonly dims: readonly number[];

  constructor(
    type: T,
    data: TensorDataTypeMap[T] | readonly number[] | readonly bigint[],
    dims?: readonly number[],
  ) {
    const ArrayType = TYPED_ARRAYS[type] as unknown as {
      new (values: ArrayLike<number> | ArrayLike<bigint>): TensorDataTypeMap[T];
      name: string;
    };
    if (!ArrayType) throw new InputError(`unknown tensor type '${String(type)}'`);
    let array: TensorDataTypeMap[T];
    if (Array.isArray(data)) {
      array =
        type === 'int64'
          ? (BigInt64Array.from(data as readonly (number | bigint)[], (v) =>
              BigInt(v),
            ) as TensorDataTypeMap[T])
          : new ArrayType(data as number[]);
    } else {
      if ((data as { constructor: { name: string } }).constructor.name !== ArrayType.name) {
        throw new InputError(
          `a '${type}' tensor needs a ${ArrayType.name}, got ${(data as { constructor: { name: string } }).constructor.name}`,
        );
      }
      array = data as TensorDataTypeMap[T];
    }
    const shape = dims ?? [array.length];
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new InputError(`invalid tensor dims [${shape.join(', ')}]`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== array.length) {
      throw new InputError(
        `tensor dims [${shape.join(', ')}] need ${size} elements, data has ${array.length}`,
      );
    }
    this.type = type;
    this.data = array;
    this.dims = Object.freeze([...shape]);
  }

  get size(): number {
    return this.data.length;
  }

  /** A view with other dims over the same data. */
  reshape(dims: readonly number[]): Tensor<T> {
    return new Tensor(this.type, this.data, dims);
  }

  /** Nested plain arrays (numbers; int64 values converted with Number()). */
  tolist(): unknown {
    const values = Array.from(this.data as ArrayLike<number | bigint>, (v) => Number(v));
    const build = (offset: number, axis: number): unknown => {
      if (axis === this.dims.length) return values[offset];
      const stride = this.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.dims[axis] }, (_, i) => build(offset + i * stride, axis + 1));
    };
    return build(0, 0);
  }

  /** Rows of a 2-D tensor as number arrays. */
  to2d(): number[][] {
    if (this.dims.length !== 2)
      throw new InputError(`to2d needs a 2-D tensor, dims are [${this.dims.join(', ')}]`);
    return this.tolist() as number[][];
  }
}

export function bytesPerElement(type: TensorType): number {
  return TYPED_ARRAYS[type].BYTES_PER_ELEMENT;
}

/** An int64 `[rows, cols]` tensor from plain id arrays, which must all have the same length. */
export function int64From2d(rows: readonly (readonly number[])[], what = 'ids'): Tensor<'int64'> {
  const cols = rows[0]?.length ?? 0;
  const data = new BigInt64Array(rows.length * cols);
  rows.forEach((row, r) => {
    if (row.length !== cols) {
      throw new InputError(
        `${what}: row ${r} has ${row.length} entries, row 0 has ${cols}; pad the batch first`,
      );
    }
    row.forEach((v, c) => {
      if (!Number.isInteger(v))
        throw new InputError(`${what}: row ${r}, column ${c} is ${v}, not an integer`);
      data[r * cols + c] = BigInt(v);
    });
  });
  return new Tensor('int64', data, [rows.length, cols]);
}

/** IEEE 754 half (raw bits) to float. */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Float to IEEE 754 half (raw bits), rounding to nearest even. */
export function float32ToFloat16(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let result = mant >> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && result & 1)) result += 1;
    return sign | result;
  }
  let result = (e << 10) | (mant >> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && result & 1)) result += 1;
  e = result;
  return sign | e;
}

/** bfloat16 (raw bits) to float. */
export function bfloat16ToFloat32(bits: number): number {
  u32[0] = bits << 16;
  return f32[0];
}

/** A float32 copy of any floating tensor (float16 / bfloat16 widened); float32 input is returned as is. */
export function toFloat32(tensor: Tensor): Tensor<'float32'> {
  if (tensor.type === 'float32') return tensor as Tensor<'float32'>;
  const out = new Float32Array(tensor.size);
  const src = tensor.data as ArrayLike<number | bigint>;
  const widen =
    tensor.type === 'float16' ? float16ToFloat32 : tensor.type === 'bfloat16' ? bfloat16ToFloat32 : Number;
  for (let i = 0; i < out.length; i++) out[i] = widen(src[i] as number);
  return new Tensor('float32', out, tensor.dims);
}
