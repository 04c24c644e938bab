import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  type AltCLIPConfig,
  type Device,
  defaultPositionIds,
  InputError,
  openSafetensors,
  prepareTextInputs,
  prepareVisionInputs,
  Tensor,
} from '@altclip/core';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectClose,
  type GoldenCase,
  goldenSuite,
  readGoldenTensors,
  tinyConfig,
  toleranceOf,
} from '../../../tools/goldens.js';
import { TfjsModel } from '../src/index.js';
import { runCase } from './run-case.js';

tf.env().set('PROD', true);

const TOWERS = { text: true, vision: true, withProjection: true };
const suite = goldenSuite();
const runnable = (suite?.cases ?? []).filter((c) => !c.expect_error && c.name !== 'e2e_processor_4x3');

async function loadTiny(device: Device, weightsFile = 'model.safetensors'): Promise<TfjsModel> {
  const weights = await openSafetensors(join(suite!.modelDir, weightsFile));
  try {
    return await TfjsModel.load({ config: tinyConfig(suite!), weights, towers: TOWERS, device });
  } finally {
    await weights.close();
  }
}

for (const device of ['cpu', 'wasm'] as const) {
  describe.skipIf(!suite)(`tiny-altclip goldens on tfjs ${device}`, () => {
    let model: TfjsModel;
    let fp16Model: TfjsModel;
    let config: AltCLIPConfig;
    const maxErrors: Record<string, number> = {};

    beforeAll(async () => {
      config = tinyConfig(suite!);
      model = await loadTiny(device);
      fp16Model = await loadTiny(device, 'model.fp16.safetensors');
    });
    afterAll(async () => {
      await model?.dispose();
      await fp16Model?.dispose();
      const threads = device === 'wasm' ? ` (${getThreadsCount()} threads)` : '';
      console.info(`[tfjs ${device}${threads}] max abs error per output kind: ${JSON.stringify(maxErrors)}`);
    });

    if (device === 'wasm') {
      it("runs tfjs' threaded build in Node, one thread per logical core", () => {
        // The single-threaded build reports 1; the package starts the threaded one itself (wasm-node.ts).
        expect(getThreadsCount()).toBe(Math.min(availableParallelism(), 8));
      });
    }

    it.each(runnable.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const data = await readGoldenTensors(suite!, c);
      const runner = c.weights_file ? fp16Model : model;
      const out = await runCase(runner, config, c, data);
      for (const [name, spec] of Object.entries(c.outputs ?? {})) {
        const actual = out.get(name);
        expect(actual, `output ${name}`).toBeDefined();
        const maxError = expectClose(
          actual as Tensor,
          data.get(spec.key) as Tensor,
          toleranceOf(suite!, c, name),
          `${c.name} ${name}`,
        );
        const kind = name.replace(/\.\d+$/, '').replace(/^(text|vision)_model_output\./, '');
        maxErrors[kind] = Math.max(maxErrors[kind] ?? 0, maxError);
      }
    });

    it('inputsEmbeds in place of ids (with their position ids) gives the golden outputs', async () => {
      const c = suite!.cases.find((x) => x.name === 'text_right_padded') as GoldenCase;
      const data = await readGoldenTensors(suite!, c);
      const ids = data.get('input_ids') as Tensor<'int64'>;
      const table = await model.getParameter('text_model.roberta.embeddings.word_embeddings.weight');
      const width = table.dims[1];
      const embeds = new Float32Array(ids.size * width);
      ids.data.forEach((id, i) => {
        embeds.set(table.data.subarray(Number(id) * width, (Number(id) + 1) * width), i * width);
      });
      const out = await model.runText(
        prepareTextInputs(config.textConfig, {
          inputsEmbeds: new Tensor('float32', embeds, [...ids.dims, width]),
          positionIds: defaultPositionIds(ids, config.textConfig.padTokenId),
          attentionMask: data.get('attention_mask'),
        }),
        { outputHiddenStates: false, outputAttentions: false },
      );
      const expected = data.get('last_hidden_state') as Tensor;
      expectClose(out.lastHiddenState, expected, { atol: 1e-4, rtol: 1e-4 }, 'last_hidden_state');
    });

    it('leaves the tfjs tensor count unchanged after every kind of call', async () => {
      const c = suite!.cases.find((x) => x.name === 'text_right_padded') as GoldenCase;
      const v = suite!.cases.find((x) => x.name === 'vision_interpolate_42x36') as GoldenCase;
      const before = tf.memory().numTensors;
      await runCase(model, config, c, await readGoldenTensors(suite!, c));
      await runCase(model, config, v, await readGoldenTensors(suite!, v));
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}

describe.skipIf(!suite)('golden error cases are rejected before the backend runs', () => {
  const config = suite ? tinyConfig(suite) : undefined;
  it.each((suite?.cases ?? []).filter((c) => c.expect_error).map((c) => [c.name, c] as const))(
    '%s',
    async (_n, c) => {
      const data = await readGoldenTensors(suite!, c);
      const prepare = () =>
        c.inputs.pixel_values
          ? prepareVisionInputs(config!.visionConfig, {
              pixelValues: data.get(c.inputs.pixel_values.key) as Tensor<'float32'>,
              interpolatePosEncoding: c.options.interpolate_pos_encoding ?? false,
            })
          : prepareTextInputs(config!.textConfig, {
              inputIds: data.get(c.inputs.input_ids.key),
              attentionMask: data.get(c.inputs.attention_mask.key),
            });
      expect(prepare).toThrow(InputError);
    },
  );
});

describe.skipIf(!suite)('tfjs model lifetime', () => {
  it('dispose() frees every weight', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const model = await loadTiny('cpu');
    expect(tf.memory().numTensors - before).toBe(model.parameters.variables.size);
    expect(model.parameters.variables.size).toBe(83);
    await model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(
      model.runVision({} as never, { outputAttentions: false, outputHiddenStates: false }),
    ).rejects.toThrow(/disposed/);
  });
});
