/**
 * Side-by-side timing of graph configurations of one full-size tower, in one process, calls interleaved
 * (so that load from other work hits every configuration alike):
 *   node scripts/run.mjs ab [--tower vision|text] [--batch 8] [--rounds 5] [--dir DIR]
 *     [--only plain-fp32,fused-fp32,fused+packed-int8,...]
 * A configuration is `graph[+packed|+mha][+skip]-dtype` (`+packed` / `+mha`: packed attention on / off, else
 * the backend's default for the dtype). Prints the median seconds per call and each
 * configuration's speed relative to the first one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BackendModel,
  configFromJSON,
  openSafetensors,
  prepareTextInputs,
  prepareVisionInputs,
  Tensor,
} from '@altclip/core';
import { median } from '../../../tools/timing.js';
import { ortNodeBackend } from '../src/index.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const dir = flag('dir', '/tmp/altclip-large');
const tower = flag('tower', 'vision') as 'vision' | 'text';
const batch = Number(flag('batch', '8'));
const rounds = Number(flag('rounds', '5'));
const names = flag('only', 'plain-fp32,fused-fp32').split(',');

const config = configFromJSON(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
const weights = await openSafetensors(join(dir, 'model.safetensors'));
await ortNodeBackend.init();

const models = new Map<string, BackendModel>();
for (const name of names) {
  const [graph, dtype] = name.split('-');
  models.set(
    name,
    await ortNodeBackend.loadModel({
      config,
      weights,
      towers: { text: tower === 'text', vision: tower === 'vision', withProjection: true },
      device: 'cpu',
      dtype: dtype as 'fp32' | 'int8',
      cacheDir: join(dir, 'cache'),
      backendOptions: {
        graph: graph.split('+')[0],
        packedAttention: graph.includes('+packed') ? true : graph.includes('+mha') ? false : undefined,
        skipLayerNorm: graph.includes('+skip'),
      },
    }),
  );
}

const none = { outputHiddenStates: false, outputAttentions: false };
const pixelValues = new Tensor(
  'float32',
  Float32Array.from({ length: batch * 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.37)),
  [batch, 3, 224, 224],
);
const ids = BigInt64Array.from({ length: batch * 16 }, (_, i) =>
  BigInt(i % 16 === 0 ? 0 : i % 16 === 15 ? 2 : 5 + ((i * 977) % 250000)),
);
const textInputs = prepareTextInputs(config.textConfig, { inputIds: new Tensor('int64', ids, [batch, 16]) });
const visionInputs = prepareVisionInputs(config.visionConfig, { pixelValues });
const call = (model: BackendModel) =>
  tower === 'vision' ? model.runVision(visionInputs, none) : model.runText(textInputs, none);

for (const model of models.values()) await call(model);
const seconds = new Map(names.map((n) => [n, [] as number[]]));
for (let r = 0; r < rounds; r++) {
  for (const name of names) {
    const start = performance.now();
    await call(models.get(name)!);
    seconds.get(name)!.push((performance.now() - start) / 1000);
  }
}
const first = median(seconds.get(names[0])!);
for (const name of names) {
  const m = median(seconds.get(name)!);
  console.log(
    `${tower} b${batch} ${name.padEnd(22)} median ${m.toFixed(3)} s (${(batch / m).toFixed(2)}/s), ` +
      `${(first / m).toFixed(3)}x ${names[0]}; all ${seconds
        .get(name)!
        .map((s) => s.toFixed(3))
        .join(' ')}`,
  );
}
for (const model of models.values()) await model.dispose();
await weights.close();
