import {
  type IdsInput,
  InputError,
  prepareTextInputs,
  prepareVisionInputs,
  serializeSafetensors,
  type Tensor,
  writeSafetensors,
} from '@altclip/core';
import type { DropoutContext } from './layers.js';
import { pixelTensor, TfjsModel, textTensors, toCore, toHuggingFaceLayout } from './model.js';
import { onDevice, tf } from './runtime.js';
import { textTower, visionTower } from './towers.js';

/** A batch of matching (text, image) pairs: text i belongs to image i. */
export interface PairBatch {
  inputIds: IdsInput;
  attentionMask?: IdsInput;
  positionIds?: IdsInput;
  tokenTypeIds?: IdsInput;
  pixelValues: Tensor<'float32'>;
  interpolatePosEncoding?: boolean;
}

/** Which parameters an optimizer step changes. */
export type TrainableSelection =
  | {
      /** `text_model.*` and `text_projection.weight`. Default true. */
      readonly text?: boolean;
      /** `vision_model.*` and `visual_projection.weight`. Default true; AltCLIP's teacher-learning stage freezes it. */
      readonly vision?: boolean;
      /** `logit_scale`. Default false (core's model classes read it once at load). */
      readonly logitScale?: boolean;
    }
  | ((key: string) => boolean);

export interface TrainerOptions {
  /** 'adam' (default), 'sgd', or any tfjs optimizer. */
  readonly optimizer?: 'adam' | 'sgd' | tf.Optimizer;
  /** Learning rate of the named optimizers. Default 1e-5. */
  readonly learningRate?: number;
  readonly trainable?: TrainableSelection;
  /** Dropout with the config's rates during `step` / `lossAndGrads` (training mode). Default true. */
  readonly training?: boolean;
  /** Seed of the dropout masks, for reproducible runs. */
  readonly seed?: number;
}

/** Something that holds a tfjs backend model: the model itself or a core model class exposing it. */
export type TrainableModel = TfjsModel | { readonly backendModel?: unknown };

function resolveModel(model: TrainableModel): TfjsModel {
  if (model instanceof TfjsModel) return model;
  const inner = (model as { backendModel?: unknown }).backendModel;
  if (inner instanceof TfjsModel) return inner;
  throw new InputError("training needs a model loaded with the 'tfjs' backend");
}

function isTrainable(selection: TrainableSelection | undefined, key: string): boolean {
  if (typeof selection === 'function') return selection(key);
  const { text = true, vision = true, logitScale = false } = selection ?? {};
  if (key === 'logit_scale') return logitScale;
  if (key.startsWith('text_model.') || key === 'text_projection.weight') return text;
  if (key.startsWith('vision_model.') || key === 'visual_projection.weight') return vision;
  return false;
}

/**
 * AltCLIP's symmetric contrastive loss as a differentiable tfjs scalar (transformers' `return_loss`):
 * `(CE(logits_per_text, arange(n)) + CE(logits_per_image, arange(n))) / 2` over L2-normalised embeddings.
 * Runs on the current tfjs backend; call it inside `tf.variableGrads` / `optimizer.minimize` to train.
 */
export function contrastiveLoss(model: TfjsModel, batch: PairBatch, context: DropoutContext): tf.Scalar {
  const { config } = model;
  if (!model.towers.text || !model.towers.vision || !model.towers.withProjection) {
    throw new InputError('the contrastive loss needs both towers and their projections');
  }
  const text = prepareTextInputs(config.textConfig, batch);
  const vision = prepareVisionInputs(config.visionConfig, batch);
  const pairs = text.attentionMask.dims[0];
  if (vision.pixelValues.dims[0] !== pairs) {
    throw new InputError(
      `the contrastive loss needs matching pairs; got ${pairs} texts and ${vision.pixelValues.dims[0]} images`,
    );
  }
  const options = {
    outputHiddenStates: false,
    outputAttentions: false,
    withProjection: true,
    dropout: context,
  };
  const p = model.parameters;
  const textFeatures = textTower(p, config.textConfig, textTensors(text), options).features as tf.Tensor2D;
  const imageFeatures = visionTower(
    p,
    config.visionConfig,
    pixelTensor(vision.pixelValues),
    vision.interpolatePosEncoding,
    options,
  ).features as tf.Tensor2D;
  const normalise = (x: tf.Tensor2D) => tf.div(x, tf.sqrt(tf.sum(tf.square(x), 1, true)));
  const logitsPerText = tf.mul(
    tf.matMul(normalise(textFeatures), normalise(imageFeatures), false, true),
    tf.exp(p.get('logit_scale')),
  );
  const targets = tf.eye(pairs);
  const crossEntropy = (logits: tf.Tensor) =>
    tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), targets), 1)));
  return tf.div(
    tf.add(crossEntropy(logitsPerText), crossEntropy(tf.transpose(logitsPerText))),
    2,
  ) as tf.Scalar;
}

/** Fine-tuning of a tfjs AltCLIP model: optimizer steps on the contrastive loss over chosen parameters. */
export class Trainer {
  readonly model: TfjsModel;
  /** Hugging Face keys of the parameters the optimizer updates. */
  readonly trainableKeys: readonly string[];
  readonly #optimizer: tf.Optimizer;
  readonly #ownsOptimizer: boolean;
  readonly #training: boolean;
  #seed: number;

  constructor(model: TrainableModel, options: TrainerOptions = {}) {
    this.model = resolveModel(model);
    this.trainableKeys = [...this.model.parameters.variables.keys()].filter((key) =>
      isTrainable(options.trainable, key),
    );
    if (this.trainableKeys.length === 0) throw new InputError('no parameter is trainable with these options');
    const rate = options.learningRate ?? 1e-5;
    this.#ownsOptimizer = typeof options.optimizer !== 'object';
    this.#optimizer =
      typeof options.optimizer === 'object'
        ? options.optimizer
        : options.optimizer === 'sgd'
          ? tf.train.sgd(rate)
          : tf.train.adam(rate);
    this.#training = options.training ?? true;
    this.#seed = options.seed ?? 0;
  }

  #context(training: boolean): DropoutContext {
    return { training, nextSeed: () => this.#seed++ };
  }

  #variables(): tf.Variable[] {
    return this.trainableKeys.map((key) => this.model.parameters.variables.get(key) as tf.Variable);
  }

  /** The loss without gradients; `training` (default false) turns dropout on. */
  loss(batch: PairBatch, options: { training?: boolean } = {}): Promise<number> {
    return onDevice(this.model.device, async () => {
      const loss = tf.tidy(() =>
        contrastiveLoss(this.model, batch, this.#context(options.training ?? false)),
      );
      try {
        return (await loss.data())[0];
      } finally {
        loss.dispose();
      }
    });
  }

  /** The loss and its gradient for every trainable parameter (as core Tensors, by key); no update. */
  lossAndGrads(batch: PairBatch): Promise<{ loss: number; grads: Map<string, Tensor<'float32'>> }> {
    return onDevice(this.model.device, async () => {
      const { value, grads } = tf.variableGrads(
        () => contrastiveLoss(this.model, batch, this.#context(this.#training)),
        this.#variables(),
      );
      try {
        const out = new Map<string, Tensor<'float32'>>();
        for (const key of this.trainableKeys) {
          const variable = this.model.parameters.variables.get(key) as tf.Variable;
          const hfShape = [...(this.model.parameterShapes.get(key) ?? [])];
          const grad = tf.tidy(() => tf.clone(toHuggingFaceLayout(key, grads[variable.name], hfShape)));
          try {
            out.set(key, await toCore(grad));
          } finally {
            grad.dispose();
          }
        }
        return { loss: (await value.data())[0], grads: out };
      } finally {
        value.dispose();
        for (const grad of Object.values(grads)) grad.dispose();
      }
    });
  }

  /** One optimizer step on the batch; returns the loss before the update. */
  step(batch: PairBatch): Promise<number> {
    return onDevice(this.model.device, async () => {
      const loss = this.#optimizer.minimize(
        () => contrastiveLoss(this.model, batch, this.#context(this.#training)),
        true,
        this.#variables(),
      ) as tf.Scalar;
      try {
        return (await loss.data())[0];
      } finally {
        loss.dispose();
      }
    });
  }

  /** The model's parameters under their Hugging Face keys (a copy). */
  parameters(): Promise<Map<string, Tensor<'float32'>>> {
    return exportParameters(this.model);
  }

  /** `model.safetensors` bytes with Hugging Face key names (metadata format 'pt', as transformers expects). */
  async exportSafetensors(): Promise<Uint8Array> {
    return serializeSafetensors(await this.parameters(), { format: 'pt' });
  }

  /** Writes the parameters as a safetensors file (Node). */
  async saveSafetensors(path: string): Promise<void> {
    // An array, not the Map: core's writer takes anything with keys() and get() for a WeightStore.
    await writeSafetensors(path, [...(await this.parameters())], { format: 'pt' });
  }

  /** Writes `config.json` and `model.safetensors` into a folder (Node), like `save_pretrained`. */
  async savePretrained(dir: string): Promise<void> {
    const { mkdir, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), `${JSON.stringify(this.model.config.toJSON(), null, 2)}\n`);
    await this.saveSafetensors(join(dir, 'model.safetensors'));
  }

  /** Frees the optimizer's state (not the model). */
  dispose(): void {
    if (this.#ownsOptimizer) this.#optimizer.dispose();
  }
}

export function createTrainer(model: TrainableModel, options: TrainerOptions = {}): Trainer {
  return new Trainer(model, options);
}

/** Every parameter of a tfjs model as core Tensors keyed by Hugging Face names. */
export async function exportParameters(model: TfjsModel): Promise<Map<string, Tensor<'float32'>>> {
  const out = new Map<string, Tensor<'float32'>>();
  for (const key of model.parameters.variables.keys()) out.set(key, await model.getParameter(key));
  return out;
}
