import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BackendModel,
  openSafetensors,
  prepareTextInputs,
  prepareVisionInputs,
  type Tensor,
  type TextInputs,
  type WeightStore,
} from '@altclip/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectClose,
  goldenSuite,
  readGoldenTensors,
  tinyConfig,
  toleranceOf,
} from '../../../tools/goldens.js';
import { ortNodeBackend, ortWebBackend } from '../src/index.js';
import { loadRequest } from './golden.js';

const suite = goldenSuite();
const towerCases =
  suite?.cases.filter(
    (c) => c.entry.startsWith('AltCLIPModel.') && c.outputs && Object.keys(c.outputs).length > 0,
  ) ?? [];

const runtimes = [
  {
    name: 'ort-node',
    backend: ortNodeBackend,
    device: 'cpu' as const,
    graphs: ['fused', 'plain', 'fused+skip', 'fused+packed'],
  },
  {
    name: 'ort-web',
    backend: ortWebBackend,
    device: 'wasm' as const,
    graphs: ['fused', 'plain', 'fused+packed'],
  },
];

/** Adds `hidden_states.N` / `attentions.N` entries for the lists a tower returned. */
function addNumbered(
  outputs: Record<string, Tensor | undefined>,
  result: { hiddenStates?: readonly Tensor[]; attentions?: readonly Tensor[] },
): void {
  for (const [i, t] of (result.hiddenStates ?? []).entries()) outputs[`hidden_states.${i}`] = t;
  for (const [i, t] of (result.attentions ?? []).entries()) outputs[`attentions.${i}`] = t;
}

/** Runs one golden tower case through a backend model and checks every recorded output. */
async function checkTowerCase(model: BackendModel, name: string): Promise<number> {
  const c = towerCases.find((x) => x.name === name)!;
  const config = tinyConfig(suite!);
  const tensors = await readGoldenTensors(suite!, c);
  const input = (arg: string) =>
    c.inputs[arg] ? (tensors.get(c.inputs[arg].key) as Tensor<'int64'>) : undefined;
  const options = {
    outputHiddenStates: c.options?.output_hidden_states === true,
    outputAttentions: c.options?.output_attentions === true,
  };
  let outputs: Record<string, Tensor | undefined>;
  if (c.entry.includes('text_model')) {
    const textInputs: TextInputs = {
      inputIds: input('input_ids'),
      attentionMask: input('attention_mask'),
      positionIds: input('position_ids'),
      tokenTypeIds: input('token_type_ids'),
    };
    const result = await model.runText(prepareTextInputs(config.textConfig, textInputs), options);
    outputs = {
      last_hidden_state: result.lastHiddenState,
      pooler_output: result.poolerOutput,
      text_features: result.features,
    };
    addNumbered(outputs, result);
  } else {
    const pixelValues = tensors.get(c.inputs.pixel_values.key) as Tensor<'float32'>;
    const result = await model.runVision(
      prepareVisionInputs(config.visionConfig, {
        pixelValues,
        interpolatePosEncoding: c.options?.interpolate_pos_encoding === true,
      }),
      options,
    );
    outputs = {
      last_hidden_state: result.lastHiddenState,
      pooler_output: result.poolerOutput,
      image_features: result.features,
    };
    addNumbered(outputs, result);
  }
  let worst = 0;
  for (const [outName, spec] of Object.entries(c.outputs!)) {
    if (outName.startsWith('debug.')) continue;
    const actual = outputs[outName];
    expect(actual, `${c.name}: output ${outName}`).toBeDefined();
    worst = Math.max(
      worst,
      expectClose(actual!, tensors.get(spec.key)!, toleranceOf(suite!, c, outName), `${c.name} ${outName}`),
    );
  }
  return worst;
}

describe.skipIf(!suite)('tower goldens (built graphs, model.safetensors)', () => {
  let weights: WeightStore;
  let cacheDir: string;
  beforeAll(async () => {
    weights = await openSafetensors(join(suite!.modelDir, 'model.safetensors'));
    cacheDir = mkdtempSync(join(tmpdir(), 'altclip-ort-test-'));
  });
  afterAll(async () => {
    await weights.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  for (const runtime of runtimes) {
    for (const graph of runtime.graphs) {
      describe(`${runtime.name} ${runtime.device} ${graph}`, () => {
        let model: BackendModel;
        let worstOfAll = 0;
        beforeAll(async () => {
          await runtime.backend.init();
          model = await runtime.backend.loadModel(
            loadRequest(tinyConfig(suite!), weights, {
              device: runtime.device,
              cacheDir,
              backendOptions: {
                graph: graph.split('+')[0],
                skipLayerNorm: graph.endsWith('+skip'),
                packedAttention: graph.endsWith('+packed'),
              },
            }),
          );
        });
        afterAll(async () => {
          console.log(
            `${runtime.name} ${runtime.device} ${graph}: largest abs error over the tower goldens ${worstOfAll.toExponential(2)}`,
          );
          await model?.dispose();
        });
        for (const c of towerCases) {
          it(c.name, async () => {
            const worst = await checkTowerCase(model, c.name);
            worstOfAll = Math.max(worstOfAll, worst);
            expect(worst).toBeLessThan(1e-4);
          });
        }
      });
    }
  }
});

export { checkTowerCase, towerCases };
