import type { BackendModel, Device, DType, ProgressCallback, TowerRunOptions } from './backend.js';
import { loadCheckpoint } from './checkpoint.js';
import { AltCLIPConfig, AltCLIPTextConfig, AltCLIPVisionConfig } from './config.js';
import { ConfigError, InputError, NotSupportedError } from './errors.js';
import { computeHead } from './head.js';
import { openModel } from './hub.js';
import {
  type IdsInput,
  prepareTextInputs,
  prepareVisionInputs,
  type TextInputs,
  type VisionInputs,
} from './inputs.js';
import type { ModelFiles, OpenModelOptions } from './model-files.js';
import type { AltCLIPOutput, AltCLIPTextOutput, AltCLIPVisionOutput } from './outputs.js';
import { createRandomWeights } from './random-weights.js';
import { resolveBackend } from './registry.js';
import type { Tensor } from './tensor.js';
import { remapCheckpoint, type Towers } from './weight-keys.js';
import type { WeightStore } from './weights.js';

export interface ModelLoadOptions {
  /** Registered backend name ('ort-node', 'ort-web', 'tfjs'); default: the best registered one. */
  backend?: string;
  device?: Device;
  dtype?: DType;
  /** Writable folder for converted weights and built graphs. */
  cacheDir?: string;
  onProgress?: ProgressCallback;
  /** Passed to the backend as is. */
  backendOptions?: Record<string, unknown>;
}

/** Options of the model classes' `fromFiles`. */
export interface ModelFromFilesOptions extends ModelLoadOptions {
  /** Weights variant as transformers names it: 'fp16' → model.fp16.safetensors. */
  variant?: string;
}

export interface FromPretrainedOptions extends ModelFromFilesOptions, Omit<OpenModelOptions, 'cacheDir'> {
  /** The Hugging Face hub cache folder (OpenModelOptions.cacheDir). */
  hubCacheDir?: string;
}

export interface OutputOptions {
  outputHiddenStates?: boolean;
  outputAttentions?: boolean;
}

export type TextForwardInputs = TextInputs & OutputOptions;
export type VisionForwardInputs = VisionInputs & OutputOptions;
export type ForwardInputs = TextInputs & Partial<VisionInputs> & OutputOptions & { returnLoss?: boolean };

/** Reads a config.json of any AltCLIP class into a full AltCLIPConfig (the missing tower keeps its defaults). */
export function configFromJSON(json: Record<string, unknown>): AltCLIPConfig {
  switch (json.model_type) {
    case AltCLIPTextConfig.modelType:
      return new AltCLIPConfig({ textConfig: AltCLIPTextConfig.fromJSON(json) });
    case AltCLIPVisionConfig.modelType:
      return new AltCLIPConfig({ visionConfig: AltCLIPVisionConfig.fromJSON(json) });
    case AltCLIPConfig.modelType:
    case undefined:
      return AltCLIPConfig.fromJSON(json);
    default:
      throw new ConfigError(
        'model_type',
        `expected an AltCLIP config, got ${JSON.stringify(json.model_type)}`,
      );
  }
}

function runOptions(options: OutputOptions): TowerRunOptions {
  return {
    outputHiddenStates: options.outputHiddenStates ?? false,
    outputAttentions: options.outputAttentions ?? false,
  };
}

/** Everything a loaded model holds; shared by the three model classes. */
class LoadedModel {
  constructor(
    readonly config: AltCLIPConfig,
    readonly backendName: string,
    readonly device: Device,
    readonly dtype: DType,
    readonly runner: BackendModel,
    readonly weights: WeightStore,
    readonly logitScale: number | undefined,
  ) {}

  /** Builds the model on a backend; the checkpoint is closed again if anything on the way fails. */
  static async load(
    config: AltCLIPConfig,
    checkpoint: WeightStore,
    towers: Towers,
    options: ModelLoadOptions & { files?: ModelFiles },
  ): Promise<LoadedModel> {
    try {
      if (towers.text && config.textConfig.positionEmbeddingType !== 'absolute') {
        throw new NotSupportedError(
          `position_embedding_type '${config.textConfig.positionEmbeddingType}' is not supported yet; only 'absolute' is implemented`,
        );
      }
      const weights = remapCheckpoint(checkpoint, towers, config);
      const { name, backend, capabilities } = await resolveBackend(options.backend, {
        device: options.device,
        dtype: options.dtype,
      });
      const device = options.device ?? capabilities.devices[0];
      const dtype = options.dtype ?? 'fp32';
      let logitScale: number | undefined;
      if (towers.text && towers.vision && towers.withProjection) {
        logitScale = (await weights.getFloat32('logit_scale')).data[0];
      }
      const runner = await backend.loadModel({
        config,
        weights,
        towers,
        device,
        dtype,
        files: options.files,
        cacheDir: options.cacheDir,
        onProgress: options.onProgress,
        backendOptions: options.backendOptions,
      });
      return new LoadedModel(config, name, device, dtype, runner, weights, logitScale);
    } catch (error) {
      await checkpoint.close();
      throw error;
    }
  }

  async text(
    inputs: TextForwardInputs,
  ): Promise<{ output: AltCLIPTextOutput; features?: Tensor<'float32'> }> {
    const prepared = prepareTextInputs(this.config.textConfig, inputs);
    const result = await this.runner.runText(prepared, runOptions(inputs));
    return {
      output: {
        lastHiddenState: result.lastHiddenState,
        poolerOutput: result.poolerOutput,
        projectionState: result.lastHiddenState,
        hiddenStates: result.hiddenStates ? [...result.hiddenStates] : undefined,
        attentions: result.attentions ? [...result.attentions] : undefined,
      },
      features: result.features,
    };
  }

  async vision(
    inputs: VisionForwardInputs,
  ): Promise<{ output: AltCLIPVisionOutput; features?: Tensor<'float32'> }> {
    const prepared = prepareVisionInputs(this.config.visionConfig, inputs);
    const result = await this.runner.runVision(prepared, runOptions(inputs));
    return {
      output: {
        lastHiddenState: result.lastHiddenState,
        poolerOutput: result.poolerOutput,
        hiddenStates: result.hiddenStates ? [...result.hiddenStates] : undefined,
        attentions: result.attentions ? [...result.attentions] : undefined,
      },
      features: result.features,
    };
  }

  async dispose(): Promise<void> {
    await this.runner.dispose();
    await this.weights.close();
  }
}

function openPretrained(ref: string, options: FromPretrainedOptions): Promise<ModelFiles> {
  return openModel(ref, { ...options, cacheDir: options.hubCacheDir });
}

/** Loads config and checkpoint of opened model files into the given towers. */
async function loadFiles(
  files: ModelFiles,
  towers: Towers,
  options: ModelFromFilesOptions,
): Promise<LoadedModel> {
  const config = configFromJSON(await files.readJSON<Record<string, unknown>>('config.json'));
  const weights = await loadCheckpoint(files, { variant: options.variant });
  return LoadedModel.load(config, weights, towers, { ...options, files });
}

async function randomWeights(config: AltCLIPConfig, seed: number): Promise<WeightStore> {
  return createRandomWeights(config, { seed });
}

abstract class ModelBase {
  protected constructor(protected readonly loaded: LoadedModel) {}

  get config(): AltCLIPConfig {
    return this.loaded.config;
  }
  /** The registered backend name this model runs on. */
  get backend(): string {
    return this.loaded.backendName;
  }
  /** The device the model runs on: the requested one, unless the backend had to fall back. */
  get device(): Device {
    return this.loaded.runner.device ?? this.loaded.device;
  }
  get dtype(): DType {
    return this.loaded.dtype;
  }
  /** The backend's own model object, for backend-specific APIs such as backend-tfjs's trainer. */
  get backendModel(): BackendModel {
    return this.loaded.runner;
  }

  /** Releases the backend's sessions / tensors and the checkpoint's file handles. */
  dispose(): Promise<void> {
    return this.loaded.dispose();
  }
}

/** The dual encoder (transformers' `AltCLIPModel`). */
export class AltCLIPModel extends ModelBase {
  static readonly towers: Towers = { text: true, vision: true, withProjection: true };

  static async fromPretrained(ref: string, options: FromPretrainedOptions = {}): Promise<AltCLIPModel> {
    return AltCLIPModel.fromFiles(await openPretrained(ref, options), options);
  }

  /** From model files already opened (e.g. shared with a processor: one hub look-up for both). */
  static async fromFiles(files: ModelFiles, options: ModelFromFilesOptions = {}): Promise<AltCLIPModel> {
    return new AltCLIPModel(await loadFiles(files, AltCLIPModel.towers, options));
  }

  /** A model with random weights initialised as transformers does (`AltCLIPModel(config)`). */
  static async fromConfig(
    config: AltCLIPConfig,
    options: ModelLoadOptions & { seed?: number } = {},
  ): Promise<AltCLIPModel> {
    return AltCLIPModel.fromWeights(config, await randomWeights(config, options.seed ?? 0), options);
  }

  /**
   * A model from a config and any weight store (keys as in an AltCLIPModel checkpoint). The model owns the
   * store: `dispose()` closes it, and so does a failed load.
   */
  static async fromWeights(
    config: AltCLIPConfig,
    weights: WeightStore,
    options: ModelLoadOptions = {},
  ): Promise<AltCLIPModel> {
    return new AltCLIPModel(await LoadedModel.load(config, weights, AltCLIPModel.towers, options));
  }

  /** `exp(logit_scale)` as stored in the weights. */
  get logitScale(): number {
    return Math.exp(this.loaded.logitScale!);
  }

  async forward(inputs: ForwardInputs): Promise<AltCLIPOutput> {
    if (!inputs.pixelValues)
      throw new InputError('AltCLIPModel.forward needs pixelValues as well as text inputs');
    const visionInputs = { ...inputs, pixelValues: inputs.pixelValues };
    const [text, vision] = await Promise.all([this.loaded.text(inputs), this.loaded.vision(visionInputs)]);
    const head = computeHead(
      text.features!,
      vision.features!,
      this.loaded.logitScale!,
      inputs.returnLoss ?? false,
    );
    return { ...head, textModelOutput: text.output, visionModelOutput: vision.output };
  }

  /** `text_projection(pooler_output)`, not normalised, `[B, projection_dim]`. */
  async getTextFeatures(inputs: TextInputs): Promise<Tensor<'float32'>> {
    return (await this.loaded.text(inputs)).features!;
  }

  /** `visual_projection(pooler_output)`, not normalised, `[B, projection_dim]`. */
  async getImageFeatures(inputs: VisionInputs): Promise<Tensor<'float32'>> {
    return (await this.loaded.vision(inputs)).features!;
  }
}

/** The text tower alone (transformers' `AltCLIPTextModel`); loads from its own or a full AltCLIPModel checkpoint. */
export class AltCLIPTextModel extends ModelBase {
  static readonly towers: Towers = { text: true, vision: false, withProjection: false };

  static async fromPretrained(ref: string, options: FromPretrainedOptions = {}): Promise<AltCLIPTextModel> {
    return AltCLIPTextModel.fromFiles(await openPretrained(ref, options), options);
  }

  /** From model files already opened (e.g. shared with a processor: one hub look-up for both). */
  static async fromFiles(files: ModelFiles, options: ModelFromFilesOptions = {}): Promise<AltCLIPTextModel> {
    return new AltCLIPTextModel(await loadFiles(files, AltCLIPTextModel.towers, options));
  }

  static async fromConfig(
    config: AltCLIPTextConfig,
    options: ModelLoadOptions & { seed?: number } = {},
  ): Promise<AltCLIPTextModel> {
    const full = new AltCLIPConfig({ textConfig: config });
    return AltCLIPTextModel.fromWeights(config, await randomWeights(full, options.seed ?? 0), options);
  }

  static async fromWeights(
    config: AltCLIPTextConfig,
    weights: WeightStore,
    options: ModelLoadOptions = {},
  ): Promise<AltCLIPTextModel> {
    const full = new AltCLIPConfig({ textConfig: config });
    return new AltCLIPTextModel(await LoadedModel.load(full, weights, AltCLIPTextModel.towers, options));
  }

  forward(inputs: TextForwardInputs): Promise<AltCLIPTextOutput> {
    return this.loaded.text(inputs).then((result) => result.output);
  }
}

/** The image tower alone (transformers' `AltCLIPVisionModel`). */
export class AltCLIPVisionModel extends ModelBase {
  static readonly towers: Towers = { text: false, vision: true, withProjection: false };

  static async fromPretrained(ref: string, options: FromPretrainedOptions = {}): Promise<AltCLIPVisionModel> {
    return AltCLIPVisionModel.fromFiles(await openPretrained(ref, options), options);
  }

  /** From model files already opened (e.g. shared with a processor: one hub look-up for both). */
  static async fromFiles(
    files: ModelFiles,
    options: ModelFromFilesOptions = {},
  ): Promise<AltCLIPVisionModel> {
    return new AltCLIPVisionModel(await loadFiles(files, AltCLIPVisionModel.towers, options));
  }

  static async fromConfig(
    config: AltCLIPVisionConfig,
    options: ModelLoadOptions & { seed?: number } = {},
  ): Promise<AltCLIPVisionModel> {
    const full = new AltCLIPConfig({ visionConfig: config });
    return AltCLIPVisionModel.fromWeights(config, await randomWeights(full, options.seed ?? 0), options);
  }

  static async fromWeights(
    config: AltCLIPVisionConfig,
    weights: WeightStore,
    options: ModelLoadOptions = {},
  ): Promise<AltCLIPVisionModel> {
    const full = new AltCLIPConfig({ visionConfig: config });
    return new AltCLIPVisionModel(await LoadedModel.load(full, weights, AltCLIPVisionModel.towers, options));
  }

  forward(inputs: VisionForwardInputs): Promise<AltCLIPVisionOutput> {
    return this.loaded.vision(inputs).then((result) => result.output);
  }
}

export type { IdsInput };
