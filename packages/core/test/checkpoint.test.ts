import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../../../tools/fixtures.js';
import { loadCheckpoint, variantFileName } from '../src/checkpoint.js';
import { CheckpointError, ModelNotFoundError } from '../src/errors.js';
import { openModel } from '../src/hub.js';
import type { ModelFiles } from '../src/model-files.js';
import { openSafetensors, writeSafetensors } from '../src/safetensors.js';
import type { Tensor } from '../src/tensor.js';
import type { WeightStore } from '../src/weights.js';

const tiny = fixturePath('models', 'tiny-altclip');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'altclip-checkpoint-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A model folder in the temp dir holding links to the named fixture files plus extra written files. */
async function modelFolder(name: string, fixtureFiles: string[], extra: Record<string, string> = {}) {
  const folder = join(dir, name);
  await mkdir(folder, { recursive: true });
  for (const file of ['config.json', ...fixtureFiles])
    await symlink(join(tiny as string, file), join(folder, file));
  for (const [file, text] of Object.entries(extra)) await writeFile(join(folder, file), text);
  return folder;
}

async function allTensors(store: WeightStore): Promise<Map<string, Tensor>> {
  const out = new Map<string, Tensor>();
  for (const key of store.keys()) out.set(key, await store.get(key));
  return out;
}

/** Writes the tensors of `source` as `count` shards plus an index, as transformers' save_pretrained does. */
async function writeShards(source: string, folder: string, count: number, variant?: string) {
  const store = await openSafetensors(source);
  const keys = store.keys();
  const weightMap: Record<string, string> = {};
  try {
    for (let shard = 0; shard < count; shard++) {
      const base = `model-${String(shard + 1).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.safetensors`;
      const file = variant ? base.replace('model-', `model.${variant}-`) : base;
      const part = keys.filter((_, i) => i % count === shard);
      const tensors: [string, Tensor][] = [];
      for (const key of part) {
        tensors.push([key, await store.get(key)]);
        weightMap[key] = file;
      }
      await writeSafetensors(join(folder, file), tensors, { format: 'pt' });
    }
  } finally {
    await store.close();
  }
  const index = variantFileName('model.safetensors.index.json', variant);
  await writeFile(
    join(folder, index),
    JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }),
  );
}

describe('variantFileName', () => {
  it('places the variant as transformers does', () => {
    expect(variantFileName('model.safetensors', 'fp16')).toBe('model.fp16.safetensors');
    expect(variantFileName('model.safetensors.index.json', 'fp16')).toBe('model.safetensors.index.fp16.json');
    expect(variantFileName('pytorch_model.bin', 'fp16')).toBe('pytorch_model.fp16.bin');
    expect(variantFileName('pytorch_model.bin.index.json', 'fp16')).toBe('pytorch_model.bin.index.fp16.json');
    expect(variantFileName('model.safetensors')).toBe('model.safetensors');
  });
});

describe.skipIf(!tiny)('loadCheckpoint on tiny-altclip', () => {
  it('gives the same tensors from both files of the fixture, bit-identical, with HF key names', async () => {
    const safe = await loadCheckpoint(await openModel(await modelFolder('only-safe', ['model.safetensors'])));
    const bin = await loadCheckpoint(await openModel(await modelFolder('only-bin', ['pytorch_model.bin'])));
    try {
      expect(safe.location('logit_scale')?.path).toMatch(/model\.safetensors$/);
      expect(bin.location('logit_scale')?.path).toMatch(/pytorch_model\.bin$/);
      expect([...bin.keys()].sort()).toEqual([...safe.keys()].sort());
      expect(safe.keys()).toContain('text_model.roberta.encoder.layer.0.attention.self.query.weight');
      expect(safe.keys()).toContain('vision_model.encoder.layers.1.self_attn.k_proj.bias');
      const a = await allTensors(safe);
      const b = await allTensors(bin);
      for (const [key, tensor] of a) {
        const other = b.get(key) as Tensor;
        expect(other.dims).toEqual(tensor.dims);
        const bits = (t: Tensor) => new Uint8Array((t.data as Float32Array).buffer);
        expect(Buffer.compare(bits(other), bits(tensor)), key).toBe(0);
      }
    } finally {
      await safe.close();
      await bin.close();
    }
  });

  it('prefers safetensors when both exist', async () => {
    const store = await loadCheckpoint(
      await openModel(await modelFolder('both', ['pytorch_model.bin', 'model.safetensors'])),
    );
    try {
      expect(store.location('logit_scale')?.path).toMatch(/model\.safetensors$/);
    } finally {
      await store.close();
    }
  });

  it("reads the 'fp16' variant, equal to the fp32 weights within float16 rounding", async () => {
    const folder = await modelFolder('fp16', ['model.safetensors', 'model.fp16.safetensors']);
    const fp16 = await loadCheckpoint(await openModel(folder), { variant: 'fp16' });
    const fp32 = await loadCheckpoint(await openModel(folder));
    try {
      expect(fp16.info('logit_scale')?.dtype).toBe('float16');
      for (const key of fp32.keys()) {
        const full = (await fp32.get(key)).data as Float32Array;
        const half = (await fp16.getFloat32(key)).data;
        let worst = 0;
        for (let i = 0; i < full.length; i++) {
          // Half precision keeps 11 significant bits: relative error at most 2^-11 (normal range).
          worst = Math.max(worst, Math.abs(half[i] - full[i]) / Math.max(Math.abs(full[i]), 2 ** -14));
        }
        expect(worst, key).toBeLessThanOrEqual(2 ** -11);
      }
    } finally {
      await fp16.close();
      await fp32.close();
    }
  });

  it('merges a sharded safetensors checkpoint through its index', async () => {
    const folder = await modelFolder('sharded', []);
    await writeShards(join(tiny as string, 'model.safetensors'), folder, 3);
    const sharded = await loadCheckpoint(await openModel(folder));
    const single = await openSafetensors(join(tiny as string, 'model.safetensors'));
    try {
      expect([...sharded.keys()].sort()).toEqual([...single.keys()].sort());
      const paths = new Set(sharded.keys().map((key) => sharded.location(key)?.path));
      expect(paths.size).toBe(3);
      for (const key of single.keys()) {
        expect(sharded.info(key)).toEqual(single.info(key));
        expect((await sharded.get(key)).data).toEqual((await single.get(key)).data);
      }
    } finally {
      await sharded.close();
      await single.close();
    }
  });

  it('reads a sharded fp16 variant (model.fp16-0000k-of-0000n.safetensors, model.safetensors.index.fp16.json)', async () => {
    const folder = await modelFolder('sharded-fp16', ['model.safetensors']);
    await writeShards(join(tiny as string, 'model.fp16.safetensors'), folder, 2, 'fp16');
    const store = await loadCheckpoint(await openModel(folder), { variant: 'fp16' });
    const reference = await openSafetensors(join(tiny as string, 'model.fp16.safetensors'));
    try {
      expect(store.keys()).toHaveLength(83);
      expect(store.location('logit_scale')?.path).toMatch(/model\.fp16-0000[12]-of-00002\.safetensors$/);
      for (const key of reference.keys())
        expect((await store.get(key)).data).toEqual((await reference.get(key)).data);
    } finally {
      await store.close();
      await reference.close();
    }
  });

  it('reads a sharded .bin index', async () => {
    const folder = await modelFolder('sharded-bin', []);
    const shard = 'pytorch_model-00001-of-00001.bin';
    await symlink(join(tiny as string, 'pytorch_model.bin'), join(folder, shard));
    const safe = await openSafetensors(join(tiny as string, 'model.safetensors'));
    const weightMap = Object.fromEntries(safe.keys().map((key) => [key, shard]));
    await writeFile(join(folder, 'pytorch_model.bin.index.json'), JSON.stringify({ weight_map: weightMap }));
    const store = await loadCheckpoint(await openModel(folder));
    try {
      for (const key of safe.keys()) expect((await store.get(key)).data).toEqual((await safe.get(key)).data);
    } finally {
      await store.close();
      await safe.close();
    }
  });

  it('rejects an index that points outside the model or to a shard lacking the key', async () => {
    const escaping = await modelFolder('bad-index', [], {
      'model.safetensors.index.json': JSON.stringify({ weight_map: { logit_scale: '../x.safetensors' } }),
    });
    await expect(loadCheckpoint(await openModel(escaping))).rejects.toThrow(/not a file of the model/);
    const lacking = await modelFolder('lacking-index', [], {
      'model.safetensors.index.json': JSON.stringify({ weight_map: { 'not.a.key': 'shard.safetensors' } }),
    });
    await symlink(join(tiny as string, 'model.safetensors'), join(lacking, 'shard.safetensors'));
    await expect(loadCheckpoint(await openModel(lacking))).rejects.toThrow(CheckpointError);
    await expect(loadCheckpoint(await openModel(lacking))).rejects.toThrow(/lacks it/);
  });

  it('reads from bytes when the model files have no local path (browsers)', async () => {
    const folder = await modelFolder('bytes-only', ['pytorch_model.bin']);
    await writeShards(join(tiny as string, 'model.safetensors'), folder, 2);
    const local = await openModel(folder);
    const bytesOnly: ModelFiles = {
      ref: local.ref,
      exists: (name) => local.exists(name),
      readText: (name) => local.readText(name),
      readJSON: (name) => local.readJSON(name),
      readBytes: (name) => local.readBytes(name),
      localPath: async () => undefined,
    };
    for (const [files, format] of [
      [bytesOnly, 'safetensors'],
      [{ ...bytesOnly, exists: async (name: string) => name.endsWith('.bin') }, 'bin'],
    ] as const) {
      const store = await loadCheckpoint(files);
      const reference = await openSafetensors(join(tiny as string, 'model.safetensors'));
      try {
        expect(store.location('logit_scale'), format).toBeUndefined();
        for (const key of reference.keys())
          expect((await store.get(key)).data).toEqual((await reference.get(key)).data);
      } finally {
        await store.close();
        await reference.close();
      }
    }
  });

  it('names every file it looked for when there are no weights', async () => {
    const folder = await modelFolder('no-weights', []);
    const error = await loadCheckpoint(await openModel(folder)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelNotFoundError);
    for (const name of [
      'model.safetensors',
      'model.safetensors.index.json',
      'pytorch_model.bin',
      'pytorch_model.bin.index.json',
    ]) {
      expect((error as Error).message).toContain(name);
    }
    const variantError = await loadCheckpoint(
      await openModel(await modelFolder('no-variant', ['model.safetensors'])),
      {
        variant: 'fp16',
      },
    ).catch((e: unknown) => e);
    expect(variantError).toBeInstanceOf(ModelNotFoundError);
    expect((variantError as Error).message).toMatch(
      /model\.fp16\.safetensors.*without the variant there is model\.safetensors/,
    );
  });
});
