import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../../../tools/fixtures.js';
import { CheckpointError } from '../src/errors.js';
import { UnsafePickleError } from '../src/pickle.js';
import { openSafetensors } from '../src/safetensors.js';
import { openTorchBin, readTorchBin } from '../src/torch-bin.js';

const tiny = fixturePath('models', 'tiny-altclip');

/** Hand-written pickle opcodes (protocol 2), to build checkpoints and hostile pickles byte by byte. */
class PickleWriter {
  private readonly out: number[] = [0x80, 2];
  private readonly encoder = new TextEncoder();

  raw(...bytes: number[]): this {
    this.out.push(...bytes);
    return this;
  }
  mark(): this {
    return this.raw(0x28);
  }
  str(value: string): this {
    const bytes = this.encoder.encode(value);
    return this.raw(0x58, ...new Uint8Array(new Uint32Array([bytes.length]).buffer), ...bytes);
  }
  int(value: number): this {
    return this.raw(0x4a, ...new Uint8Array(new Int32Array([value]).buffer));
  }
  global(module: string, name: string): this {
    return this.raw(0x63, ...this.encoder.encode(`${module}\n${name}\n`));
  }
  tuple(values: number[]): this {
    this.mark();
    for (const v of values) this.int(v);
    return this.raw(0x74);
  }
  orderedDict(): this {
    return this.global('collections', 'OrderedDict').raw(0x29, 0x52);
  }
  /** `_rebuild_tensor_v2(persistent_id(('storage', <type>, key, 'cpu', numel)), offset, size, stride, False, OrderedDict())` */
  tensor(
    storageType: string,
    key: string,
    numel: number,
    offset: number,
    size: number[],
    stride: number[],
  ): this {
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark().str('storage').global('torch', storageType).str(key).str('cpu').int(numel).raw(0x74, 0x51);
    this.int(offset).tuple(size).tuple(stride).raw(0x89).orderedDict();
    return this.raw(0x74, 0x52);
  }
  bytes(): Uint8Array {
    return new Uint8Array([...this.out, 0x2e]);
  }
}

function torchZip(prefix: string, pickle: Uint8Array, storages: Record<string, Uint8Array>): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 }]> = {
    [`${prefix}data.pkl`]: [pickle, { level: 0 }],
    [`${prefix}version`]: [new TextEncoder().encode('3\n'), { level: 0 }],
  };
  for (const [key, data] of Object.entries(storages)) files[`${prefix}data/${key}`] = [data, { level: 0 }];
  return zipSync(files);
}

const f32 = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'altclip-torch-bin-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Both readers (file on disk and in-memory buffer) of the same bytes. */
async function openBoth(name: string, bytes: Uint8Array) {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { file: await openTorchBin(path), buffer: await readTorchBin(bytes, name), path };
}

describe.skipIf(!tiny)('torch .bin: tiny-altclip fixture', () => {
  it('holds the same tensors as model.safetensors, bit for bit, with HF key names', async () => {
    const path = join(tiny as string, 'pytorch_model.bin');
    const bin = await openTorchBin(path);
    const buffered = await readTorchBin(await readFile(path), 'pytorch_model.bin');
    const safe = await openSafetensors(join(tiny as string, 'model.safetensors'));
    const file = await readFile(path);
    try {
      expect(bin.keys()).toHaveLength(83);
      expect([...bin.keys()].sort()).toEqual([...safe.keys()].sort());
      for (const key of safe.keys()) {
        expect(bin.info(key)).toEqual(safe.info(key));
        const expected = (await safe.get(key)).data;
        expect((await bin.get(key)).data).toEqual(expected);
        expect((await buffered.get(key)).data).toEqual(expected);
        // The file range of a stored storage holds exactly the tensor's bytes.
        const loc = bin.location(key);
        expect(loc).toBeDefined();
        expect(new Uint8Array(file.subarray(loc?.offset, (loc?.offset ?? 0) + (loc?.length ?? 0)))).toEqual(
          new Uint8Array((expected as Float32Array).buffer),
        );
      }
      expect(buffered.location('logit_scale')).toBeUndefined();
    } finally {
      await bin.close();
      await safe.close();
    }
  });

  it('rejects a truncated zip with a CheckpointError naming the file', async () => {
    const bytes = await readFile(join(tiny as string, 'pytorch_model.bin'));
    for (const cut of [bytes.length - 10, bytes.length >> 1, 100]) {
      const path = join(dir, `cut-${cut}.bin`);
      await writeFile(path, bytes.subarray(0, cut));
      const error = await openTorchBin(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CheckpointError);
      expect((error as CheckpointError).file).toBe(path);
      await expect(readTorchBin(bytes.subarray(0, cut), 'cut.bin')).rejects.toThrow(CheckpointError);
    }
  });
});

describe('torch .bin: hand-built checkpoints', () => {
  it('reads any archive prefix, storage offsets, shared storages and materialises transposed strides', async () => {
    const pickle = new PickleWriter()
      .orderedDict()
      .mark()
      .str('plain')
      .tensor('FloatStorage', '0', 6, 0, [2, 3], [3, 1])
      .str('offset_view')
      .tensor('FloatStorage', '0', 6, 2, [2, 2], [2, 1])
      .str('transposed')
      .tensor('FloatStorage', '0', 6, 0, [3, 2], [1, 3])
      .str('ids')
      .tensor('LongStorage', '1', 2, 0, [2], [1])
      .str('half')
      .tensor('HalfStorage', '2', 1, 0, [], [])
      .raw(0x75)
      .bytes();
    const zip = torchZip('archive/', pickle, {
      '0': f32([0, 1, 2, 3, 4, 5]),
      '1': new Uint8Array(new BigInt64Array([7n, -(2n ** 50n)]).buffer),
      '2': new Uint8Array(new Uint16Array([0x3c00]).buffer),
    });
    const { file, buffer, path } = await openBoth('built.bin', zip);
    try {
      for (const store of [file, buffer]) {
        expect(store.keys()).toEqual(['plain', 'offset_view', 'transposed', 'ids', 'half']);
        expect(Array.from((await store.get('plain')).data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
        expect(Array.from((await store.get('offset_view')).data as Float32Array)).toEqual([2, 3, 4, 5]);
        const transposed = await store.get('transposed');
        expect(transposed.dims).toEqual([3, 2]);
        expect(transposed.tolist()).toEqual([
          [0, 3],
          [1, 4],
          [2, 5],
        ]);
        expect((await store.get('ids')).data).toEqual(new BigInt64Array([7n, -(2n ** 50n)]));
        expect(store.info('half')).toEqual({ dtype: 'float16', shape: [] });
        expect(Array.from((await store.getFloat32('half')).data)).toEqual([1]);
      }
      // Zero-copy ranges only for dense layouts; the view starts 2 floats into the storage.
      expect(file.location('transposed')).toBeUndefined();
      const plain = file.location('plain');
      expect(file.location('offset_view')).toEqual({ path, offset: (plain?.offset ?? 0) + 8, length: 16 });
    } finally {
      await file.close();
    }
  });

  it('accepts the _metadata BUILD that model.state_dict() pickles carry', async () => {
    const pickle = new PickleWriter()
      .orderedDict()
      .mark()
      .str('w')
      .tensor('FloatStorage', '0', 1, 0, [1], [1])
      .raw(0x75)
      // state = {'_metadata': OrderedDict({'': {'version': 1}})}
      .raw(0x7d)
      .str('_metadata')
      .orderedDict()
      .str('')
      .raw(0x7d)
      .str('version')
      .int(1)
      .raw(0x73, 0x73, 0x73, 0x62)
      .bytes();
    const store = await readTorchBin(torchZip('m/', pickle, { '0': f32([2.5]) }), 'meta.bin');
    expect(Array.from((await store.get('w')).data as Float32Array)).toEqual([2.5]);
  });

  const hostile: [string, Uint8Array, string][] = [
    [
      'os.system via GLOBAL',
      new PickleWriter().global('os', 'system').str('echo pwned').raw(0x85, 0x52).bytes(),
      'os.system',
    ],
    [
      'builtins.eval via GLOBAL',
      new PickleWriter().global('builtins', 'eval').str('1+1').raw(0x85, 0x52).bytes(),
      'builtins.eval',
    ],
    [
      'builtins.eval via STACK_GLOBAL',
      new PickleWriter().str('builtins').str('eval').raw(0x93).str('1+1').raw(0x85, 0x52).bytes(),
      'builtins.eval',
    ],
    [
      'a foreign global hidden inside a tensor entry',
      new PickleWriter().orderedDict().str('w').global('subprocess', 'Popen').raw(0x73).bytes(),
      'subprocess.Popen',
    ],
  ];

  it.each(hostile)('refuses %s with UnsafePickleError, never executing it', async (_, pickle, global) => {
    const zip = torchZip('archive/', pickle, {});
    const path = join(dir, 'hostile.bin');
    await writeFile(path, zip);
    for (const error of [
      await openTorchBin(path).catch((e: unknown) => e),
      await readTorchBin(zip, 'hostile.bin').catch((e: unknown) => e),
    ]) {
      expect(error).toBeInstanceOf(UnsafePickleError);
      expect(error).toBeInstanceOf(CheckpointError);
      expect((error as UnsafePickleError).global).toBe(global);
      expect((error as Error).message).toMatch(/refusing to load/);
    }
  });

  const broken: [string, Uint8Array, RegExp][] = [
    [
      'a pickle cut before STOP',
      new PickleWriter().orderedDict().mark().str('w').bytes().subarray(0, -1),
      /the pickle is truncated/,
    ],
    [
      'a pickle cut inside a string',
      new PickleWriter().orderedDict().str('weight').bytes().subarray(0, 36),
      /the pickle is truncated/,
    ],
    ['a pickle that is not a dict', new PickleWriter().int(3).bytes(), /not hold a dict/],
    [
      'a missing storage entry',
      new PickleWriter().orderedDict().str('w').tensor('FloatStorage', '9', 1, 0, [1], [1]).raw(0x73).bytes(),
      /storage entry 'archive\/data\/9' is missing/,
    ],
    [
      'a view beyond its storage',
      new PickleWriter().orderedDict().str('w').tensor('FloatStorage', '0', 1, 0, [4], [1]).raw(0x73).bytes(),
      /runs past its storage/,
    ],
    [
      'an unsupported opcode (INST)',
      new PickleWriter().raw(0x69, ...new TextEncoder().encode('os\nsystem\n')).bytes(),
      /unsupported pickle opcode 0x69/,
    ],
  ];

  it.each(broken)('rejects %s with a CheckpointError', async (_, pickle, message) => {
    const zip = torchZip('archive/', pickle, { '0': f32([1]) });
    await expect(readTorchBin(zip, 'broken.bin')).rejects.toThrow(CheckpointError);
    await expect(readTorchBin(zip, 'broken.bin')).rejects.toThrow(message);
  });

  it('rejects a zip without data.pkl', async () => {
    await expect(readTorchBin(zipSync({ 'a.txt': new Uint8Array(3) }), 'x.bin')).rejects.toThrow(
      /not a torch.save checkpoint/,
    );
  });
});
