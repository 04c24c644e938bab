import type { AltCLIPConfig } from './config.js';
import { CheckpointError } from './errors.js';
import { openSafetensors, writeSafetensors } from './safetensors.js';
import { Tensor } from './tensor.js';
import { expectedWeightShapes } from './weight-keys.js';
import type { TensorInfo, TensorLocation, WeightStore } from './weights.js';

export interface RandomWeightsOptions {
  /** Seed of the generator; each tensor is drawn from (seed, key). Default 0. */
  seed?: number;
  /** Towers to create (default both); the projections come with their tower, logit_scale with both. */
  parts?: { text?: boolean; vision?: boolean };
}

/** How one tensor is initialised. */
type Init =
  | { readonly kind: 'normal'; readonly std: number; readonly zeroRow?: number }
  | { readonly kind: 'constant'; readonly value: number };

/** Bumped whenever the values generated for a (config, seed) change, so cached files are rewritten. */
const GENERATOR_VERSION = '1';

/**
 * The initialisation transformers' `AltCLIPModel(config)` applies (`AltCLIPPreTrainedModel._init_weights`).
 * The text tower is its own PreTrainedModel, initialised with the text config before the dual encoder, so
 * its Linear and Embedding weights use `text_config.initializer_factor` (the padding rows of the word and
 * position tables are zero). The vision tower and projections use the top-level `initializer_factor`:
 * CLIP's scaled normals for attention, MLP, embeddings and projections. LayerNorms are 1 / 0, biases 0.
 */
function initFor(config: AltCLIPConfig, key: string): Init {
  const t = config.textConfig;
  const v = config.visionConfig;
  const factor = config.initializerFactor;
  const zero: Init = { kind: 'constant', value: 0 };
  const one: Init = { kind: 'constant', value: 1 };
  if (key === 'logit_scale') return { kind: 'constant', value: config.logitScaleInitValue };
  if (key === 'text_projection.weight') return { kind: 'normal', std: t.projectDim ** -0.5 * factor };
  if (key === 'visual_projection.weight') return { kind: 'normal', std: v.hiddenSize ** -0.5 * factor };
  if (key.startsWith('text_model.')) {
    if (/(LayerNorm|pre_LN)\.weight$/.test(key)) return one;
    if (key.endsWith('.bias')) return zero;
    const std = t.initializerFactor;
    if (/embeddings\.(word|position)_embeddings\.weight$/.test(key)) {
      return { kind: 'normal', std, zeroRow: t.padTokenId };
    }
    return { kind: 'normal', std };
  }
  if (key.startsWith('vision_model.')) {
    if (/(layer_norm\d|pre_layrnorm|post_layernorm)\.weight$/.test(key)) return one;
    if (key.endsWith('.bias')) return zero;
    const width = v.hiddenSize;
    const deep = (2 * v.numHiddenLayers) ** -0.5;
    if (key.endsWith('embeddings.class_embedding')) return { kind: 'normal', std: width ** -0.5 * factor };
    if (/embeddings\.(patch|position)_embedding\.weight$/.test(key)) {
      return { kind: 'normal', std: v.initializerRange * factor };
    }
    if (/self_attn\.[qkv]_proj\.weight$/.test(key))
      return { kind: 'normal', std: width ** -0.5 * deep * factor };
    if (key.endsWith('self_attn.out_proj.weight')) return { kind: 'normal', std: width ** -0.5 * factor };
    if (key.endsWith('mlp.fc1.weight')) return { kind: 'normal', std: (2 * width) ** -0.5 * factor };
    if (key.endsWith('mlp.fc2.weight')) return { kind: 'normal', std: width ** -0.5 * deep * factor };
  }
  throw new CheckpointError('<random weights>', `no initialisation rule for '${key}'`);
}

/** A 32-bit hash of the seed and key (FNV-1a over UTF-16 code units, then a final avalanche). */
function hashKey(seed: number, key: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/**
 * Fills `out` with N(0, std) draws from a generator seeded by `state`. Hand-written (sfc32 + Box-Muller)
 * because it must be fast for 864M values and reproducible without a dependency; values are identical
 * wherever the JS engine's Math.log / Math.cos agree (V8 uses the same fdlibm port on every platform).
 */
function fillNormal(out: Float32Array, std: number, state: number): void {
  // splitmix32 expands the 32-bit key hash into sfc32's 128-bit state.
  let s = state >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  // sfc32, inlined in the loop below: a closure call per draw costs a third of the time.
  for (let i = 0; i < 12; i++) {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
  }
  const TWO_PI = 2 * Math.PI;
  for (let i = 0; i < out.length; i += 2) {
    let t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    // 1 - u keeps the logarithm's argument in (0, 1].
    const radius = std * Math.sqrt(-2 * Math.log(1 - (t >>> 0) / 4294967296));
    t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    const angle = (TWO_PI * (t >>> 0)) / 4294967296;
    out[i] = radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(angle);
  }
}

/**
 * Random AltCLIPModel weights, generated per tensor when asked for: nothing is held in memory, so the full
 * BAAI/AltCLIP shapes (864M parameters) cost only the tensor being read. Same config, seed and key give the
 * same values on every call.
 */
export class RandomWeightStore implements WeightStore {
  readonly seed: number;
  readonly #config: AltCLIPConfig;
  readonly #shapes: Map<string, number[]>;

  constructor(config: AltCLIPConfig, options: RandomWeightsOptions = {}) {
    const text = options.parts?.text ?? true;
    const vision = options.parts?.vision ?? true;
    this.seed = options.seed ?? 0;
    if (!Number.isInteger(this.seed))
      throw new CheckpointError('<random weights>', `seed must be an integer`);
    this.#config = config;
    this.#shapes = expectedWeightShapes(config, { text, vision, withProjection: true });
    // Fail at creation, not at the first read, if a key has no rule.
    for (const key of this.#shapes.keys()) initFor(config, key);
  }

  keys(): string[] {
    return [...this.#shapes.keys()];
  }

  info(key: string): TensorInfo | undefined {
    const shape = this.#shapes.get(key);
    return shape && { dtype: 'float32', shape };
  }

  async get(key: string): Promise<Tensor<'float32'>> {
    const shape = this.#shapes.get(key);
    if (!shape) throw new CheckpointError('<random weights>', `no tensor '${key}'`);
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const init = initFor(this.#config, key);
    if (init.kind === 'constant') data.fill(init.value);
    else {
      fillNormal(data, init.std, hashKey(this.seed, key));
      if (init.zeroRow !== undefined && init.zeroRow < shape[0]) {
        const width = shape[1];
        data.fill(0, init.zeroRow * width, (init.zeroRow + 1) * width);
      }
    }
    return new Tensor('float32', data, shape);
  }

  getFloat32(key: string): Promise<Tensor<'float32'>> {
    return this.get(key);
  }

  location(): TensorLocation | undefined {
    return undefined;
  }

  async close(): Promise<void> {}
}

/** Random weights for every key of an `AltCLIPModel` state dict, initialised as transformers does. */
export function createRandomWeights(
  config: AltCLIPConfig,
  options: RandomWeightsOptions = {},
): RandomWeightStore {
  return new RandomWeightStore(config, options);
}

/** JSON with object keys sorted, so equal configs give equal text. */
function canonicalJSON(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJSON).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJSON(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface RandomCheckpoint {
  readonly dir: string;
  readonly configPath: string;
  readonly weightsPath: string;
  /** Whether the files were already there for this config and seed (nothing was written). */
  readonly reused: boolean;
}

/**
 * Writes `config.json` and a float32 `model.safetensors` of random weights into `dir` (Node), streaming one
 * tensor at a time. The header's `__metadata__` records the seed and a digest of the config, so a later call
 * with the same config and seed reuses the files instead of writing gigabytes again.
 */
export async function writeRandomCheckpoint(
  config: AltCLIPConfig,
  dir: string,
  options: { seed?: number } = {},
): Promise<RandomCheckpoint> {
  const { createHash } = await import('node:crypto');
  const { mkdir, readFile, writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const seed = options.seed ?? 0;
  const configJSON = { ...config.toJSON(), architectures: ['AltCLIPModel'], torch_dtype: 'float32' };
  const stamp: Record<string, string> = {
    format: 'pt',
    altclip_random_seed: String(seed),
    altclip_random_config: createHash('sha256').update(canonicalJSON(configJSON)).digest('hex'),
    altclip_random_generator: GENERATOR_VERSION,
  };
  const configPath = join(dir, 'config.json');
  const weightsPath = join(dir, 'model.safetensors');
  const configText = `${JSON.stringify(configJSON, null, 2)}\n`;
  const existing = await openSafetensors(weightsPath).catch(() => undefined);
  if (existing) {
    const matches = Object.entries(stamp).every(([k, v]) => existing.metadata[k] === v);
    await existing.close();
    const sameConfig = (await readFile(configPath, 'utf8').catch(() => undefined)) === configText;
    if (matches && sameConfig) return { dir, configPath, weightsPath, reused: true };
  }
  await mkdir(dir, { recursive: true });
  await writeSafetensors(weightsPath, createRandomWeights(config, { seed }), stamp);
  await writeFile(configPath, configText);
  return { dir, configPath, weightsPath, reused: false };
}
