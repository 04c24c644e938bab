import { CheckpointError, ModelNotFoundError } from './errors.js';
import type { ModelFiles } from './model-files.js';
import { openSafetensors, readSafetensors } from './safetensors.js';
import type { Tensor } from './tensor.js';
import { openTorchBin, readTorchBin } from './torch-bin.js';
import type { TensorInfo, TensorLocation, WeightStore } from './weights.js';

export interface LoadCheckpointOptions {
  /** A weights variant as transformers names it: `'fp16'` reads `model.fp16.safetensors` and so on. */
  variant?: string;
}

type WeightFormat = 'safetensors' | 'bin';

/** transformers' file names, in its order of preference: safetensors first, a single file before shards. */
const CANDIDATES: readonly { name: string; format: WeightFormat; sharded: boolean }[] = [
  { name: 'model.safetensors', format: 'safetensors', sharded: false },
  { name: 'model.safetensors.index.json', format: 'safetensors', sharded: true },
  { name: 'pytorch_model.bin', format: 'bin', sharded: false },
  { name: 'pytorch_model.bin.index.json', format: 'bin', sharded: true },
];

/**
 * A file name with a variant, as transformers' `_add_variant` builds it: the variant goes before the last
 * extension (`model.safetensors` → `model.fp16.safetensors`, `model.safetensors.index.json` →
 * `model.safetensors.index.fp16.json`).
 */
export function variantFileName(name: string, variant?: string): string {
  if (!variant) return name;
  const parts = name.split('.');
  return [...parts.slice(0, -1), variant, parts[parts.length - 1]].join('.');
}

/** Opens one weight file: in place on disk when the model files have a local path, else from its bytes. */
async function openWeightFile(files: ModelFiles, name: string, format: WeightFormat): Promise<WeightStore> {
  const path = await files.localPath(name);
  if (path !== undefined) return format === 'safetensors' ? openSafetensors(path) : openTorchBin(path);
  const bytes = await files.readBytes(name);
  if (bytes === undefined) throw new ModelNotFoundError(`${files.ref}: ${name} is missing`);
  return format === 'safetensors' ? readSafetensors(bytes, name) : readTorchBin(bytes, name);
}

/** The `weight_map` of a sharded checkpoint's index, checked: every shard is a plain file of the model. */
function parseIndex(indexName: string, json: unknown): Map<string, string> {
  const weightMap = (json as { weight_map?: unknown })?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new CheckpointError(indexName, 'index has no weight_map object');
  }
  const map = new Map<string, string>();
  for (const [key, shard] of Object.entries(weightMap)) {
    if (
      typeof shard !== 'string' ||
      shard === '' ||
      shard.startsWith('/') ||
      shard.split(/[\\/]/).includes('..')
    ) {
      throw new CheckpointError(
        indexName,
        `weight_map['${key}'] = ${JSON.stringify(shard)} is not a file of the model`,
      );
    }
    map.set(key, shard);
  }
  return map;
}

/** The shards of a sharded checkpoint seen as one store; each key is read from the shard the index names. */
class ShardedWeightStore implements WeightStore {
  constructor(
    private readonly owner: Map<string, WeightStore>,
    private readonly shards: readonly WeightStore[],
  ) {}

  keys(): string[] {
    return [...this.owner.keys()];
  }

  info(key: string): TensorInfo | undefined {
    return this.owner.get(key)?.info(key);
  }

  get(key: string): Promise<Tensor> {
    return this.shardOf(key).get(key);
  }

  getFloat32(key: string): Promise<Tensor<'float32'>> {
    return this.shardOf(key).getFloat32(key);
  }

  location(key: string): TensorLocation | undefined {
    return this.owner.get(key)?.location(key);
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((shard) => shard.close()));
  }

  private shardOf(key: string): WeightStore {
    const shard = this.owner.get(key);
    if (!shard) throw new CheckpointError('sharded checkpoint', `no tensor '${key}' in the checkpoint`);
    return shard;
  }
}

/**
 * Opens a sharded checkpoint: each shard's header (or zip directory) is read once so that `info` answers
 * synchronously; tensors are read when asked for.
 */
async function openSharded(files: ModelFiles, indexName: string, format: WeightFormat): Promise<WeightStore> {
  const weightMap = parseIndex(indexName, await files.readJSON(indexName));
  const shardNames = [...new Set(weightMap.values())];
  const shards = new Map<string, WeightStore>();
  try {
    // One at a time: for hub ids each open downloads a shard.
    for (const shardName of shardNames) shards.set(shardName, await openWeightFile(files, shardName, format));
    const owner = new Map<string, WeightStore>();
    for (const [key, shardName] of weightMap) {
      const shard = shards.get(shardName) as WeightStore;
      if (shard.info(key) === undefined) {
        throw new CheckpointError(
          shardName,
          `the index places '${key}' in this shard, but the shard lacks it`,
        );
      }
      owner.set(key, shard);
    }
    return new ShardedWeightStore(owner, [...shards.values()]);
  } catch (error) {
    await Promise.all([...shards.values()].map((shard) => shard.close()));
    throw error;
  }
}

/**
 * The weights of a model folder or hub repo, as transformers finds them: `model.safetensors`, then a sharded
 * safetensors index, then `pytorch_model.bin`, then a sharded `.bin` index (safetensors win when both exist).
 * Keys keep their Hugging Face names. Throws ModelNotFoundError naming the files looked for when none exists.
 */
export async function loadCheckpoint(
  files: ModelFiles,
  options: LoadCheckpointOptions = {},
): Promise<WeightStore> {
  const { variant } = options;
  const candidates = CANDIDATES.map((c) => ({ ...c, name: variantFileName(c.name, variant) }));
  for (const { name, format, sharded } of candidates) {
    if (!(await files.exists(name))) continue;
    return sharded ? openSharded(files, name, format) : openWeightFile(files, name, format);
  }
  let hint = '';
  if (variant) {
    const plain = [];
    for (const { name } of CANDIDATES) if (await files.exists(name)) plain.push(name);
    if (plain.length > 0)
      hint = `; without the variant there is ${plain.join(', ')} (omit variant to use it)`;
  }
  throw new ModelNotFoundError(
    `${files.ref}: no weights found${variant ? ` for variant '${variant}'` : ''}; looked for ${candidates.map((c) => c.name).join(', ')}${hint}`,
  );
}
