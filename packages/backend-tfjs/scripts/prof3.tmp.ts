import * as tf from '@tensorflow/tfjs';
import { onDevice } from '../src/runtime.js';
tf.env().set('PROD', true);
await onDevice('wasm', async () => {
  const q = tf.randomNormal([257, 1024]);
  const probs = tf.randomNormal([257, 257]);
  async function t(name: string, f: () => tf.Tensor, n = 8) {
    const run = async () => { const r = tf.tidy(f); await r.data(); r.dispose(); };
    await run();
    const s = performance.now();
    for (let i = 0; i < n; i++) await run();
    console.log(name.padEnd(36), ((performance.now() - s) / n).toFixed(2), 'ms');
  }
  await t('column slice [257,64] of [257,1024]', () => tf.slice(q, [0, 128], [257, 64]));
  await t('16 column slices + concat', () => tf.concat(Array.from({ length: 16 }, (_, h) => tf.slice(q, [0, h * 64], [257, 64])), 1));
  await t('one head: scores+softmax+ctx', () => {
    const qh = tf.slice(q, [0, 128], [257, 64]);
    const kh = tf.transpose(tf.slice(q, [0, 192], [257, 64]));
    const vh = tf.slice(q, [0, 256], [257, 64]);
    return tf.matMul(tf.softmax(tf.matMul(qh, kh)), vh);
  });
  await t('16 heads, concat', () => tf.concat(Array.from({ length: 16 }, (_, h) => {
    const qh = tf.slice(q, [0, h * 64], [257, 64]);
    const kh = tf.transpose(tf.slice(q, [0, h * 64], [257, 64]));
    const vh = tf.slice(q, [0, h * 64], [257, 64]);
    return tf.matMul(tf.softmax(tf.matMul(qh, kh)), vh);
  }), 1));
});
process.exit(0);
