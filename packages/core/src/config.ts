import { ConfigError } from './errors.js';

type JsonObject = Record<string, unknown>;

/** Activations transformers' ACT2FN offers for these towers. */
export const SUPPORTED_ACTIVATIONS = [
  'gelu',
  'gelu_new',
  'gelu_fast',
  'gelu_pytorch_tanh',
  'quick_gelu',
  'relu',
  'silu',
  'swish',
  'tanh',
] as const;
export type Activation = (typeof SUPPORTED_ACTIVATIONS)[number];

export type PositionEmbeddingType = 'absolute' | 'relative_key' | 'relative_key_query';

const snakeCase = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Shared config.json handling: known fields are camelCase properties, every other key of the file is
 * kept verbatim in `extra` so that a load / save round trip loses nothing.
 */
abstract class ConfigBase {
  /** Keys of config.json that this class does not model, kept for the round trip. */
  extra: JsonObject = {};

  protected abstract fieldNames(): readonly string[];

  protected assignFromJSON(json: JsonObject): void {
    const known = new Map(this.fieldNames().map((name) => [snakeCase(name), name]));
    for (const [key, value] of Object.entries(json)) {
      const field = known.get(key);
      if (field === undefined) this.extra[key] = value;
      else if (value !== undefined) (this as unknown as JsonObject)[field] = value;
    }
  }

  protected fieldsToJSON(): JsonObject {
    const out: JsonObject = { ...this.extra };
    for (const name of this.fieldNames()) out[snakeCase(name)] = (this as unknown as JsonObject)[name];
    return out;
  }
}

function positiveInteger(config: object, field: string, prefix: string): void {
  const value = (config as JsonObject)[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ConfigError(
      `${prefix}${snakeCase(field)}`,
      `must be a positive integer, got ${JSON.stringify(value)}`,
    );
  }
}

function nonNegativeNumber(config: object, field: string, prefix: string): void {
  const value = (config as JsonObject)[field];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(
      `${prefix}${snakeCase(field)}`,
      `must be a non-negative number, got ${JSON.stringify(value)}`,
    );
  }
}

function knownActivation(value: unknown, field: string): void {
  if (!SUPPORTED_ACTIVATIONS.includes(value as Activation)) {
    throw new ConfigError(
      field,
      `unknown activation ${JSON.stringify(value)}; expected one of ${SUPPORTED_ACTIVATIONS.join(', ')}`,
    );
  }
}

function divisibleHeads(hidden: number, heads: number, prefix: string): void {
  if (hidden % heads !== 0) {
    throw new ConfigError(
      `${prefix}hidden_size`,
      `${hidden} is not a multiple of num_attention_heads (${heads})`,
    );
  }
}

/** The XLM-RoBERTa text tower (transformers' `AltCLIPTextConfig`), with its defaults. */
export class AltCLIPTextConfig extends ConfigBase {
  static readonly modelType = 'altclip_text_model';
  vocabSize = 250002;
  hiddenSize = 1024;
  numHiddenLayers = 24;
  numAttentionHeads = 16;
  intermediateSize = 4096;
  hiddenAct: Activation = 'gelu';
  hiddenDropoutProb = 0.1;
  attentionProbsDropoutProb = 0.1;
  maxPositionEmbeddings = 514;
  typeVocabSize = 1;
  initializerRange = 0.02;
  initializerFactor = 0.02;
  layerNormEps = 1e-5;
  padTokenId = 1;
  bosTokenId = 0;
  eosTokenId = 2;
  positionEmbeddingType: PositionEmbeddingType = 'absolute';
  useCache = true;
  projectDim = 768;

  constructor(fields: Partial<Omit<AltCLIPTextConfig, 'extra'>> = {}) {
    super();
    Object.assign(this, fields);
    this.validate();
  }

  protected fieldNames(): readonly string[] {
    return TEXT_FIELDS;
  }

  static fromJSON(json: JsonObject): AltCLIPTextConfig {
    const config = Object.create(AltCLIPTextConfig.prototype) as AltCLIPTextConfig;
    Object.assign(config, new AltCLIPTextConfig());
    config.extra = {};
    config.assignFromJSON(json);
    config.validate();
    return config;
  }

  toJSON(): JsonObject {
    return { ...this.fieldsToJSON(), model_type: AltCLIPTextConfig.modelType };
  }

  /** Real tokens a sequence may hold, `<s>` and `</s>` included: positions start after the pad id. */
  get maxTokens(): number {
    return this.maxPositionEmbeddings - this.padTokenId - 1;
  }

  get headDim(): number {
    return this.hiddenSize / this.numAttentionHeads;
  }

  validate(prefix = 'text_config.'): void {
    for (const f of [
      'vocabSize',
      'hiddenSize',
      'numHiddenLayers',
      'numAttentionHeads',
      'intermediateSize',
      'maxPositionEmbeddings',
      'typeVocabSize',
      'projectDim',
    ]) {
      positiveInteger(this, f, prefix);
    }
    for (const f of ['hiddenDropoutProb', 'attentionProbsDropoutProb', 'layerNormEps'])
      nonNegativeNumber(this, f, prefix);
    divisibleHeads(this.hiddenSize, this.numAttentionHeads, prefix);
    knownActivation(this.hiddenAct, `${prefix}hidden_act`);
    if (!['absolute', 'relative_key', 'relative_key_query'].includes(this.positionEmbeddingType)) {
      throw new ConfigError(
        `${prefix}position_embedding_type`,
        `unknown value ${JSON.stringify(this.positionEmbeddingType)}`,
      );
    }
    if (
      !Number.isInteger(this.padTokenId) ||
      this.padTokenId < 0 ||
      this.padTokenId >= this.maxPositionEmbeddings
    ) {
      throw new ConfigError(
        `${prefix}pad_token_id`,
        `must be an integer in [0, max_position_embeddings), got ${this.padTokenId}`,
      );
    }
  }
}

/** The CLIP ViT image tower (transformers' `AltCLIPVisionConfig`), with its defaults. */
export class AltCLIPVisionConfig extends ConfigBase {
  static readonly modelType = 'altclip_vision_model';
  hiddenSize = 768;
  intermediateSize = 3072;
  projectionDim = 512;
  numHiddenLayers = 12;
  numAttentionHeads = 12;
  numChannels = 3;
  imageSize = 224;
  patchSize = 32;
  hiddenAct: Activation = 'quick_gelu';
  layerNormEps = 1e-5;
  attentionDropout = 0.0;
  initializerRange = 0.02;
  initializerFactor = 1.0;

  constructor(fields: Partial<Omit<AltCLIPVisionConfig, 'extra'>> = {}) {
    super();
    Object.assign(this, fields);
    this.validate();
  }

  protected fieldNames(): readonly string[] {
    return VISION_FIELDS;
  }

  static fromJSON(json: JsonObject): AltCLIPVisionConfig {
    const config = Object.create(AltCLIPVisionConfig.prototype) as AltCLIPVisionConfig;
    Object.assign(config, new AltCLIPVisionConfig());
    config.extra = {};
    config.assignFromJSON(json);
    config.validate();
    return config;
  }

  toJSON(): JsonObject {
    return { ...this.fieldsToJSON(), model_type: AltCLIPVisionConfig.modelType };
  }

  /** Patches per side at the native image size. */
  get gridSize(): number {
    return Math.floor(this.imageSize / this.patchSize);
  }

  /** Tokens at the native image size: the class token plus one per patch. */
  get numPositions(): number {
    return this.gridSize ** 2 + 1;
  }

  get headDim(): number {
    return this.hiddenSize / this.numAttentionHeads;
  }

  validate(prefix = 'vision_config.'): void {
    for (const f of [
      'hiddenSize',
      'intermediateSize',
      'projectionDim',
      'numHiddenLayers',
      'numAttentionHeads',
      'numChannels',
      'imageSize',
      'patchSize',
    ]) {
      positiveInteger(this, f, prefix);
    }
    for (const f of ['attentionDropout', 'layerNormEps']) nonNegativeNumber(this, f, prefix);
    divisibleHeads(this.hiddenSize, this.numAttentionHeads, prefix);
    knownActivation(this.hiddenAct, `${prefix}hidden_act`);
    if (this.patchSize > this.imageSize) {
      throw new ConfigError(
        `${prefix}patch_size`,
        `${this.patchSize} is larger than image_size (${this.imageSize})`,
      );
    }
  }
}

/** The dual encoder (transformers' `AltCLIPConfig`). */
export class AltCLIPConfig extends ConfigBase {
  static readonly modelType = 'altclip';
  textConfig: AltCLIPTextConfig;
  visionConfig: AltCLIPVisionConfig;
  projectionDim = 768;
  logitScaleInitValue = 2.6592;
  initializerFactor = 1.0;

  constructor(
    fields: Partial<Pick<AltCLIPConfig, 'projectionDim' | 'logitScaleInitValue' | 'initializerFactor'>> & {
      textConfig?: AltCLIPTextConfig;
      visionConfig?: AltCLIPVisionConfig;
    } = {},
  ) {
    super();
    const { textConfig, visionConfig, ...rest } = fields;
    this.textConfig = textConfig ?? new AltCLIPTextConfig();
    this.visionConfig = visionConfig ?? new AltCLIPVisionConfig();
    Object.assign(this, rest);
    this.validate();
  }

  protected fieldNames(): readonly string[] {
    return TOP_FIELDS;
  }

  static fromTextVisionConfigs(
    textConfig: AltCLIPTextConfig,
    visionConfig: AltCLIPVisionConfig,
    fields: Partial<Pick<AltCLIPConfig, 'projectionDim' | 'logitScaleInitValue' | 'initializerFactor'>> = {},
  ): AltCLIPConfig {
    return new AltCLIPConfig({ ...fields, textConfig, visionConfig });
  }

  /**
   * Reads a config.json object. As transformers does, the legacy `text_config_dict` / `vision_config_dict`
   * keys are merged over `text_config` / `vision_config` (their values win) and not written back.
   */
  static fromJSON(json: JsonObject): AltCLIPConfig {
    const { text_config, vision_config, text_config_dict, vision_config_dict, ...top } = json;
    const asObject = (value: unknown, field: string): JsonObject => {
      if (value === undefined || value === null) return {};
      if (typeof value !== 'object' || Array.isArray(value))
        throw new ConfigError(field, 'must be an object');
      return value as JsonObject;
    };
    const textJson = {
      ...asObject(text_config, 'text_config'),
      ...asObject(text_config_dict, 'text_config_dict'),
    };
    const visionJson = {
      ...asObject(vision_config, 'vision_config'),
      ...asObject(vision_config_dict, 'vision_config_dict'),
    };
    const config = Object.create(AltCLIPConfig.prototype) as AltCLIPConfig;
    Object.assign(config, {
      projectionDim: 768,
      logitScaleInitValue: 2.6592,
      initializerFactor: 1.0,
      extra: {},
    });
    config.textConfig = AltCLIPTextConfig.fromJSON(textJson);
    config.visionConfig = AltCLIPVisionConfig.fromJSON(visionJson);
    config.assignFromJSON(top);
    config.validate();
    return config;
  }

  toJSON(): JsonObject {
    return {
      ...this.fieldsToJSON(),
      model_type: AltCLIPConfig.modelType,
      text_config: this.textConfig.toJSON(),
      vision_config: this.visionConfig.toJSON(),
    };
  }

  validate(): void {
    positiveInteger(this, 'projectionDim', '');
    if (typeof this.logitScaleInitValue !== 'number' || !Number.isFinite(this.logitScaleInitValue)) {
      throw new ConfigError(
        'logit_scale_init_value',
        `must be a finite number, got ${JSON.stringify(this.logitScaleInitValue)}`,
      );
    }
    this.textConfig.validate();
    this.visionConfig.validate();
  }
}

const TEXT_FIELDS = Object.keys(
  new (class extends AltCLIPTextConfig {
    override validate(): void {}
  })(),
).filter((k) => k !== 'extra');
const VISION_FIELDS = Object.keys(
  new (class extends AltCLIPVisionConfig {
    override validate(): void {}
  })(),
).filter((k) => k !== 'extra');
const TOP_FIELDS = ['projectionDim', 'logitScaleInitValue', 'initializerFactor'];
