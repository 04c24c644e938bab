import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AltCLIPModel, type FromPretrainedOptions, type Tensor } from '@altclip/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/index.js';
import {
  expectClose,
  type GoldenCase,
  readGoldenIndex,
  readGoldenTensors,
  TINY_DIR,
  toleranceOf,
} from './golden.js';

const index = TINY_DIR ? readGoldenIndex() : undefined;
const fullCases =
  index?.cases.filter(
    (c) => c.entry.startsWith('AltCLIPModel') && !c.entry.startsWith('AltCLIPModel.') && c.outputs,
  ) ?? [];

function flatten(output: Awaited<ReturnType<AltCLIPModel['forward']>>): Record<string, Tensor | undefined> {
  return {
    logits_per_image: output.logitsPerImage,
    logits_per_text: output.logitsPerText,
    text_embeds: output.textEmbeds,
    image_embeds: output.imageEmbeds,
    loss: output.loss,
    'text_model_output.last_hidden_state': output.textModelOutput.lastHiddenState,
    'text_model_output.pooler_output': output.textModelOutput.poolerOutput,
    'vision_model_output.last_hidden_state': output.visionModelOutput.lastHiddenState,
    'vision_model_output.pooler_output': output.visionModelOutput.poolerOutput,
  };
}

async function checkFullCase(model: AltCLIPModel, c: GoldenCase): Promise<number> {
  const tensors = await readGoldenTensors(c);
  const output = await model.forward({
    inputIds: tensors.get(c.inputs.input_ids.key) as Tensor<'int64'>,
    attentionMask: c.inputs.attention_mask
      ? (tensors.get(c.inputs.attention_mask.key) as Tensor<'int64'>)
      : undefined,
    pixelValues: tensors.get(c.inputs.pixel_values.key) as Tensor<'float32'>,
    returnLoss: c.options?.return_loss === true,
  });
  const actual = flatten(output);
  let worst = 0;
  for (const [name, spec] of Object.entries(c.outputs!)) {
    expect(actual[name], `${c.name}: ${name}`).toBeDefined();
    worst = Math.max(
      worst,
      expectClose(
        actual[name]!,
        tensors.get(spec.key)!,
        toleranceOf(index!, name, spec),
        `${c.name} ${name}`,
      ),
    );
  }
  return worst;
}

/** A model folder holding only config.json and pytorch_model.bin (so the .bin is what loads). */
function binOnlyFolder(root: string): string {
  const folder = join(root, 'bin-only');
  mkdirSync(folder, { recursive: true });
  for (const name of ['config.json', 'pytorch_model.bin'])
    symlinkSync(join(TINY_DIR!, name), join(folder, name));
  return folder;
}

const setups: {
  label: string;
  options: FromPretrainedOptions;
  cases: (c: GoldenCase) => boolean;
  binOnly?: boolean;
}[] = [
  {
    label: 'ort-node cpu fused, model.safetensors',
    options: { backend: 'ort-node', device: 'cpu' },
    cases: (c) => !c.weights_file,
  },
  {
    label: 'ort-node cpu plain, model.safetensors',
    options: { backend: 'ort-node', backendOptions: { graph: 'plain' } },
    cases: (c) => !c.weights_file,
  },
  {
    label: 'ort-web wasm fused, model.safetensors',
    options: { backend: 'ort-web', device: 'wasm' },
    cases: (c) => !c.weights_file,
  },
  {
    label: 'ort-node cpu fused, pytorch_model.bin',
    options: { backend: 'ort-node' },
    cases: (c) => !c.weights_file,
    binOnly: true,
  },
  {
    label: 'ort-node cpu, onnx/ exports',
    options: { backend: 'ort-node', backendOptions: { graph: 'export' } },
    cases: (c) => !c.weights_file,
  },
  {
    label: 'ort-web wasm, onnx/ exports',
    options: { backend: 'ort-web', backendOptions: { graph: 'export' } },
    cases: (c) => !c.weights_file,
  },
  {
    label: 'ort-node cpu, model.fp16.safetensors',
    options: { backend: 'ort-node', variant: 'fp16' },
    cases: (c) => c.weights_file === 'model.fp16.safetensors',
  },
  {
    label: 'ort-web wasm, model.fp16.safetensors',
    options: { backend: 'ort-web', variant: 'fp16' },
    cases: (c) => c.weights_file === 'model.fp16.safetensors',
  },
];

describe.skipIf(!TINY_DIR)('full-model goldens through AltCLIPModel', () => {
  let cacheDir: string;
  beforeAll(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'altclip-ort-model-'));
  });
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  for (const setup of setups) {
    describe(setup.label, () => {
      let model: AltCLIPModel;
      beforeAll(async () => {
        model = await AltCLIPModel.fromPretrained(setup.binOnly ? binOnlyFolder(cacheDir) : TINY_DIR!, {
          ...setup.options,
          cacheDir,
        });
      });
      afterAll(async () => model?.dispose());
      for (const c of fullCases.filter(setup.cases)) {
        it(c.name, async () => {
          expect(await checkFullCase(model, c)).toBeLessThan(1e-3);
        });
      }
    });
  }
});
