import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../tools/fixtures.js';
import {
  AltCLIPConfig,
  AltCLIPTextConfig,
  AltCLIPVisionConfig,
  ConfigError,
  configFromJSON,
} from '../src/index.js';

const readJSON = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

describe('config defaults', () => {
  it('text config has the Hugging Face defaults', () => {
    const text = new AltCLIPTextConfig();
    expect(text.toJSON()).toMatchObject({
      vocab_size: 250002,
      hidden_size: 1024,
      num_hidden_layers: 24,
      num_attention_heads: 16,
      intermediate_size: 4096,
      hidden_act: 'gelu',
      hidden_dropout_prob: 0.1,
      attention_probs_dropout_prob: 0.1,
      max_position_embeddings: 514,
      type_vocab_size: 1,
      initializer_range: 0.02,
      initializer_factor: 0.02,
      layer_norm_eps: 1e-5,
      pad_token_id: 1,
      bos_token_id: 0,
      eos_token_id: 2,
      position_embedding_type: 'absolute',
      use_cache: true,
      project_dim: 768,
      model_type: 'altclip_text_model',
    });
    expect(text.maxTokens).toBe(512);
  });

  it('vision config has the Hugging Face defaults', () => {
    expect(new AltCLIPVisionConfig().toJSON()).toMatchObject({
      hidden_size: 768,
      intermediate_size: 3072,
      projection_dim: 512,
      num_hidden_layers: 12,
      num_attention_heads: 12,
      num_channels: 3,
      image_size: 224,
      patch_size: 32,
      hidden_act: 'quick_gelu',
      layer_norm_eps: 1e-5,
      attention_dropout: 0,
      initializer_range: 0.02,
      initializer_factor: 1.0,
      model_type: 'altclip_vision_model',
    });
  });

  it('top-level config has the defaults and combines tower configs', () => {
    const config = new AltCLIPConfig();
    expect(config.projectionDim).toBe(768);
    expect(config.logitScaleInitValue).toBe(2.6592);
    const text = new AltCLIPTextConfig({ hiddenSize: 64, numAttentionHeads: 4 });
    const vision = new AltCLIPVisionConfig({ imageSize: 64, patchSize: 16 });
    const combined = AltCLIPConfig.fromTextVisionConfigs(text, vision, { projectionDim: 32 });
    expect(combined.textConfig.hiddenSize).toBe(64);
    expect(combined.visionConfig.gridSize).toBe(4);
    expect(combined.toJSON()).toMatchObject({ projection_dim: 32, model_type: 'altclip' });
  });
});

describe('config.json round trip', () => {
  for (const name of ['tiny-altclip', 'altclip-large-config']) {
    it(`round-trips ${name}/config.json key for key`, () => {
      const path = fixturePath('models', name, 'config.json');
      if (!path) return expect.fail(`fixture models/${name}/config.json is missing`);
      const json = readJSON(path);
      const config = AltCLIPConfig.fromJSON(json);
      expect(JSON.parse(JSON.stringify(config.toJSON()))).toEqual(json);
    });
  }

  it('reads the fixture architecture', () => {
    const path = fixturePath('models', 'tiny-altclip', 'config.json');
    if (!path) return expect.fail('fixture missing');
    const config = AltCLIPConfig.fromJSON(readJSON(path));
    expect(config.textConfig.hiddenSize).toBe(32);
    expect(config.textConfig.maxTokens).toBe(38);
    expect(config.visionConfig.numPositions).toBe(26);
    expect(config.projectionDim).toBe(16);
  });

  it('merges legacy text_config_dict / vision_config_dict over text_config / vision_config', () => {
    const config = AltCLIPConfig.fromJSON({
      text_config: { hidden_size: 64, num_attention_heads: 4, project_dim: 32 },
      text_config_dict: { hidden_size: 128 },
      vision_config_dict: { image_size: 96, patch_size: 16 },
    });
    expect(config.textConfig.hiddenSize).toBe(128);
    expect(config.textConfig.projectDim).toBe(32);
    expect(config.visionConfig.imageSize).toBe(96);
    const json = config.toJSON();
    expect(json).not.toHaveProperty('text_config_dict');
    expect((json.text_config as Record<string, unknown>).hidden_size).toBe(128);
  });

  it('keeps unknown keys', () => {
    const config = AltCLIPConfig.fromJSON({ custom_flag: [1, 2], text_config: { my_key: 'x' } });
    const json = config.toJSON();
    expect(json.custom_flag).toEqual([1, 2]);
    expect((json.text_config as Record<string, unknown>).my_key).toBe('x');
  });

  it('reads tower configs on their own', () => {
    const text = configFromJSON({
      model_type: 'altclip_text_model',
      hidden_size: 64,
      num_attention_heads: 8,
    });
    expect(text.textConfig.hiddenSize).toBe(64);
    expect(() => configFromJSON({ model_type: 'bert' })).toThrow(ConfigError);
  });
});

describe('config validation', () => {
  const invalid: [string, () => unknown, string][] = [
    [
      'hidden size not divisible by heads',
      () => new AltCLIPTextConfig({ hiddenSize: 100, numAttentionHeads: 16 }),
      'text_config.hidden_size',
    ],
    [
      'patch larger than image',
      () => new AltCLIPVisionConfig({ imageSize: 16, patchSize: 32 }),
      'vision_config.patch_size',
    ],
    [
      'non-positive size',
      () => AltCLIPConfig.fromJSON({ vision_config: { num_hidden_layers: 0 } }),
      'vision_config.num_hidden_layers',
    ],
    [
      'unknown activation',
      () => AltCLIPConfig.fromJSON({ text_config: { hidden_act: 'mish2' } }),
      'text_config.hidden_act',
    ],
    ['negative projection', () => AltCLIPConfig.fromJSON({ projection_dim: -3 }), 'projection_dim'],
    ['fractional size', () => new AltCLIPTextConfig({ vocabSize: 10.5 }), 'text_config.vocab_size'],
  ];
  for (const [what, make, field] of invalid) {
    it(`rejects ${what} naming ${field}`, () => {
      let error: unknown;
      try {
        make();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).field).toBe(field);
      expect((error as ConfigError).message).toContain(field);
    });
  }

  it('loads relative position embedding types (the model refuses them later)', () => {
    for (const type of ['relative_key', 'relative_key_query']) {
      const config = AltCLIPConfig.fromJSON({ text_config: { position_embedding_type: type } });
      expect(config.textConfig.positionEmbeddingType).toBe(type);
    }
  });
});
