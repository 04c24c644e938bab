import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../../../tools/fixtures.js';
import { AltCLIPConfig } from '../src/config.js';
import { createRandomWeights, writeRandomCheckpoint } from '../src/random-weights.js';
import { openSafetensors } from '../src/safetensors.js';

const tinyDir = fixturePath('models', 'tiny-altclip');
const largeDir = fixturePath('models', 'altclip-large-config');
const loadConfig = (dir: string) =>
  AltCLIPConfig.fromJSON(
    JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>,
  );

function stats(data: Float32Array) {
  let sum = 0;
  let squares = 0;
  let withinOneStd = 0;
  for (const v of data) sum += v;
  const mean = sum / data.length;
  for (const v of data) squares += (v - mean) ** 2;
  const std = Math.sqrt(squares / data.length);
  for (const v of data) if (Math.abs(v - mean) <= std) withinOneStd++;
  return { mean, std, withinOneStd: withinOneStd / data.length };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'altclip-random-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!tinyDir)('random weights for tiny-altclip', () => {
  const config = tinyDir ? loadConfig(tinyDir) : new AltCLIPConfig();

  it('has exactly the keys and shapes of the real checkpoint', async () => {
    const store = createRandomWeights(config);
    const real = await openSafetensors(join(tinyDir as string, 'model.safetensors'));
    try {
      expect([...store.keys()].sort()).toEqual([...real.keys()].sort());
      for (const key of real.keys()) expect(store.info(key)).toEqual(real.info(key));
    } finally {
      await real.close();
    }
  });

  it('is deterministic per (seed, key), whatever the read order', async () => {
    const a = createRandomWeights(config, { seed: 7 });
    const b = createRandomWeights(config, { seed: 7 });
    const c = createRandomWeights(config, { seed: 8 });
    const keys = a.keys();
    const forward = await Promise.all(keys.map((key) => a.get(key)));
    const backward = await Promise.all([...keys].reverse().map((key) => b.get(key)));
    backward.reverse();
    for (const [i, key] of keys.entries()) expect(backward[i].data, key).toEqual(forward[i].data);
    const query = 'text_model.roberta.encoder.layer.0.attention.self.query.weight';
    expect((await c.get(query)).data).not.toEqual((await a.get(query)).data);
    // Different keys of the same shape get different values.
    const key = 'text_model.roberta.encoder.layer.0.attention.self.key.weight';
    expect((await a.get(key)).data).not.toEqual((await a.get(query)).data);
  });

  it('initialises constants as transformers does: LayerNorm 1 / 0, biases 0, logit_scale, zero padding rows', async () => {
    const store = createRandomWeights(config, { seed: 1 });
    for (const key of store.keys()) {
      const data = (await store.get(key)).data;
      if (/(LayerNorm|pre_LN|layer_norm\d|pre_layrnorm|post_layernorm)\.weight$/.test(key)) {
        expect(
          data.every((v) => v === 1),
          key,
        ).toBe(true);
      } else if (key.endsWith('.bias')) {
        expect(
          data.every((v) => v === 0),
          key,
        ).toBe(true);
      }
    }
    expect(Array.from((await store.get('logit_scale')).data)).toEqual([
      Math.fround(config.logitScaleInitValue),
    ]);
    const hidden = config.textConfig.hiddenSize;
    const pad = config.textConfig.padTokenId;
    for (const table of ['word_embeddings', 'position_embeddings']) {
      const data = (await store.get(`text_model.roberta.embeddings.${table}.weight`)).data;
      expect(data.subarray(pad * hidden, (pad + 1) * hidden).every((v) => v === 0)).toBe(true);
      expect(data.subarray(0, hidden).some((v) => v !== 0)).toBe(true);
    }
  });

  it('creates only the requested tower', () => {
    const text = createRandomWeights(config, { parts: { vision: false } }).keys();
    expect(text.some((k) => k.startsWith('vision_model.'))).toBe(false);
    expect(text).toContain('text_projection.weight');
    expect(text).not.toContain('logit_scale');
    const vision = createRandomWeights(config, { parts: { text: false } }).keys();
    expect(vision.some((k) => k.startsWith('text_model.'))).toBe(false);
    expect(vision).toContain('visual_projection.weight');
  });

  it('writes a checkpoint folder once and reuses it for the same config and seed', async () => {
    const target = join(dir, 'tiny-random');
    const first = await writeRandomCheckpoint(config, target, { seed: 3 });
    expect(first.reused).toBe(false);
    const written = await stat(first.weightsPath);
    const again = await writeRandomCheckpoint(config, target, { seed: 3 });
    expect(again.reused).toBe(true);
    expect((await stat(first.weightsPath)).mtimeMs).toBe(written.mtimeMs);

    const reloaded = loadConfig(target);
    expect(reloaded.toJSON()).toEqual({ ...config.toJSON() });
    const file = await openSafetensors(first.weightsPath);
    const store = createRandomWeights(config, { seed: 3 });
    try {
      expect(file.metadata).toMatchObject({ format: 'pt', altclip_random_seed: '3' });
      for (const key of store.keys())
        expect((await file.get(key)).data, key).toEqual((await store.get(key)).data);
    } finally {
      await file.close();
    }
    expect(JSON.parse(await readFile(first.configPath, 'utf8')).architectures).toEqual(['AltCLIPModel']);

    const otherSeed = await writeRandomCheckpoint(config, target, { seed: 4 });
    expect(otherSeed.reused).toBe(false);
  });
});

describe.skipIf(!largeDir)('random weights at the BAAI/AltCLIP size (lazy)', () => {
  const config = largeDir ? loadConfig(largeDir) : new AltCLIPConfig();
  const store = createRandomWeights(config, { seed: 0 });
  const count = (keys: string[]) =>
    keys.reduce((sum, key) => sum + (store.info(key)?.shape.reduce((a, b) => a * b, 1) ?? 0), 0);

  it('has the parameter counts of the reference model', () => {
    const keys = store.keys();
    expect(count(keys)).toBe(864_186_113);
    expect(count(keys.filter((k) => k.startsWith('text_model.')))).toBe(559_630_080);
    expect(count(keys.filter((k) => k.startsWith('vision_model.')))).toBe(303_179_776);
  });

  it.each([
    // [key, expected std] from AltCLIPPreTrainedModel._init_weights with the large config
    ['vision_model.encoder.layers.3.mlp.fc1.weight', (2 * 1024) ** -0.5],
    ['vision_model.encoder.layers.3.mlp.fc2.weight', 1024 ** -0.5 * 48 ** -0.5],
    ['vision_model.encoder.layers.0.self_attn.q_proj.weight', 1024 ** -0.5 * 48 ** -0.5],
    ['vision_model.encoder.layers.0.self_attn.out_proj.weight', 1024 ** -0.5],
    ['vision_model.embeddings.patch_embedding.weight', 0.02],
    ['vision_model.embeddings.position_embedding.weight', 0.02],
    ['text_model.roberta.encoder.layer.5.intermediate.dense.weight', 0.02],
    ['text_model.transformation.weight', 0.02],
    ['text_projection.weight', 768 ** -0.5],
    ['visual_projection.weight', 1024 ** -0.5],
  ])('draws %s from N(0, %f)', async (key, std) => {
    const tensor = await store.get(key);
    expect(tensor.dims).toEqual(store.info(key)?.shape);
    const s = stats(tensor.data);
    expect(Math.abs(s.mean)).toBeLessThan((5 * std) / Math.sqrt(tensor.size));
    expect(Math.abs(s.std / std - 1)).toBeLessThan(0.01);
    // A normal puts 68.27 % of its mass within one standard deviation.
    expect(Math.abs(s.withinOneStd - 0.6827)).toBeLessThan(0.01);
  });
});
