import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  AltCLIPConfig,
  AltCLIPTextConfig,
  AltCLIPVisionConfig,
  configFromJSON,
  openModel,
  writeRandomCheckpoint,
} from '@altclip/core';

export const PRESETS = ['tiny', 'base', 'large'] as const;
export type Preset = (typeof PRESETS)[number];

/** Where the project keeps its reference data: `../shared/fixtures` beside the repository root. */
const FIXTURES_DIR = resolve(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures');
export const TINY_FIXTURE_DIR = join(FIXTURES_DIR, 'models', 'tiny-altclip');

/**
 * Shapes of each preset, in code so that no preset needs the fixtures or a download.
 * `large` is BAAI/AltCLIP: core's defaults are XLM-R large already, the vision tower becomes ViT-L/14.
 * `base` is a ViT-B/32 image tower with a 12-layer, 768-wide XLM-R text tower (XLM-R base), the full vocabulary.
 * `tiny` repeats the shapes of the tiny-altclip fixture (used with its real weights when the fixture is present).
 */
export function presetConfig(preset: Preset): AltCLIPConfig {
  switch (preset) {
    case 'large':
      return new AltCLIPConfig({
        projectionDim: 768,
        textConfig: new AltCLIPTextConfig(),
        visionConfig: new AltCLIPVisionConfig({
          hiddenSize: 1024,
          intermediateSize: 4096,
          numHiddenLayers: 24,
          numAttentionHeads: 16,
          patchSize: 14,
          projectionDim: 768,
        }),
      });
    case 'base':
      return new AltCLIPConfig({
        projectionDim: 512,
        textConfig: new AltCLIPTextConfig({
          hiddenSize: 768,
          numHiddenLayers: 12,
          numAttentionHeads: 12,
          intermediateSize: 3072,
          projectDim: 768,
        }),
        visionConfig: new AltCLIPVisionConfig(),
      });
    case 'tiny':
      return new AltCLIPConfig({
        projectionDim: 16,
        textConfig: new AltCLIPTextConfig({
          vocabSize: 8002,
          hiddenSize: 32,
          numHiddenLayers: 2,
          numAttentionHeads: 4,
          intermediateSize: 37,
          maxPositionEmbeddings: 40,
          projectDim: 24,
        }),
        visionConfig: new AltCLIPVisionConfig({
          hiddenSize: 32,
          intermediateSize: 37,
          numHiddenLayers: 2,
          numAttentionHeads: 4,
          imageSize: 30,
          patchSize: 6,
          projectionDim: 16,
        }),
      });
  }
}

export interface ModelSpec {
  /** What the user asked for: a preset name, a folder or a hub id. */
  ref: string;
  preset: Preset | null;
  /** What the workers pass to `fromPretrained` (a folder or a hub id), or undefined for in-memory random weights. */
  pretrained?: string;
  config: AltCLIPConfig;
  /** Seed of the random weights; null for real checkpoints. */
  seed: number | null;
  /** The tiny fixture's goldens folder, when the model is the tiny fixture. */
  goldenDir?: string;
}

export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'altclip', 'bench');
}

async function readConfig(ref: string): Promise<AltCLIPConfig> {
  if (existsSync(ref)) return configFromJSON(JSON.parse(readFileSync(join(ref, 'config.json'), 'utf8')));
  return configFromJSON(await (await openModel(ref)).readJSON<Record<string, unknown>>('config.json'));
}

/**
 * Resolves `--model`: a preset (tiny, base, large), a local folder or a hub id. Random presets are written to
 * `cacheDir` on first use (the reference always runs in Node, from the files).
 */
export async function resolveModel(
  ref: string,
  options: { seed: number; cacheDir: string },
): Promise<ModelSpec> {
  if ((PRESETS as readonly string[]).includes(ref)) {
    const preset = ref as Preset;
    if (preset === 'tiny' && existsSync(join(TINY_FIXTURE_DIR, 'config.json'))) {
      return {
        ref,
        preset,
        pretrained: TINY_FIXTURE_DIR,
        config: await readConfig(TINY_FIXTURE_DIR),
        seed: null,
        goldenDir: join(TINY_FIXTURE_DIR, 'golden'),
      };
    }
    const config = presetConfig(preset);
    // Written once (core reuses the files for the same config and seed), so that onnxruntime maps them from disk.
    const dir = join(options.cacheDir, `${preset}-seed${options.seed}`);
    await writeRandomCheckpoint(config, dir, { seed: options.seed });
    return { ref, preset, pretrained: dir, config, seed: options.seed };
  }
  const config = await readConfig(ref);
  const isTinyFixture = existsSync(ref) && resolve(ref) === TINY_FIXTURE_DIR;
  return {
    ref,
    preset: null,
    pretrained: existsSync(ref) ? resolve(ref) : ref,
    config,
    seed: null,
    goldenDir: isTinyFixture ? join(TINY_FIXTURE_DIR, 'golden') : undefined,
  };
}
