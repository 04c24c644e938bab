// Run by wasm-node.test.ts in a child process: uses the threaded wasm build and must then exit by itself.
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { onDevice, tf } from '../src/runtime.js';

const sum = await onDevice('wasm', async () => {
  const a = tf.ones([256, 256]);
  const product = tf.matMul(a, a);
  const value = (await product.sum().data())[0];
  tf.dispose([a, product]);
  return value;
});
console.log(JSON.stringify({ threads: getThreadsCount(), sum }));
