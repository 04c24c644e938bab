/**
 * How a parameter is held on the device. Linear weights are kept as `[in, out]` and the patch kernel as
 * `[C*P*P, D]` so that every product is a plain `x @ W`: the wasm backend runs matMul with `transposeB`
 * (and batched matMul) on a slow generic path, ten times slower than XNNPACK's plain 2-D product.
 * Checkpoints and exports use the Hugging Face layout.
 */
export type ParameterLayout = 'transposed' | 'patch' | 'plain';

export function parameterLayout(key: string, hfShape: readonly number[]): ParameterLayout {
  if (hfShape.length === 4) return 'patch';
  if (hfShape.length === 2 && key.endsWith('.weight') && !key.includes('embedding')) return 'transposed';
  return 'plain';
}
