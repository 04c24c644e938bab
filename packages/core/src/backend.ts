import type { AltCLIPConfig } from './config.js';
import type { Tensor } from './tensor.js';
import type { WeightStore } from './weights.js';

export type Device = 'cpu' | 'wasm' | 'cuda' | 'webgpu' | 'webgl';
export type DType = 'fp32' | 'fp16' | 'int8';

export interface BackendCapabilities {
  /** Devices usable in this runtime, best first. */
  readonly devices: readonly Device[];
  readonly dtypes: readonly DType[];
  /** Whether the backend can differentiate the loss (training). */
  readonly gradients: boolean;
}

export interface ProgressEvent {
  /** What is happening: 'download', 'build', 'load', 'convert', ... */
  readonly stage: string;
  /** File or item being worked on. */
  readonly item?: string;
  readonly loaded: number;
  readonly total?: number;
}
export type ProgressCallback = (event: ProgressEvent) => void;

/** Files of a model reference that a backend may use besides the weights (ready-made ONNX exports). */
export interface ModelFileAccess {
  /** A local path to the file when it exists in the model (downloading it first for hub ids), else undefined. */
  localPath(name: string): Promise<string | undefined>;
  /** The file's bytes when it exists, else undefined. */
  readBytes(name: string): Promise<Uint8Array | undefined>;
}

export interface LoadRequest {
  readonly config: AltCLIPConfig;
  /** Weights keyed by the full `AltCLIPModel` state-dict names (`text_model.…`, `vision_model.…`, projections). */
  readonly weights: WeightStore;
  /** Which towers to prepare; projections come with a tower when `withProjection` is set. */
  readonly towers: { readonly text: boolean; readonly vision: boolean; readonly withProjection: boolean };
  readonly device: Device;
  readonly dtype: DType;
  /** The model's other files (for ready-made exports), when the model came from a folder or the hub. */
  readonly files?: ModelFileAccess;
  /** A writable folder for converted weights and built graphs (Node only). */
  readonly cacheDir?: string;
  readonly onProgress?: ProgressCallback;
  /** Backend-specific options passed through from `fromPretrained`. */
  readonly backendOptions?: Readonly<Record<string, unknown>>;
}

export interface TowerRunOptions {
  readonly outputHiddenStates: boolean;
  readonly outputAttentions: boolean;
}

/** Text tower inputs, completed and validated by core: every tensor is present. */
export interface TextTowerInputs {
  /** int64 `[B, L]`; absent when `inputsEmbeds` is given. */
  readonly inputIds?: Tensor<'int64'>;
  /** float32 `[B, L, hidden_size]`, replacing the word-embedding lookup. */
  readonly inputsEmbeds?: Tensor<'float32'>;
  /** int64 `[B, L]`, 1 = attend. */
  readonly attentionMask: Tensor<'int64'>;
  /** int64 `[B, L]`. */
  readonly positionIds: Tensor<'int64'>;
  /** int64 `[B, L]`. */
  readonly tokenTypeIds: Tensor<'int64'>;
  /** Which of the above the caller gave explicitly (the rest are transformers' defaults). */
  readonly explicit: {
    readonly positionIds: boolean;
    readonly tokenTypeIds: boolean;
    readonly attentionMask: boolean;
  };
}

export interface VisionTowerInputs {
  /** float32 `[B, C, H, W]`, already checked against the config unless `interpolatePosEncoding`. */
  readonly pixelValues: Tensor<'float32'>;
  readonly interpolatePosEncoding: boolean;
}

export interface TextTowerOutputs {
  /** `transformation(pre_LN(roberta output))`, `[B, L, project_dim]`. */
  readonly lastHiddenState: Tensor<'float32'>;
  /** `lastHiddenState[:, 0]`, `[B, project_dim]`. */
  readonly poolerOutput: Tensor<'float32'>;
  /** `text_projection(poolerOutput)`, `[B, projection_dim]`, not normalised; when the model has the projection. */
  readonly features?: Tensor<'float32'>;
  /** RoBERTa states, `num_hidden_layers + 1` tensors `[B, L, hidden_size]`, when asked for. */
  readonly hiddenStates?: readonly Tensor<'float32'>[];
  /** Softmax probabilities `[B, heads, L, L]` per layer, when asked for. */
  readonly attentions?: readonly Tensor<'float32'>[];
}

export interface VisionTowerOutputs {
  /** Encoder output without a final norm, `[B, 1 + patches, hidden_size]`. */
  readonly lastHiddenState: Tensor<'float32'>;
  /** `post_layernorm(lastHiddenState[:, 0])`. */
  readonly poolerOutput: Tensor<'float32'>;
  /** `visual_projection(poolerOutput)`, not normalised; when the model has the projection. */
  readonly features?: Tensor<'float32'>;
  readonly hiddenStates?: readonly Tensor<'float32'>[];
  readonly attentions?: readonly Tensor<'float32'>[];
}

/** A model prepared by a backend; calls may run concurrently. */
export interface BackendModel {
  /** The device the model really runs on, when a backend fell back from the requested one. */
  readonly device?: Device;
  runText(inputs: TextTowerInputs, options: TowerRunOptions): Promise<TextTowerOutputs>;
  runVision(inputs: VisionTowerInputs, options: TowerRunOptions): Promise<VisionTowerOutputs>;
  /** Frees sessions, tensors and weights. */
  dispose(): Promise<void>;
}

/** What a backend package implements and registers with `registerBackend`. */
export interface Backend {
  /** One-time setup (loading a runtime, wasm, …). The registry calls it at most once and remembers failures. */
  init(): Promise<void>;
  /** What this runtime offers; valid after `init`. */
  capabilities(): BackendCapabilities;
  loadModel(request: LoadRequest): Promise<BackendModel>;
}
