import type { AltCLIPTextConfig, AltCLIPVisionConfig } from '@altclip/core';
import { attention } from './attention.js';
import { interpolatePositions } from './interpolate.js';
import {
  activation,
  type DropoutContext,
  dropout,
  layerNorm,
  linear,
  type ParameterSource,
} from './layers.js';
import { tf } from './runtime.js';

/** float32's most negative value: transformers' additive mask for keys that must not be attended. */
const FLOAT32_MIN = -3.4028234663852886e38;

export interface TowerOptions {
  readonly outputHiddenStates: boolean;
  readonly outputAttentions: boolean;
  readonly withProjection: boolean;
  readonly dropout: DropoutContext;
}

export interface TowerResult {
  lastHiddenState: tf.Tensor;
  poolerOutput: tf.Tensor;
  features?: tf.Tensor;
  hiddenStates?: tf.Tensor[];
  attentions?: tf.Tensor[];
}

/** Text tower tensors: int32 ids (tfjs has no int64) and a float32 0/1 attention mask. */
export interface TextTensors {
  readonly inputIds?: tf.Tensor2D;
  readonly inputsEmbeds?: tf.Tensor3D;
  readonly positionIds: tf.Tensor2D;
  readonly tokenTypeIds: tf.Tensor2D;
  readonly attentionMask: tf.Tensor2D;
}

/** AltCLIPTextModel: XLM-RoBERTa (post-LN) + pre_LN + transformation, and text_projection of position 0. */
export function textTower(
  p: ParameterSource,
  config: AltCLIPTextConfig,
  inputs: TextTensors,
  options: TowerOptions,
): TowerResult {
  const prefix = 'text_model.roberta.';
  const eps = config.layerNormEps;
  const ctx = options.dropout;
  const words =
    inputs.inputsEmbeds ?? gatherRows(p.get(`${prefix}embeddings.word_embeddings.weight`), inputs.inputIds!);
  const embeddings = tf.addN([
    words,
    gatherRows(p.get(`${prefix}embeddings.token_type_embeddings.weight`), inputs.tokenTypeIds),
    gatherRows(p.get(`${prefix}embeddings.position_embeddings.weight`), inputs.positionIds),
  ]);
  let x = layerNorm(
    embeddings,
    p.get(`${prefix}embeddings.LayerNorm.weight`),
    p.get(`${prefix}embeddings.LayerNorm.bias`),
    eps,
  );
  x = dropout(x, config.hiddenDropoutProb, ctx);
  const [batch, length] = inputs.attentionMask.shape;
  const mask = tf.reshape(tf.mul(tf.sub(1, inputs.attentionMask), FLOAT32_MIN), [batch, 1, 1, length]);
  const encoded = encoderLayers(x, config.numHiddenLayers, options.outputAttentions, (input, i) => {
    const w = (name: string) => p.get(`${prefix}encoder.layer.${i}.${name}`);
    const { context, probs } = attention(
      linear(input, w('attention.self.query.weight'), w('attention.self.query.bias')),
      linear(input, w('attention.self.key.weight'), w('attention.self.key.bias')),
      linear(input, w('attention.self.value.weight'), w('attention.self.value.bias')),
      config.numAttentionHeads,
      mask,
      config.attentionProbsDropoutProb,
      ctx,
    );
    const attended = dropout(
      linear(context, w('attention.output.dense.weight'), w('attention.output.dense.bias')),
      config.hiddenDropoutProb,
      ctx,
    );
    const a = layerNorm(
      tf.add(attended, input),
      w('attention.output.LayerNorm.weight'),
      w('attention.output.LayerNorm.bias'),
      eps,
    );
    const inner = activation(
      linear(a, w('intermediate.dense.weight'), w('intermediate.dense.bias')),
      config.hiddenAct,
    );
    const out = dropout(
      linear(inner, w('output.dense.weight'), w('output.dense.bias')),
      config.hiddenDropoutProb,
      ctx,
    );
    const output = layerNorm(tf.add(out, a), w('output.LayerNorm.weight'), w('output.LayerNorm.bias'), eps);
    return { output, probs };
  });
  const normed = layerNorm(
    encoded.output,
    p.get('text_model.pre_LN.weight'),
    p.get('text_model.pre_LN.bias'),
    eps,
  );
  const lastHiddenState = linear(
    normed,
    p.get('text_model.transformation.weight'),
    p.get('text_model.transformation.bias'),
  );
  const poolerOutput = firstToken(lastHiddenState);
  return {
    lastHiddenState,
    poolerOutput,
    features: options.withProjection ? linear(poolerOutput, p.get('text_projection.weight')) : undefined,
    hiddenStates: options.outputHiddenStates ? encoded.hiddenStates : undefined,
    attentions: options.outputAttentions ? encoded.attentions : undefined,
  };
}

/** AltCLIPVisionModel (CLIP ViT, pre-LN) and visual_projection of the pooled class token. */
export function visionTower(
  p: ParameterSource,
  config: AltCLIPVisionConfig,
  pixelValues: tf.Tensor4D,
  interpolatePosEncoding: boolean,
  options: TowerOptions,
): TowerResult {
  const prefix = 'vision_model.';
  const eps = config.layerNormEps;
  const ctx = options.dropout;
  const [batch, channels, height, width] = pixelValues.shape;
  const patch = config.patchSize;
  const gridHeight = Math.floor(height / patch);
  const gridWidth = Math.floor(width / patch);
  const hidden = config.hiddenSize;
  // The stride-P convolution as one matrix product over non-overlapping patches (remainder rows/cols dropped).
  const cropped =
    height === gridHeight * patch && width === gridWidth * patch
      ? pixelValues
      : tf.slice(pixelValues, [0, 0, 0, 0], [batch, channels, gridHeight * patch, gridWidth * patch]);
  const patches = tf.reshape(
    tf.transpose(
      tf.reshape(cropped, [batch, channels, gridHeight, patch, gridWidth, patch]),
      [0, 2, 4, 1, 3, 5],
    ),
    [batch * gridHeight * gridWidth, channels * patch * patch],
  );
  // The kernel is held as [C*P*P, D] (see parameterLayout).
  const kernel = p.get(`${prefix}embeddings.patch_embedding.weight`) as tf.Tensor2D;
  const patchEmbeds = tf.reshape(tf.matMul(patches, kernel), [batch, gridHeight * gridWidth, hidden]);
  const classEmbeds = tf.broadcastTo(
    tf.reshape(p.get(`${prefix}embeddings.class_embedding`), [1, 1, hidden]),
    [batch, 1, hidden],
  );
  const table = p.get(`${prefix}embeddings.position_embedding.weight`);
  const positions = positionTable(table, gridHeight, gridWidth, height === width, interpolatePosEncoding);
  const embeddings = tf.add(tf.concat([classEmbeds, patchEmbeds], 1), positions);
  const x = layerNorm(
    embeddings,
    p.get(`${prefix}pre_layrnorm.weight`),
    p.get(`${prefix}pre_layrnorm.bias`),
    eps,
  );
  const encoded = encoderLayers(x, config.numHiddenLayers, options.outputAttentions, (input, i) => {
    const w = (name: string) => p.get(`${prefix}encoder.layers.${i}.${name}`);
    const h = layerNorm(input, w('layer_norm1.weight'), w('layer_norm1.bias'), eps);
    const { context, probs } = attention(
      linear(h, w('self_attn.q_proj.weight'), w('self_attn.q_proj.bias')),
      linear(h, w('self_attn.k_proj.weight'), w('self_attn.k_proj.bias')),
      linear(h, w('self_attn.v_proj.weight'), w('self_attn.v_proj.bias')),
      config.numAttentionHeads,
      undefined,
      config.attentionDropout,
      ctx,
    );
    const attended = tf.add(
      input,
      linear(context, w('self_attn.out_proj.weight'), w('self_attn.out_proj.bias')),
    );
    const m = layerNorm(attended, w('layer_norm2.weight'), w('layer_norm2.bias'), eps);
    const inner = activation(linear(m, w('mlp.fc1.weight'), w('mlp.fc1.bias')), config.hiddenAct);
    return { output: tf.add(attended, linear(inner, w('mlp.fc2.weight'), w('mlp.fc2.bias'))), probs };
  });
  const poolerOutput = layerNorm(
    firstToken(encoded.output),
    p.get(`${prefix}post_layernorm.weight`),
    p.get(`${prefix}post_layernorm.bias`),
    eps,
  );
  return {
    lastHiddenState: encoded.output,
    poolerOutput,
    features: options.withProjection ? linear(poolerOutput, p.get('visual_projection.weight')) : undefined,
    hiddenStates: options.outputHiddenStates ? encoded.hiddenStates : undefined,
    attentions: options.outputAttentions ? encoded.attentions : undefined,
  };
}

/**
 * Runs `count` encoder layers from `input`, each in its own `tf.tidy`: the call's outer tidy would keep every
 * intermediate of every layer (~58 MB per ViT-L layer at batch 1) until the end; only each layer's output
 * (and its attention probabilities, when asked for) leave it.
 */
function encoderLayers(
  input: tf.Tensor,
  count: number,
  withAttentions: boolean,
  layer: (input: tf.Tensor, index: number) => { output: tf.Tensor; probs: () => tf.Tensor },
): { output: tf.Tensor; hiddenStates: tf.Tensor[]; attentions: tf.Tensor[] } {
  let x = input;
  const hiddenStates = [x];
  const attentions: tf.Tensor[] = [];
  for (let i = 0; i < count; i++) {
    const current = x;
    const [output, probs] = tf.tidy(() => {
      const step = layer(current, i);
      return withAttentions ? [step.output, step.probs()] : [step.output];
    });
    x = output;
    hiddenStates.push(x);
    if (probs) attentions.push(probs);
  }
  return { output: x, hiddenStates, attentions };
}

/** The position table added to the embeddings for a `gh × gw` grid. */
export function positionTable(
  table: tf.Tensor,
  gridHeight: number,
  gridWidth: number,
  square: boolean,
  interpolate: boolean,
): tf.Tensor2D {
  const native = table.shape[0] - 1;
  if (!interpolate || (gridHeight * gridWidth === native && square)) return table as tf.Tensor2D;
  return interpolatePositions(table, gridHeight, gridWidth);
}

function firstToken(x: tf.Tensor): tf.Tensor2D {
  const [batch, , width] = x.shape;
  return tf.reshape(tf.slice(x, [0, 0, 0], [batch, 1, width]), [batch, width]) as tf.Tensor2D;
}

/**
 * Embedding lookup `table[ids]` for `[B, L]` ids → `[B, L, D]`. The gradient is a scatter-add of the rows
 * (tfjs' own gather gradient needs UnsortedSegmentSum, which the wasm backend lacks and the cpu backend runs
 * once per vocabulary row: seconds per step for the 8k-row tiny vocabulary).
 */
function gatherRows(table: tf.Tensor, ids: tf.Tensor2D): tf.Tensor3D {
  const [batch, length] = ids.shape;
  // The ids are an input (saved for the backward pass) so that tfjs keeps them alive until then.
  const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [rows, flatIds, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([flatIds]);
    return {
      value: tf.gatherND(rows, flatIds),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        tf.scatterND(saved[0], dy, rows.shape),
        tf.zeros(saved[0].shape),
      ],
    };
  });
  return tf.reshape(lookup(table, tf.reshape(ids, [-1, 1])), [
    batch,
    length,
    table.shape[1] as number,
  ]) as tf.Tensor3D;
}
