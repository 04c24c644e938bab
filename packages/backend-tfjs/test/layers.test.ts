import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { bicubicMatrix } from '../src/index.js';
import { batchMatMul, linear } from '../src/layers.js';
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
  it('batchMatMul, on the per-entry 2-D path for large products', async () => {
    const a = Float32Array.from({ length: 2 * 3 * 64 * 72 }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: 2 * 3 * 72 * 64 }, (_, i) => Math.cos(i * 0.7));
    const [cpu, wasm] = await onBoth(() =>
      batchMatMul(tf.tensor(a, [2, 3, 64, 72]), tf.tensor(b, [2, 3, 72, 64])),
    );
    expect(cpu.length).toBe(2 * 3 * 64 * 64);
    expect(maxDifference(cpu, wasm)).toBeLessThan(1e-4);
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

describe('bicubicMatrix (PyTorch bicubic, align_corners=False, A = -0.75)', () => {
  it('is the identity at equal sizes and its rows sum to 1', () => {
    const identity = bicubicMatrix(5, 5);
    for (let r = 0; r < 5; r++)
      for (let c = 0; c < 5; c++) expect(identity[r * 5 + c]).toBeCloseTo(r === c ? 1 : 0, 6);
    const up = bicubicMatrix(5, 7);
    for (let r = 0; r < 7; r++) {
      let sum = 0;
      for (let c = 0; c < 5; c++) sum += up[r * 5 + c];
      expect(sum).toBeCloseTo(1, 6);
    }
  });

  it('uses the half-pixel source coordinate and clamps the taps', () => {
    // 5 -> 7, output 0: src = (5/7)(0.5) - 0.5 = -0.142857, i = -1, t = 0.857143; taps -2..1 clamp to
    // 0, 0, 0, 1, so column 1 gets w(2) = far(2 - t) and column 0 the rest.
    const t = 5 / 7 / 2 - 0.5 + 1;
    const A = -0.75;
    const w4 = ((A * (2 - t) - 5 * A) * (2 - t) + 8 * A) * (2 - t) - 4 * A;
    const row = bicubicMatrix(5, 7).slice(0, 5);
    expect(row[1]).toBeCloseTo(w4, 6);
    expect(row[0]).toBeCloseTo(1 - w4, 6);
    expect(row.slice(2).every((v) => v === 0)).toBe(true);
  });
});
