/** Per-operator time of one tower of the full-size model (onnxruntime profiling), for tuning. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromJSON, openSafetensors } from '@altclip/core';
import { type GraphModel, ortNodeBackend } from '../src/index.js';

const [graph = 'fused', batchArg = '1', dtype = 'fp32', dir = '/tmp/altclip-large'] = process.argv.slice(2);
const batch = Number(batchArg);
const config = configFromJSON(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
const weights = await openSafetensors(join(dir, 'model.safetensors'));
await ortNodeBackend.init();
const ort = ortNodeBackend.runtime.ort;
const model = (await ortNodeBackend.loadModel({
  config,
  weights,
  towers: { text: false, vision: true, withProjection: false },
  device: 'cpu',
  dtype: dtype as 'fp32',
  backendOptions: {
    graph: graph.split('+')[0],
    packedAttention: graph.includes('+packed') ? true : graph.includes('+mha') ? false : undefined,
    skipLayerNorm: graph.includes('+skip'),
  },
  cacheDir: join(dir, 'cache'),
})) as GraphModel;
const { model: bytes, placed } = await model.buildGraph('vision');
const session = await ort.InferenceSession.create(bytes, {
  graphOptimizationLevel: 'all',
  enableProfiling: true,
  profileFilePrefix: '/tmp/altclip-profile',
  intraOpNumThreads: 2,
  extra: {
    session: {
      model_external_initializers_file_folder_path: placed.folder!,
      'intra_op.allow_spinning': process.env.SPIN ?? '1',
    },
  },
} as never);
const table = await weights.getFloat32('vision_model.embeddings.position_embedding.weight');
const feeds = {
  pixel_values: new ort.Tensor('float32', new Float32Array(batch * 3 * 224 * 224).fill(0.1), [
    batch,
    3,
    224,
    224,
  ]),
  position_embedding: new ort.Tensor('float32', table.data, [257, 1024]),
};
for (let i = 0; i < 3; i++) {
  const start = performance.now();
  const cpu = process.cpuUsage();
  await session.run(feeds);
  const used = process.cpuUsage(cpu);
  console.log(
    `run ${i}: ${((performance.now() - start) / 1000).toFixed(3)} s wall, ${((used.user + used.system) / 1e6).toFixed(3)} s cpu`,
  );
}
const file = (session as unknown as { endProfiling(): string }).endProfiling?.() ?? '';
console.log('profile', file);
