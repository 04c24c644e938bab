/** Prints the operator counts of the built graphs before and after onnxruntime's optimisations (tiny fixture). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromJSON, openSafetensors } from '@altclip/core';
import onnxProto from 'onnx-proto';
import { type GraphModel, ortNodeBackend } from '../src/index.js';

const dir = join(process.env.ALTCLIP_FIXTURES_DIR!, 'models', 'tiny-altclip');
const config = configFromJSON(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
const weights = await openSafetensors(join(dir, 'model.safetensors'));
await ortNodeBackend.init();
const ort = ortNodeBackend.runtime.ort;
const counts = (bytes: Uint8Array) => {
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  const c: Record<string, number> = {};
  for (const n of model.graph!.node!) c[n.opType!] = (c[n.opType!] ?? 0) + 1;
  return Object.entries(c)
    .sort()
    .map(([k, v]) => `${k}:${v}`)
    .join(' ');
};
for (const dtype of (process.argv[2] ?? 'fp32').split(',') as ('fp32' | 'int8')[]) {
  for (const kind of ['plain', 'fused'] as const) {
    const model = (await ortNodeBackend.loadModel({
      config,
      weights,
      towers: { text: true, vision: true, withProjection: true },
      device: 'cpu',
      dtype,
      backendOptions: { graph: kind },
      cacheDir: '/tmp/altclip-inspect',
    })) as GraphModel;
    for (const tower of ['text', 'vision'] as const) {
      const { model: bytes, placed } = await model.buildGraph(tower);
      const out = `/tmp/altclip-inspect-${tower}-${kind}-${dtype}.onnx`;
      await ort.InferenceSession.create(bytes, {
        graphOptimizationLevel: 'all',
        optimizedModelFilePath: out,
        extra: { session: { model_external_initializers_file_folder_path: placed.folder! } },
      } as never);
      console.log(
        `${dtype} ${kind} ${tower}\n  built:     ${counts(bytes)}\n  optimised: ${counts(readFileSync(out))}`,
      );
    }
  }
}
