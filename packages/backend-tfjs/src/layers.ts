import { type Activation, CheckpointError, NotSupportedError } from '@altclip/core';
import { tf } from './runtime.js';

/** The model's parameters by Hugging Face state-dict key. */
export interface ParameterSource {
  get(key: string): tf.Tensor;
}

export class ParameterMap implements ParameterSource {
  readonly variables = new Map<string, tf.Variable>();

  get(key: string): tf.Tensor {
    const value = this.variables.get(key);
    if (!value) throw new CheckpointError('<tfjs model>', `parameter '${key}' was not loaded`);
    return value;
  }
}

/** Whether dropout is active (training mode) and the rates to use. */
export interface DropoutContext {
  readonly training: boolean;
  /** A seed source for tf.dropout, so that runs can be reproduced. */
  nextSeed?: () => number;
}

export function dropout(x: tf.Tensor, rate: number, context: DropoutContext): tf.Tensor {
  if (!context.training || rate <= 0) return x;
  return tf.dropout(x, rate, undefined, context.nextSeed?.());
}

/** `x W + b` for a `[..., in]` input and a weight held as `[in, out]` (see `parameterLayout`). */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const inFeatures = x.shape[x.rank - 1];
  const outShape = [...x.shape.slice(0, -1), weight.shape[1] as number];
  const flat = tf.reshape(x, [-1, inFeatures]) as tf.Tensor2D;
  // The bias goes into the product (XNNPACK adds it in place on wasm). Never with transposeB: tfjs 4.22's
  // wasm kernel then adds the bias at wrong offsets.
  return tf.reshape(tf.fused.matMul({ a: flat, b: weight as tf.Tensor2D, bias }), outShape);
}

export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), -1, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), weight), bias);
}

const SQRT_HALF = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** transformers' ACT2FN, per tower from the config. */
export function activation(x: tf.Tensor, name: Activation): tf.Tensor {
  switch (name) {
    case 'gelu':
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, SQRT_HALF)), 1));
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
      return tf.mul(
        tf.mul(x, 0.5),
        tf.add(tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), SQRT_2_OVER_PI)), 1),
      );
    case 'gelu_fast':
      return tf.mul(
        tf.mul(x, 0.5),
        tf.add(tf.tanh(tf.mul(tf.mul(x, SQRT_2_OVER_PI), tf.add(tf.mul(tf.square(x), 0.044715), 1))), 1),
      );
    case 'quick_gelu':
      return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
    case 'relu':
      return tf.relu(x);
    case 'silu':
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
    case 'tanh':
      return tf.tanh(x);
    default:
      throw new NotSupportedError(`activation '${String(name)}' is not implemented in the tfjs backend`);
  }
}

/** `[B, L, heads*hd]` → `[B, heads, L, hd]` (head h uses features `[h*hd, (h+1)*hd)`). */
export function splitHeads(x: tf.Tensor, heads: number): tf.Tensor4D {
  const [batch, length, width] = x.shape;
  return tf.transpose(tf.reshape(x, [batch, length, heads, width / heads]), [0, 2, 1, 3]) as tf.Tensor4D;
}

export function mergeHeads(x: tf.Tensor): tf.Tensor3D {
  const [batch, heads, length, headDim] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [batch, length, heads * headDim]) as tf.Tensor3D;
}
