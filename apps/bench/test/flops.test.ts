import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromJSON } from '@altclip/core';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../tools/fixtures.js';
import { imageFlops, parameterCount, textFlops } from '../src/flops.js';
import { presetConfig } from '../src/presets.js';

// Anchor figures of the fixture README, section "altclip-large-config".
describe('analytic FLOPs of the BAAI/AltCLIP shapes', () => {
  const large = presetConfig('large');

  it('counts 162.0 GFLOP per 224px image', () => {
    expect(imageFlops(large) / 1e9).toBeCloseTo(162.0, 1);
  });

  it('counts 9.72 GFLOP per 16-token text and 77.7 GFLOP for eight', () => {
    expect(textFlops(large, 16) / 1e9).toBeCloseTo(9.72, 2);
    expect((8 * textFlops(large, 16)) / 1e9).toBeCloseTo(77.7, 1);
  });

  it('counts 864,186,113 parameters', () => {
    expect(parameterCount(large)).toBe(864_186_113);
  });

  it('grows with the sequence length as the per-layer formula says', () => {
    const text = large.textConfig;
    const macs = (l: number) =>
      text.numHiddenLayers *
        (4 * l * text.hiddenSize ** 2 +
          2 * l ** 2 * text.hiddenSize +
          2 * l * text.hiddenSize * text.intermediateSize) +
      l * text.hiddenSize * text.projectDim +
      text.projectDim * large.projectionDim;
    for (const length of [2, 16, 77, 512]) expect(textFlops(large, length)).toBe(2 * macs(length));
  });
});

describe('presets', () => {
  const largeConfig = fixturePath('models', 'altclip-large-config', 'config.json');

  it.skipIf(!largeConfig)('large has the shapes of the fixture config of BAAI/AltCLIP', () => {
    const expected = configFromJSON(JSON.parse(readFileSync(largeConfig!, 'utf8'))).toJSON();
    const actual = presetConfig('large').toJSON();
    const shapeKeys = (json: Record<string, unknown>) => {
      const { text_config, vision_config, projection_dim } = json as Record<string, Record<string, unknown>>;
      return { projection_dim, text: text_config, vision: vision_config };
    };
    // The keys that affect the computation, as the fixture README lists them.
    const textKeys = [
      'vocab_size',
      'hidden_size',
      'num_hidden_layers',
      'num_attention_heads',
      'intermediate_size',
      'hidden_act',
      'max_position_embeddings',
      'type_vocab_size',
      'layer_norm_eps',
      'pad_token_id',
      'project_dim',
    ];
    const visionKeys = [
      'hidden_size',
      'intermediate_size',
      'num_hidden_layers',
      'num_attention_heads',
      'num_channels',
      'image_size',
      'patch_size',
      'hidden_act',
      'layer_norm_eps',
    ];
    const pick = (tower: Record<string, unknown>, keys: string[]) =>
      Object.fromEntries(keys.map((key) => [key, tower[key]]));
    const a = shapeKeys(actual);
    const e = shapeKeys(expected);
    expect(a.projection_dim).toBe(e.projection_dim);
    expect(pick(a.text, textKeys)).toEqual(pick(e.text, textKeys));
    expect(pick(a.vision, visionKeys)).toEqual(pick(e.vision, visionKeys));
  });

  const tinyConfig = fixturePath('models', 'tiny-altclip', 'config.json');

  it.skipIf(!tinyConfig)('tiny has the shapes of the tiny fixture (used when the fixture is absent)', () => {
    const expected = configFromJSON(JSON.parse(readFileSync(join(tinyConfig!), 'utf8')));
    const actual = presetConfig('tiny');
    expect(imageFlops(actual)).toBe(imageFlops(expected));
    expect(textFlops(actual, 9)).toBe(textFlops(expected, 9));
    expect(parameterCount(actual)).toBe(parameterCount(expected));
  });

  it('base is smaller than large and larger than tiny', () => {
    const flops = (preset: 'tiny' | 'base' | 'large') =>
      imageFlops(presetConfig(preset)) + textFlops(presetConfig(preset), 16);
    expect(flops('tiny')).toBeLessThan(flops('base'));
    expect(flops('base')).toBeLessThan(flops('large'));
    // ViT-B/32 at 224: the usual "4.4 GFLOPs" of CLIP ViT-B/32 counts multiply-accumulates; 2 per MAC here.
    expect(imageFlops(presetConfig('base')) / 1e9 / 2).toBeCloseTo(4.4, 1);
  });
});
