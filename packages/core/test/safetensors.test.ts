import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../../../tools/fixtures.js';
import { CheckpointError } from '../src/errors.js';
import {
  openSafetensors,
  readSafetensors,
  serializeSafetensors,
  writeSafetensors,
} from '../src/safetensors.js';
import { float16ToFloat32, float32ToFloat16, Tensor } from '../src/tensor.js';

const tiny = fixturePath('models', 'tiny-altclip');

/** A safetensors file from a hand-written header object and data bytes. */
function rawFile(header: unknown, data: Uint8Array, { pad = true } = {}): Uint8Array {
  let json = typeof header === 'string' ? header : JSON.stringify(header);
  if (pad) json = json.padEnd(Math.ceil(json.length / 8) * 8, ' ');
  const jsonBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + jsonBytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  out.set(jsonBytes, 8);
  out.set(data, 8 + jsonBytes.length);
  return out;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'altclip-safetensors-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!tiny)('safetensors: tiny-altclip fixture', () => {
  it('opens the file lazily and reads every tensor with HF key names', async () => {
    const store = await openSafetensors(join(tiny as string, 'model.safetensors'));
    try {
      const keys = store.keys();
      expect(keys).toHaveLength(83);
      expect(store.metadata).toEqual({ format: 'pt' });
      expect(keys).toContain('text_model.roberta.embeddings.word_embeddings.weight');
      expect(keys).toContain('vision_model.pre_layrnorm.weight');
      expect(store.info('text_model.roberta.embeddings.word_embeddings.weight')).toEqual({
        dtype: 'float32',
        shape: [8002, 32],
      });
      expect(store.info('vision_model.embeddings.patch_embedding.weight')?.shape).toEqual([32, 3, 6, 6]);
      const scale = await store.get('logit_scale');
      expect(scale.dims).toEqual([]);
      expect(scale.data[0]).toBeCloseTo(2.6592, 6);
      for (const key of keys) {
        const tensor = await store.get(key);
        expect(tensor.dims).toEqual(store.info(key)?.shape);
        expect(tensor.type).toBe('float32');
      }
    } finally {
      await store.close();
    }
  });

  it('gives absolute file ranges that hold exactly the tensor bytes', async () => {
    const path = join(tiny as string, 'model.safetensors');
    const store = await openSafetensors(path);
    const file = await readFile(path);
    try {
      const key = 'text_model.roberta.encoder.layer.1.output.dense.weight';
      const loc = store.location(key);
      expect(loc?.path).toBe(path);
      expect(loc?.length).toBe(32 * 37 * 4);
      const tensor = await store.get(key);
      const fromFile = new Float32Array(
        file.buffer.slice(file.byteOffset + (loc?.offset ?? 0)).slice(0, loc?.length),
      );
      expect(Array.from(fromFile)).toEqual(Array.from(tensor.data as Float32Array));
    } finally {
      await store.close();
    }
  });

  it('reads the same bytes from a buffer as from the file', async () => {
    const path = join(tiny as string, 'model.safetensors');
    const fileStore = await openSafetensors(path);
    const bufferStore = readSafetensors(await readFile(path), 'model.safetensors');
    try {
      expect(bufferStore.keys()).toEqual(fileStore.keys());
      for (const key of fileStore.keys()) {
        expect((await bufferStore.get(key)).data).toEqual((await fileStore.get(key)).data);
      }
      expect(bufferStore.location('logit_scale')).toBeUndefined();
    } finally {
      await fileStore.close();
    }
  });

  it('fp16 variant widens to the fp32 weights within float16 rounding', async () => {
    const fp32 = await openSafetensors(join(tiny as string, 'model.safetensors'));
    const fp16 = await openSafetensors(join(tiny as string, 'model.fp16.safetensors'));
    try {
      expect(fp16.keys()).toEqual(fp32.keys());
      for (const key of fp32.keys()) {
        expect(fp16.info(key)?.dtype).toBe('float16');
        const half = await fp16.get(key);
        const widened = await fp16.getFloat32(key);
        const full = (await fp32.get(key)).data as Float32Array;
        const bits = half.data as Uint16Array;
        let mismatches = 0;
        for (let i = 0; i < full.length; i++) {
          // Exactly the round-to-nearest-even half of the float32 value.
          if (bits[i] !== float32ToFloat16(full[i])) mismatches++;
          if (widened.data[i] !== float16ToFloat32(bits[i])) mismatches++;
        }
        expect(mismatches, key).toBe(0);
      }
    } finally {
      await fp32.close();
      await fp16.close();
    }
  });

  it.each(['model.safetensors', 'model.fp16.safetensors'])(
    'copies %s through writeSafetensors bit for bit (same header layout as the HF writer)',
    async (name) => {
      const source = join(tiny as string, name);
      const store = await openSafetensors(source);
      const target = join(dir, `copy-${name}`);
      try {
        await writeSafetensors(target, store, { format: 'pt' });
      } finally {
        await store.close();
      }
      expect(Buffer.compare(await readFile(target), await readFile(source))).toBe(0);
    },
  );
});

describe('safetensors: round trips', () => {
  const tensors: [string, Tensor][] = [
    ['b.f32', new Tensor('float32', [1.5, -2, 3.25, 0], [2, 2])],
    ['a.i64', new Tensor('int64', [1n, -(2n ** 40n), 3n], [3])],
    ['c.f16', new Tensor('float16', new Uint16Array([0x3c00, 0xc000]), [2])],
    ['d.bf16', new Tensor('bfloat16', new Uint16Array([0x3f80]), [1, 1])],
    ['e.i32', new Tensor('int32', [7, -8], [2])],
    ['f.u8', new Tensor('uint8', [255, 0, 1], [3])],
    ['g.i8', new Tensor('int8', [-128, 127], [2])],
    ['h.bool', new Tensor('bool', [1, 0, 1], [3])],
    ['scalar', new Tensor('float32', [4], [])],
    ['empty', new Tensor('float32', [], [0, 3])],
  ];

  it('serializes every dtype, sorted keys, 8-byte aligned data, and reads it back', async () => {
    const bytes = serializeSafetensors(tensors, { format: 'pt' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(Object.keys(header)).toEqual(['__metadata__', ...tensors.map(([k]) => k).sort()]);
    const store = readSafetensors(bytes);
    expect(store.metadata).toEqual({ format: 'pt' });
    for (const [key, tensor] of tensors) {
      const back = await store.get(key);
      expect(back.type).toBe(tensor.type);
      expect(back.dims).toEqual(tensor.dims);
      expect(back.data).toEqual(tensor.data);
    }
    expect((await store.getFloat32('c.f16')).data).toEqual(new Float32Array([1, -2]));
    expect((await store.getFloat32('d.bf16')).data).toEqual(new Float32Array([1]));
  });

  it('writes from an async iterable and reads back from disk', async () => {
    const path = join(dir, 'iter.safetensors');
    async function* generate() {
      yield* tensors;
    }
    await writeSafetensors(path, generate());
    expect(Buffer.compare(await readFile(path), Buffer.from(serializeSafetensors(tensors)))).toBe(0);
    const store = await openSafetensors(path);
    try {
      expect((await store.get('a.i64')).data).toEqual(tensors[1][1].data);
    } finally {
      await store.close();
    }
  });

  it('reads F64 as float32', async () => {
    const data = new Uint8Array(new Float64Array([0.1, -3]).buffer);
    const store = readSafetensors(rawFile({ x: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } }, data));
    expect(store.info('x')).toEqual({ dtype: 'float32', shape: [2] });
    expect((await store.get('x')).data).toEqual(new Float32Array([0.1, -3]));
  });

  it('reads each tensor from disk on demand instead of the whole file', async () => {
    const path = join(dir, 'lazy.safetensors');
    const a = new Tensor('float32', [1, 2, 3, 4], [4]);
    const b = new Tensor('float32', [5, 6, 7, 8], [4]);
    const bytes = serializeSafetensors([
      ['a', a],
      ['b', b],
    ]);
    await writeFile(path, bytes);
    const store = await openSafetensors(path);
    try {
      // Change b's bytes on disk after opening: a lazy store sees the new values.
      const handle = await open(path, 'r+');
      const offset = store.location('b')?.offset as number;
      await handle.write(new Uint8Array(new Float32Array([9, 9, 9, 9]).buffer), 0, 16, offset);
      await handle.close();
      expect(Array.from((await store.get('a')).data as Float32Array)).toEqual([1, 2, 3, 4]);
      expect(Array.from((await store.get('b')).data as Float32Array)).toEqual([9, 9, 9, 9]);
    } finally {
      await store.close();
    }
  });
});

describe('safetensors: hostile and broken files', () => {
  const f32x2 = new Uint8Array(8);
  const ok = { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };

  const cases: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array([1, 2, 3]), /too short/],
    [
      'header length beyond the file',
      (() => {
        const bytes = rawFile(ok, f32x2);
        new DataView(bytes.buffer).setBigUint64(0, 2n ** 60n, true);
        return bytes;
      })(),
      /runs past the end of the file/,
    ],
    ['bad JSON', rawFile('{"x": {"dtype": ', f32x2), /not valid UTF-8 JSON/],
    ['not an object', rawFile('[1, 2]', f32x2), /not a JSON object/],
    [
      'unknown dtype',
      rawFile({ x: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, f32x2),
      /unsupported dtype/,
    ],
    [
      'shape and byte range disagree',
      rawFile({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32x2),
      /needs 12 bytes/,
    ],
    [
      'negative dim',
      rawFile({ x: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, f32x2),
      /invalid shape/,
    ],
    [
      'reversed offsets',
      rawFile({ x: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, f32x2),
      /invalid data_offsets/,
    ],
    [
      'overlapping ranges',
      rawFile(
        {
          x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          y: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
        },
        f32x2,
      ),
      /overlap/,
    ],
    [
      'truncated data',
      rawFile({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32x2),
      /truncated/,
    ],
    ['bad metadata', rawFile({ __metadata__: { n: 1 }, ...ok }, f32x2), /__metadata__/],
  ];

  it.each(cases)('rejects %s with a CheckpointError naming the file', async (_, bytes, message) => {
    expect(() => readSafetensors(bytes, 'bad.safetensors')).toThrow(CheckpointError);
    expect(() => readSafetensors(bytes, 'bad.safetensors')).toThrow(message);
    const path = join(dir, 'bad.safetensors');
    await writeFile(path, bytes);
    const error = await openSafetensors(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).file).toBe(path);
    expect((error as Error).message).toMatch(message);
  });

  it('rejects a fixture file cut in half', async () => {
    const source = tiny && join(tiny, 'model.safetensors');
    if (!source) return;
    const bytes = await readFile(source);
    expect(() => readSafetensors(bytes.subarray(0, bytes.length >> 1), 'half')).toThrow(/truncated/);
  });

  it('names the missing key', async () => {
    const store = readSafetensors(rawFile(ok, f32x2), 'm.safetensors');
    await expect(store.get('nope')).rejects.toThrow(/m.safetensors: no tensor 'nope'/);
  });
});
