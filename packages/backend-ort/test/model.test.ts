import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AltCLIPError,
  AltCLIPModel,
  AltCLIPTextModel,
  AltCLIPVisionModel,
  type FromPretrainedOptions,
  type Tensor,
} from '@altclip/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/index.js';
import { useSoftwareVulkan } from '../../../tools/chromium.js';
import {
  expectClose,
  type GoldenCase,
  goldenSuite,
  readGoldenTensors,
  toleranceOf,
} from '../../../tools/goldens.js';

const suite = goldenSuite();
const softwareVulkan = useSoftwareVulkan();
const fullCases =
  suite?.cases.filter(
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
  const tensors = await readGoldenTensors(suite!, c);
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
      expectClose(actual[name]!, tensors.get(spec.key)!, toleranceOf(suite!, c, name), `${c.name} ${name}`),
    );
  }
  return worst;
}

/** A model folder holding only config.json and pytorch_model.bin (so the .bin is what loads). */
function binOnlyFolder(root: string): string {
  const folder = join(root, 'bin-only');
  mkdirSync(folder, { recursive: true });
  for (const name of ['config.json', 'pytorch_model.bin'])
    symlinkSync(join(suite!.modelDir, name), join(folder, name));
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
  ...(softwareVulkan
    ? [
        {
          // onnxruntime-node's WebGPU provider (Dawn) on SwiftShader's Vulkan: the GPU kernels, run on the CPU.
          label: 'ort-node webgpu fused (SwiftShader Vulkan), model.safetensors',
          options: { backend: 'ort-node', device: 'webgpu', backendOptions: { strictDevice: true } },
          cases: (c: GoldenCase) => !c.weights_file,
        } as const,
      ]
    : []),
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

describe.skipIf(!suite)('full-model goldens through AltCLIPModel', () => {
  let cacheDir: string;
  beforeAll(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'altclip-ort-model-'));
  });
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  for (const setup of setups) {
    describe(setup.label, () => {
      let model: AltCLIPModel;
      let worstOfAll = 0;
      beforeAll(async () => {
        model = await AltCLIPModel.fromPretrained(setup.binOnly ? binOnlyFolder(cacheDir) : suite!.modelDir, {
          ...setup.options,
          cacheDir,
        });
      });
      afterAll(async () => {
        console.log(
          `${setup.label}: largest abs error over the full-model goldens ${worstOfAll.toExponential(2)}`,
        );
        await model?.dispose();
      });
      for (const c of fullCases.filter(setup.cases)) {
        it(c.name, async () => {
          const worst = await checkFullCase(model, c);
          worstOfAll = Math.max(worstOfAll, worst);
          expect(worst).toBeLessThan(1e-3);
        });
      }
    });
  }
});

const towerCases = suite?.cases.filter((c) => c.entry.startsWith('AltCLIPModel.')) ?? [];

describe.skipIf(!suite)('tower goldens through AltCLIPTextModel / AltCLIPVisionModel', () => {
  for (const backend of ['ort-node', 'ort-web'] as const) {
    describe(backend, () => {
      let text: AltCLIPTextModel;
      let vision: AltCLIPVisionModel;
      let full: AltCLIPModel;
      let worstOfAll = 0;
      beforeAll(async () => {
        [text, vision, full] = await Promise.all([
          AltCLIPTextModel.fromPretrained(suite!.modelDir, { backend }),
          AltCLIPVisionModel.fromPretrained(suite!.modelDir, { backend }),
          AltCLIPModel.fromPretrained(suite!.modelDir, { backend }),
        ]);
      });
      afterAll(async () => {
        console.log(
          `${backend} model classes: largest abs error over the tower goldens ${worstOfAll.toExponential(2)}`,
        );
        await Promise.all([text?.dispose(), vision?.dispose(), full?.dispose()]);
      });
      for (const c of towerCases) {
        it(c.name, async () => {
          const tensors = await readGoldenTensors(suite!, c);
          const input = <T extends 'int64' | 'float32'>(name: string) =>
            c.inputs[name] ? (tensors.get(c.inputs[name].key) as Tensor<T>) : undefined;
          const flags = {
            outputHiddenStates: c.options?.output_hidden_states === true,
            outputAttentions: c.options?.output_attentions === true,
          };
          const isText = c.entry.includes('text_model');
          const textInputs = {
            inputIds: input<'int64'>('input_ids'),
            attentionMask: input<'int64'>('attention_mask'),
            positionIds: input<'int64'>('position_ids'),
            tokenTypeIds: input<'int64'>('token_type_ids'),
          };
          const visionInputs = {
            pixelValues: input<'float32'>('pixel_values')!,
            interpolatePosEncoding: c.options?.interpolate_pos_encoding === true,
          };
          if (c.expect_error) {
            const call = isText ? text.forward(textInputs) : vision.forward(visionInputs);
            await expect(call).rejects.toBeInstanceOf(AltCLIPError);
            return;
          }
          const output = isText
            ? await text.forward({ ...textInputs, ...flags })
            : await vision.forward({ ...visionInputs, ...flags });
          const actual: Record<string, Tensor | undefined> = {
            last_hidden_state: output.lastHiddenState,
            pooler_output: output.poolerOutput,
          };
          for (const [i, t] of (output.hiddenStates ?? []).entries()) actual[`hidden_states.${i}`] = t;
          for (const [i, t] of (output.attentions ?? []).entries()) actual[`attentions.${i}`] = t;
          if (c.outputs?.text_features) actual.text_features = await full.getTextFeatures(textInputs);
          if (c.outputs?.image_features) actual.image_features = await full.getImageFeatures(visionInputs);
          for (const [name, spec] of Object.entries(c.outputs ?? {})) {
            if (name.startsWith('debug.')) continue;
            expect(actual[name], `${c.name}: ${name}`).toBeDefined();
            const worst = expectClose(
              actual[name]!,
              tensors.get(spec.key)!,
              toleranceOf(suite!, c, name),
              `${c.name} ${name}`,
            );
            worstOfAll = Math.max(worstOfAll, worst);
          }
        });
      }
    });
  }
});

describe.skipIf(!suite)('onnx_io golden (ready-made exports and built graphs agree with it)', () => {
  for (const [label, options] of [
    ['ort-node export', { backend: 'ort-node', backendOptions: { graph: 'export' } }],
    ['ort-web export', { backend: 'ort-web', backendOptions: { graph: 'export' } }],
    ['ort-node fused', { backend: 'ort-node' }],
  ] as const) {
    it(label, async () => {
      const c = suite!.cases.find((x) => x.name === 'onnx_io')!;
      const tensors = await readGoldenTensors(suite!, c);
      const model = await AltCLIPModel.fromPretrained(suite!.modelDir, options);
      const text = {
        inputIds: tensors.get('input_ids') as Tensor<'int64'>,
        attentionMask: tensors.get('attention_mask') as Tensor<'int64'>,
      };
      const pixels = { pixelValues: tensors.get('pixel_values') as Tensor<'float32'> };
      const output = await model.forward({ ...text, ...pixels });
      const actual: Record<string, Tensor> = {
        text_embeds: await model.getTextFeatures(text),
        image_embeds: await model.getImageFeatures(pixels),
        text_last_hidden_state: output.textModelOutput.lastHiddenState,
        vision_last_hidden_state: output.visionModelOutput.lastHiddenState,
      };
      for (const [name, spec] of Object.entries(c.outputs!)) {
        expectClose(actual[name], tensors.get(spec.key)!, toleranceOf(suite!, c, name), `${label} ${name}`);
      }
      await model.dispose();
    });
  }
});
