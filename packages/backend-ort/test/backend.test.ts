import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AltCLIPModel,
  BackendError,
  compareEmbeddings,
  listBackends,
  NotSupportedError,
  openSafetensors,
  resolveBackend,
  Tensor,
  type WeightStore,
} from '@altclip/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { goldenSuite, tinyConfig } from '../../../tools/goldens.js';
import { type GraphModel, ortNodeBackend, ortWebBackend } from '../src/index.js';
import { loadRequest } from './golden.js';

const suite = goldenSuite();

describe('registration', () => {
  it('registers ort-node before ort-web on import', async () => {
    const names = listBackends();
    expect(names.indexOf('ort-node')).toBeGreaterThanOrEqual(0);
    expect(names.indexOf('ort-node')).toBeLessThan(names.indexOf('ort-web'));
    const resolved = await resolveBackend('ort-node', { device: 'cpu', dtype: 'int8' });
    expect(resolved.backend).toBe(ortNodeBackend);
    expect((await resolveBackend('ort-web', { device: 'wasm' })).backend).toBe(ortWebBackend);
    expect(ortNodeBackend.capabilities().devices).toContain('cpu');
    expect(ortNodeBackend.capabilities().gradients).toBe(false);
  });
});

describe.skipIf(!suite)('loading, weights and dtypes', () => {
  let weights: WeightStore;
  let cacheDir: string;
  const pixels = new Tensor(
    'float32',
    Float32Array.from({ length: 2 * 3 * 30 * 30 }, (_, i) => Math.sin(i * 0.37)),
    [2, 3, 30, 30],
  );
  const ids = new Tensor('int64', [0, 5, 17, 99, 2, 1, 0, 8000, 3, 4, 2, 1].map(BigInt), [2, 6]);
  const textInputs = {
    inputIds: ids,
    attentionMask: new Tensor('int64', [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0].map(BigInt), [2, 6]),
    positionIds: new Tensor('int64', [2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1].map(BigInt), [2, 6]),
    tokenTypeIds: new Tensor('int64', new BigInt64Array(12), [2, 6]),
    explicit: { positionIds: false, tokenTypeIds: false, attentionMask: true },
  };
  const off = { outputHiddenStates: false, outputAttentions: false };

  beforeAll(async () => {
    weights = await openSafetensors(join(suite!.modelDir, 'model.safetensors'));
    cacheDir = mkdtempSync(join(tmpdir(), 'altclip-ort-backend-'));
    await ortNodeBackend.init();
  });
  afterAll(async () => {
    await weights.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('references float32 safetensors in place: nothing is written to the cache', async () => {
    const model = await ortNodeBackend.loadModel(
      loadRequest(tinyConfig(suite!), weights, { cacheDir: join(cacheDir, 'in-place') }),
    );
    await model.runVision({ pixelValues: pixels, interpolatePosEncoding: false }, off);
    expect(existsSync(join(cacheDir, 'in-place'))).toBe(false);
    const built = await (model as GraphModel).buildGraph('vision');
    expect(built.placed.folder).toBe(suite!.modelDir);
    await model.dispose();
  });

  it('converts once into the cache folder and reuses it (fp16 and int8 weights)', async () => {
    for (const dtype of ['fp16', 'int8'] as const) {
      const first = await ortNodeBackend.loadModel(
        loadRequest(tinyConfig(suite!), weights, { dtype, cacheDir }),
      );
      await first.runText(textInputs, off);
      await first.dispose();
    }
    const folders = readdirSync(cacheDir).filter((name) => name.startsWith('weights-'));
    expect(folders.length).toBe(2);
    const written = folders.map((f) => statSync(join(cacheDir, f, 'weights.bin')).mtimeMs);
    const again = await ortNodeBackend.loadModel(
      loadRequest(tinyConfig(suite!), weights, { dtype: 'int8', cacheDir }),
    );
    await again.runText(textInputs, off);
    await again.dispose();
    expect(folders.map((f) => statSync(join(cacheDir, f, 'weights.bin')).mtimeMs)).toEqual(written);
  });

  for (const [label, backend, device] of [
    ['ort-node cpu', ortNodeBackend, 'cpu'],
    ['ort-web wasm', ortWebBackend, 'wasm'],
  ] as const) {
    it(`${label}: fp16 and int8 embeddings stay close to fp32 (cosine)`, async () => {
      const run = async (dtype: 'fp32' | 'fp16' | 'int8', packedAttention?: boolean) => {
        const model = await backend.loadModel(
          loadRequest(tinyConfig(suite!), weights, {
            dtype,
            device,
            cacheDir,
            backendOptions: { packedAttention },
          }),
        );
        const text = await model.runText(textInputs, off);
        const image = await model.runVision({ pixelValues: pixels, interpolatePosEncoding: false }, off);
        await model.dispose();
        return { text: text.features!.data, image: image.features!.data };
      };
      const fp32 = await run('fp32');
      const width = tinyConfig(suite!).projectionDim;
      const fp16 = await run('fp16');
      expect(compareEmbeddings(fp16.text, fp32.text, fp16.text.length / width).cosine).toBeGreaterThan(
        0.9999,
      );
      expect(compareEmbeddings(fp16.image, fp32.image, fp16.image.length / width).cosine).toBeGreaterThan(
        0.9999,
      );
      const int8 = await run('int8');
      const textCosine = compareEmbeddings(int8.text, fp32.text, int8.text.length / width).cosine;
      const imageCosine = compareEmbeddings(int8.image, fp32.image, int8.image.length / width).cosine;
      // The tiny model's 32-wide layers quantise coarsely; the full-size figure is in the README.
      expect(textCosine).toBeGreaterThan(0.99);
      expect(imageCosine).toBeGreaterThan(0.99);
      expect(Math.min(textCosine, imageCosine)).toBeLessThan(1);
      // QAttention quantises the attention input once for Q, K and V, as DynamicQuantizeMatMul does per linear.
      const packed = await run('int8', true);
      expect(compareEmbeddings(packed.text, int8.text, packed.text.length / width).cosine).toBeGreaterThan(
        0.9999,
      );
      expect(compareEmbeddings(packed.image, int8.image, packed.image.length / width).cosine).toBeGreaterThan(
        0.9999,
      );
    });
  }

  it('inputs_embeds gives the same outputs as the ids they embed', async () => {
    const model = await ortNodeBackend.loadModel(loadRequest(tinyConfig(suite!), weights, { cacheDir }));
    const table = await weights.getFloat32('text_model.roberta.embeddings.word_embeddings.weight');
    const hidden = tinyConfig(suite!).textConfig.hiddenSize;
    const embeds = new Float32Array(ids.size * hidden);
    (ids.data as BigInt64Array).forEach((id, i) => {
      embeds.set(table.data.subarray(Number(id) * hidden, (Number(id) + 1) * hidden), i * hidden);
    });
    const { inputIds: _, ...rest } = textInputs;
    const fromEmbeds = await model.runText(
      { ...rest, inputsEmbeds: new Tensor('float32', embeds, [2, 6, hidden]) },
      { outputHiddenStates: true, outputAttentions: false },
    );
    const fromIds = await model.runText(textInputs, { outputHiddenStates: true, outputAttentions: false });
    expect(Array.from(fromEmbeds.lastHiddenState.data)).toEqual(Array.from(fromIds.lastHiddenState.data));
    expect(fromEmbeds.hiddenStates).toHaveLength(3);
    await model.dispose();
  });

  it('runs concurrent calls on one model', async () => {
    const model = await ortNodeBackend.loadModel(loadRequest(tinyConfig(suite!), weights, { cacheDir }));
    const sequential = await model.runText(textInputs, off);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        i % 2
          ? model.runVision({ pixelValues: pixels, interpolatePosEncoding: false }, off)
          : model.runText(textInputs, off),
      ),
    );
    expect(Array.from(results[0].lastHiddenState.data)).toEqual(Array.from(sequential.lastHiddenState.data));
    await model.dispose();
    await expect(model.runText(textInputs, off)).rejects.toThrow(/disposed/);
  });

  it('falls back to the CPU with a message when a device provider is missing, or fails when strict', async () => {
    const devices = ortNodeBackend.capabilities().devices;
    const missing = (['cuda', 'webgpu'] as const).find((d) => !devices.includes(d));
    if (!missing) return;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const model = await ortNodeBackend.loadModel({
      ...loadRequest(tinyConfig(suite!), weights, { cacheDir }),
      device: missing,
    });
    expect(warn.mock.calls[0][0]).toMatch(
      new RegExp(`device '${missing}' is not available.*running on 'cpu'`),
    );
    warn.mockRestore();
    await model.dispose();
    await expect(
      ortNodeBackend.loadModel({
        ...loadRequest(tinyConfig(suite!), weights, { backendOptions: { strictDevice: true } }),
        device: missing,
      }),
    ).rejects.toThrow(BackendError);
  });

  it('device webgpu runs on a GPU adapter when there is one, else on the CPU after one warning', async () => {
    if (!ortNodeBackend.capabilities().devices.includes('webgpu')) return;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const gpu = await ortNodeBackend.loadModel({
      ...loadRequest(tinyConfig(suite!), weights, { cacheDir }),
      device: 'webgpu',
    });
    const cpu = await ortNodeBackend.loadModel(loadRequest(tinyConfig(suite!), weights, { cacheDir }));
    const a = await gpu.runVision({ pixelValues: pixels, interpolatePosEncoding: false }, off);
    await gpu.runText(textInputs, off);
    const b = await cpu.runVision({ pixelValues: pixels, interpolatePosEncoding: false }, off);
    expect(warn.mock.calls.length).toBeLessThanOrEqual(1);
    warn.mockRestore();
    for (const [i, v] of a.features!.data.entries())
      expect(Math.abs(v - b.features!.data[i])).toBeLessThan(1e-3);
    await Promise.all([gpu.dispose(), cpu.dispose()]);
  });

  it('ready-made exports refuse what they cannot compute, with clear errors', async () => {
    const model = await AltCLIPModel.fromPretrained(suite!.modelDir, {
      backend: 'ort-node',
      backendOptions: { graph: 'export' },
    });
    await expect(
      model.forward({ inputIds: [[0, 5, 2]], pixelValues: pixels, outputHiddenStates: true }),
    ).rejects.toThrow(NotSupportedError);
    await expect(model.getTextFeatures({ inputIds: [[0, 5, 2]], positionIds: [[2, 3, 4]] })).rejects.toThrow(
      /position ids/,
    );
    const big = new Tensor('float32', new Float32Array(3 * 36 * 36), [1, 3, 36, 36]);
    await expect(model.getImageFeatures({ pixelValues: big, interpolatePosEncoding: true })).rejects.toThrow(
      /interpolate_pos_encoding/,
    );
    await model.dispose();
  });

  it('builds serialised graphs far below the protobuf limit (weights stay external)', async () => {
    const model = (await ortNodeBackend.loadModel(
      loadRequest(tinyConfig(suite!), weights, { cacheDir }),
    )) as GraphModel;
    const { model: bytes } = await model.buildGraph('text', 'attentions');
    expect(bytes.byteLength).toBeLessThan(64 * 1024);
    await model.dispose();
  });
});

describe.skipIf(!suite)('.bin checkpoints', () => {
  it('loads a folder with only pytorch_model.bin and matches the safetensors outputs', async () => {
    const root = mkdtempSync(join(tmpdir(), 'altclip-ort-bin-'));
    const folder = join(root, 'model');
    mkdirSync(folder);
    for (const name of ['config.json', 'pytorch_model.bin'])
      symlinkSync(join(suite!.modelDir, name), join(folder, name));
    const pixels = new Tensor('float32', new Float32Array(3 * 30 * 30).fill(0.5), [1, 3, 30, 30]);
    const fromBin = await AltCLIPModel.fromPretrained(folder, { backend: 'ort-node', cacheDir: root });
    const fromSafetensors = await AltCLIPModel.fromPretrained(suite!.modelDir, {
      backend: 'ort-node',
      cacheDir: root,
    });
    const a = await fromBin.getImageFeatures({ pixelValues: pixels });
    const b = await fromSafetensors.getImageFeatures({ pixelValues: pixels });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    await fromBin.dispose();
    await fromSafetensors.dispose();
    rmSync(root, { recursive: true, force: true });
  });
});

describe('graph outputs', () => {
  it('base graphs output only the main tensors; variants add hidden states, then attentions', async () => {
    const { buildTextGraph, buildVisionGraph } = await import('../src/index.js');
    const config = suite ? tinyConfig(suite) : undefined;
    if (!config) return;
    for (const kind of ['plain', 'fused'] as const) {
      const options = {
        kind,
        dtype: 'fp32' as const,
        withProjection: true,
        outputHiddenStates: false,
        outputAttentions: false,
      };
      expect(buildVisionGraph(config, options).outputNames).toEqual([
        'last_hidden_state',
        'pooler_output',
        'image_embeds',
      ]);
      expect(buildTextGraph(config, { ...options, inputsEmbeds: false }).outputNames).toEqual([
        'last_hidden_state',
        'pooler_output',
        'text_embeds',
      ]);
      const hidden = buildVisionGraph(config, { ...options, outputHiddenStates: true }).outputNames;
      expect(hidden.filter((n) => n.startsWith('hidden_states.'))).toHaveLength(3);
      expect(hidden.some((n) => n.startsWith('attentions.'))).toBe(false);
      const all = buildTextGraph(config, {
        ...options,
        inputsEmbeds: false,
        outputHiddenStates: true,
        outputAttentions: true,
      }).outputNames;
      expect(all.filter((n) => n.startsWith('attentions.'))).toHaveLength(2);
    }
  });
});
