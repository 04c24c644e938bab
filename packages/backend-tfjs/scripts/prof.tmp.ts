import * as tf from '@tensorflow/tfjs';
import { batchMatMul, layerNorm, linear, activation, splitHeads, mergeHeads } from '../src/layers.js';
import { onDevice } from '../src/runtime.js';
tf.env().set('PROD', true);
await onDevice('wasm', async () => {
  const x = tf.randomNormal([1, 257, 1024]);
  const w = tf.variable(tf.randomNormal([1024, 1024])); const b = tf.variable(tf.randomNormal([1024]));
  const w1 = tf.variable(tf.randomNormal([1024, 4096])); const b1 = tf.variable(tf.randomNormal([4096]));
  const w2 = tf.variable(tf.randomNormal([4096, 1024])); const b2 = tf.variable(tf.randomNormal([1024]));
  const g = tf.ones([1024]); const z = tf.zeros([1024]);
  const h4 = tf.randomNormal([1, 257, 4096]);
  async function t(name: string, f: () => tf.Tensor, flops = 0, n = 5) {
    let r = f(); await r.data(); r.dispose();
    const s = performance.now();
    for (let i = 0; i < n; i++) { r = tf.tidy(f); await r.data(); r.dispose(); }
    const ms = (performance.now() - s) / n;
    console.log(name.padEnd(20), ms.toFixed(1).padStart(7), 'ms', flops ? `${(flops / ms / 1e6).toFixed(1)} GFLOP/s` : '');
  }
  await t('layerNorm', () => layerNorm(x, g, z, 1e-5));
  await t('linear 1024', () => linear(x, w, b), 2 * 257 * 1024 * 1024);
  await t('fc1', () => linear(x, w1, b1), 2 * 257 * 1024 * 4096);
  await t('fc2', () => linear(h4, w2, b2), 2 * 257 * 1024 * 4096);
  await t('quick_gelu', () => activation(h4, 'quick_gelu'));
  const q = splitHeads(x, 16);
  await t('splitHeads', () => splitHeads(x, 16));
  await t('keysT', () => tf.transpose(q, [0, 1, 3, 2]));
  const kT = tf.transpose(q, [0, 1, 3, 2]);
  await t('scores', () => batchMatMul(q, kT), 2 * 16 * 257 * 257 * 64);
  const sc = batchMatMul(q, kT);
  await t('softmax', () => tf.softmax(sc));
  await t('ctx', () => batchMatMul(sc, q), 2 * 16 * 257 * 257 * 64);
  await t('mergeHeads', () => mergeHeads(q));
  await t('add residual', () => tf.add(x, x));
});
process.exit(0);
