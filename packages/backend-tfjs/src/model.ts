import {
  type AltCLIPConfig,
  type BackendModel,
  CheckpointError,
  type Device,
  expectedWeightShapes,
  InputError,
  type LoadRequest,
  Tensor,
  type TextTowerInputs,
  type TextTowerOutputs,
  type TowerRunOptions,
  type Towers,
  type VisionTowerInputs,
  type VisionTowerOutputs,
  type WeightStore,
} from '@altclip/core';
import { parameterLayout } from './keys.js';
import { type DropoutContext, ParameterMap } from './layers.js';
import { onDevice, tf } from './runtime.js';
import { positionTable, type TextTensors, type TowerResult, textTower, visionTower } from './towers.js';

const INFERENCE: DropoutContext = { training: false };

/** int64 ids as int32 (tfjs has no int64); every id here is far below 2^31. */
function int32Tensor(tensor: Tensor<'int64'>): tf.Tensor2D {
  const data = tensor.data;
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return tf.tensor2d(out, tensor.dims as [number, number], 'int32');
}

/** Core text inputs as tfjs tensors; call inside `tf.tidy`. */
export function textTensors(inputs: TextTowerInputs): TextTensors {
  return {
    inputIds: inputs.inputIds ? int32Tensor(inputs.inputIds) : undefined,
    inputsEmbeds: inputs.inputsEmbeds
      ? tf.tensor3d(inputs.inputsEmbeds.data, inputs.inputsEmbeds.dims as [number, number, number])
      : undefined,
    positionIds: int32Tensor(inputs.positionIds),
    tokenTypeIds: int32Tensor(inputs.tokenTypeIds),
    attentionMask: tf.cast(int32Tensor(inputs.attentionMask), 'float32'),
  };
}

export function pixelTensor(pixelValues: Tensor<'float32'>): tf.Tensor4D {
  if (pixelValues.dims.length !== 4) {
    throw new InputError(
      `pixel_values must be 4-D [batch, channels, height, width], got [${pixelValues.dims}]`,
    );
  }
  return tf.tensor4d(pixelValues.data, pixelValues.dims as [number, number, number, number]);
}

export async function toCore(tensor: tf.Tensor): Promise<Tensor<'float32'>> {
  // A copy: the cpu backend hands out its own storage.
  const data = new Float32Array(await tensor.data<'float32'>());
  return new Tensor('float32', data, tensor.shape);
}

interface TowerOutputs {
  lastHiddenState: Tensor<'float32'>;
  poolerOutput: Tensor<'float32'>;
  features?: Tensor<'float32'>;
  hiddenStates?: Tensor<'float32'>[];
  attentions?: Tensor<'float32'>[];
}

/**
 * AltCLIP in TensorFlow.js ops: the parameters are tfjs variables (so gradients flow to them), every call
 * runs in `tf.tidy` and hands back core Tensors, so the tfjs tensor count is unchanged after a call.
 */
export class TfjsModel implements BackendModel {
  readonly config: AltCLIPConfig;
  readonly device: Device;
  readonly towers: Towers;
  readonly parameters = new ParameterMap();
  /** Hugging Face shape of every parameter. */
  readonly parameterShapes: ReadonlyMap<string, readonly number[]>;
  #disposed = false;

  private constructor(config: AltCLIPConfig, device: Device, towers: Towers) {
    this.config = config;
    this.device = device;
    this.towers = towers;
    this.parameterShapes = expectedWeightShapes(config, towers);
  }

  /** Reads the towers' weights from the store into variables on the device (float16 / bfloat16 widened). */
  static async load(
    request: Pick<LoadRequest, 'config' | 'weights' | 'towers' | 'device' | 'onProgress'>,
  ): Promise<TfjsModel> {
    const model = new TfjsModel(request.config, request.device, request.towers);
    const shapes = expectedWeightShapes(request.config, request.towers);
    let loaded = 0;
    try {
      for (const [key, shape] of shapes) {
        const value = await readChecked(request.weights, key, shape);
        await onDevice(request.device, () => {
          const stored = tf.tidy(() => toStoredLayout(key, tf.tensor(value.data, shape, 'float32')));
          model.parameters.variables.set(key, tf.variable(stored, true));
          stored.dispose();
        });
        loaded += 1;
        request.onProgress?.({ stage: 'load', item: key, loaded, total: shapes.size });
      }
    } catch (error) {
      await model.dispose();
      throw error;
    }
    return model;
  }

  #check(): void {
    if (this.#disposed) throw new InputError('this tfjs model was disposed');
  }

  async runText(inputs: TextTowerInputs, options: TowerRunOptions): Promise<TextTowerOutputs> {
    this.#check();
    if (!this.towers.text) throw new InputError('this model was loaded without the text tower');
    return onDevice(this.device, () =>
      this.#collect(() =>
        textTower(this.parameters, this.config.textConfig, textTensors(inputs), {
          ...options,
          withProjection: this.towers.withProjection,
          dropout: INFERENCE,
        }),
      ),
    );
  }

  async runVision(inputs: VisionTowerInputs, options: TowerRunOptions): Promise<VisionTowerOutputs> {
    this.#check();
    if (!this.towers.vision) throw new InputError('this model was loaded without the vision tower');
    return onDevice(this.device, () =>
      this.#collect(() =>
        visionTower(
          this.parameters,
          this.config.visionConfig,
          pixelTensor(inputs.pixelValues),
          inputs.interpolatePosEncoding,
          { ...options, withProjection: this.towers.withProjection, dropout: INFERENCE },
        ),
      ),
    );
  }

  /**
   * The position table the vision tower adds for an image of `height × width` (`[1 + gh*gw, D]`):
   * the interpolated one when `interpolatePosEncoding` applies (transformers' debug view of the resize).
   */
  positionEmbeddings(
    height: number,
    width: number,
    interpolatePosEncoding = true,
  ): Promise<Tensor<'float32'>> {
    this.#check();
    const patch = this.config.visionConfig.patchSize;
    return onDevice(this.device, async () => {
      const table = tf.tidy(() =>
        tf.clone(
          positionTable(
            this.parameters.get('vision_model.embeddings.position_embedding.weight'),
            Math.floor(height / patch),
            Math.floor(width / patch),
            height === width,
            interpolatePosEncoding,
          ),
        ),
      );
      try {
        return await toCore(table);
      } finally {
        table.dispose();
      }
    });
  }

  /** A parameter in the Hugging Face layout (a copy). */
  async getParameter(key: string): Promise<Tensor<'float32'>> {
    this.#check();
    const variable = this.parameters.get(key);
    return onDevice(this.device, async () => {
      // A clone: for plain parameters the layout change is the variable itself, which must not be disposed.
      const value = tf.tidy(() => tf.clone(toHuggingFaceLayout(key, variable, this.#shape(key))));
      try {
        return await toCore(value);
      } finally {
        value.dispose();
      }
    });
  }

  /** Replaces a parameter's values, given in the Hugging Face layout and shape. */
  async setParameter(key: string, value: Tensor): Promise<void> {
    this.#check();
    const variable = this.parameters.get(key) as tf.Variable;
    const shape = this.#shape(key);
    if (value.dims.join(',') !== shape.join(',')) {
      throw new InputError(`parameter '${key}' has shape [${shape}], got [${value.dims}]`);
    }
    const data =
      value.type === 'float32'
        ? (value.data as Float32Array)
        : Float32Array.from(value.data as ArrayLike<number>);
    await onDevice(this.device, () => {
      tf.tidy(() => variable.assign(toStoredLayout(key, tf.tensor(data, shape, 'float32'))));
    });
  }

  #shape(key: string): number[] {
    return [...(this.parameterShapes.get(key) ?? [])];
  }

  /** The stored `logit_scale` (the log of the scale), when the model has both towers and projections. */
  async logitScale(): Promise<number | undefined> {
    const variable = this.parameters.variables.get('logit_scale');
    if (!variable) return undefined;
    return onDevice(this.device, async () => (await variable.data())[0]);
  }

  /** Runs a tower in `tf.tidy` and copies its outputs into core Tensors, disposing every tfjs tensor. */
  async #collect(compute: () => TowerResult): Promise<TowerOutputs> {
    let counts = { features: 0, hiddenStates: 0, attentions: 0 };
    const flat = tf.tidy(() => {
      const r = compute();
      const features = r.features ? [r.features] : [];
      const hiddenStates = r.hiddenStates ?? [];
      const attentions = r.attentions ?? [];
      counts = {
        features: features.length,
        hiddenStates: hiddenStates.length,
        attentions: attentions.length,
      };
      return [r.lastHiddenState, r.poolerOutput, ...features, ...hiddenStates, ...attentions];
    });
    try {
      const all = await Promise.all(flat.map(toCore));
      const [lastHiddenState, poolerOutput] = all;
      const hiddenStart = 2 + counts.features;
      const attentionStart = hiddenStart + counts.hiddenStates;
      const features = counts.features > 0 ? all[2] : undefined;
      const hiddenStates = all.slice(hiddenStart, attentionStart);
      const attentions = all.slice(attentionStart);
      return {
        lastHiddenState,
        poolerOutput,
        features,
        hiddenStates: counts.hiddenStates > 0 ? hiddenStates : undefined,
        attentions: counts.attentions > 0 ? attentions : undefined,
      };
    } finally {
      for (const t of flat) t.dispose();
    }
  }

  /** Frees every variable; the model cannot be used afterwards. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const variable of this.parameters.variables.values()) variable.dispose();
    this.parameters.variables.clear();
  }
}

/** A Hugging Face tensor in the layout the model computes with (see `parameterLayout`). */
function toStoredLayout(key: string, value: tf.Tensor): tf.Tensor {
  switch (parameterLayout(key, value.shape)) {
    case 'transposed':
      return tf.transpose(value);
    case 'patch':
      return tf.transpose(tf.reshape(value, [value.shape[0], -1]));
    default:
      return value;
  }
}

/** The inverse of `toStoredLayout`, for a parameter or its gradient. */
export function toHuggingFaceLayout(key: string, stored: tf.Tensor, hfShape: number[]): tf.Tensor {
  switch (parameterLayout(key, hfShape)) {
    case 'transposed':
      return tf.transpose(stored);
    case 'patch':
      return tf.reshape(tf.transpose(stored), hfShape);
    default:
      return stored;
  }
}

async function readChecked(weights: WeightStore, key: string, shape: number[]): Promise<Tensor<'float32'>> {
  const info = weights.info(key);
  if (!info) throw new CheckpointError('<checkpoint>', `missing tensor '${key}'`);
  if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
    throw new CheckpointError(
      '<checkpoint>',
      `tensor '${key}' has shape [${info.shape}], the config needs [${shape}]`,
    );
  }
  return weights.getFloat32(key);
}
