import * as tf from '@tensorflow/tfjs';
import { onDevice } from '../src/runtime.js';
tf.env().set('PROD', true);
await onDevice('wasm', async () => {
  const a = tf.randomNormal([257, 257]);
  const bFixed = tf.randomNormal([257, 64]);
  async function t(name: string, f: () => tf.Tensor, n = 32) {
    let r = f(); await r.data(); r.dispose();
    const s = performance.now();
    for (let i = 0; i < n; i++) { r = tf.tidy(f); await r.data(); r.dispose(); }
    console.log(name.padEnd(28), ((performance.now() - s) / n).toFixed(2), 'ms per call');
  }
  await t('2d same b', () => tf.matMul(a, bFixed));
  await t('2d fresh b (clone)', () => tf.matMul(a, tf.clone(bFixed)));
  await t('2d fresh b (add 0)', () => tf.matMul(a, tf.add(bFixed, 0)));
  const a16 = tf.randomNormal([16, 257, 257]);
  const b16 = tf.randomNormal([16, 257, 64]);
  await t('unstack 16', () => tf.stack(tf.unstack(a16)), 2);
  await t('slice 1 of 16', () => tf.slice(a16, [3, 0, 0], [1, 257, 257]));
  await t('bT trick: (b^T a^T)^T', () => tf.transpose(tf.matMul(tf.transpose(bFixed), tf.transpose(a))));
});
process.exit(0);
