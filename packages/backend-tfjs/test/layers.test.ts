import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { attention } from '../src/attention.js';
import { linear } from '../src/layers.js';
import { onDevice } from '../src/runtime.js';

tf.env().set('PROD', true);

async function onBoth(work: () => tf.Tensor): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const device of ['cpu', 'wasm'] as const) {
    out.push(
      await onDevice(device, async () => {
        const t = tf.tidy(work);
        const data = (await t.data()) as Float32Array;
        t.dispose();
        return data;
      }),
    );
  }
  return out;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('layers on wasm agree with cpu', () => {
  it('attention with a key mask, on the per-head 2-D path wasm takes for long sequences', async () => {
    // 2 sequences of 72 tokens, 3 heads of 64: 72 * 72 * 64 >= 2^18 selects the per-head path on wasm.
    const [batch, length, heads, headDim] = [2, 72, 3, 64];
    const width = heads * headDim;
    const values = (seed: number) =>
      Float32Array.from({ length: batch * length * width }, (_, i) => Math.sin(i * seed) * 2);
    const maskValues = Float32Array.from({ length: batch * length }, (_, i) =>
      i >= length + 60 ? -3.4028234663852886e38 : 0,
    );
    const run = (part: 'context' | 'probs') => () => {
      const shape: [number, number, number] = [batch, length, width];
      const mask = tf.tensor(maskValues, [batch, 1, 1, length]);
      const result = attention(
        tf.tensor(values(0.37), shape),
        tf.tensor(values(0.11), shape),
        tf.tensor(values(0.53), shape),
        heads,
        mask,
        0,
        { training: false },
      );
      return part === 'context' ? result.context : result.probs();
    };
    const [cpuContext, wasmContext] = await onBoth(run('context'));
    expect(maxDifference(cpuContext, wasmContext)).toBeLessThan(1e-4);
    const [cpuProbs, wasmProbs] = await onBoth(run('probs'));
    expect(cpuProbs.length).toBe(batch * heads * length * length);
    expect(maxDifference(cpuProbs, wasmProbs)).toBeLessThan(1e-5);
    // Masked keys of the second sequence get exactly 0.
    expect(wasmProbs[(1 * heads + 2) * length * length + 5 * length + 65]).toBe(0);
  });

  it("gradients through the per-head path (blocks gathered, padded back) equal cpu's", async () => {
    const [batch, length, heads, headDim] = [2, 72, 3, 64];
    const shape: [number, number, number] = [batch, length, heads * headDim];
    const values = (seed: number) =>
      tf.tensor(
        Float32Array.from({ length: batch * length * heads * headDim }, (_, i) => Math.sin(i * seed)),
        shape,
      );
    const [cpu, wasm] = await onBoth(() => {
      const weights = values(0.71);
      const grads = tf.grads((q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) =>
        tf.sum(tf.mul(attention(q, k, v, heads, undefined, 0, { training: false }).context, weights)),
      )([values(0.37), values(0.11), values(0.53)]);
      return tf.concat(grads.map((g) => tf.reshape(g, [-1])));
    });
    expect(cpu.length).toBe(3 * batch * length * heads * headDim);
    expect(maxDifference(cpu, wasm)).toBeLessThan(1e-4);
    expect(Math.max(...cpu.map(Math.abs))).toBeGreaterThan(1e-2);
  });

  it('linear with bias (the bias lands on the right outputs)', async () => {
    const x = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => Math.sin(i));
    const w = Float32Array.from({ length: 4 * 5 }, (_, i) => Math.cos(i));
    const bias = Float32Array.from([1, 2, 3, 4, 5]);
    const [cpu, wasm] = await onBoth(() =>
      linear(tf.tensor(x, [2, 3, 4]), tf.tensor(w, [4, 5]), tf.tensor(bias)),
    );
    // Row 1, column 0 of x @ W + b computed by hand.
    let expected = bias[0];
    for (let k = 0; k < 4; k++) expected += x[4 + k] * w[k * 5];
    expect(cpu[5]).toBeCloseTo(expected, 5);
    expect(maxDifference(cpu, wasm)).toBeLessThan(1e-5);
  });
});
