import type { AltCLIPConfig } from '@altclip/core';

// Analytic FLOPs, counted as the fixture README does ("altclip-large-config"): 2 FLOPs per multiply-accumulate
// over every matrix product (attention scores and context included) and the patch convolution; LayerNorm,
// softmax, activations, residual adds and embedding gathers are left out (< 1 % for these shapes).

/** Multiply-accumulates of one transformer layer over T tokens of width D with an MLP of width I. */
function layerMacs(tokens: number, width: number, intermediate: number): number {
  return 4 * tokens * width ** 2 + 2 * tokens ** 2 * width + 2 * tokens * width * intermediate;
}

/** FLOPs of `getImageFeatures` for one image at the config's native size. */
export function imageFlops(config: AltCLIPConfig): number {
  const vision = config.visionConfig;
  const patches = vision.gridSize ** 2;
  const tokens = patches + 1;
  const patchConv = patches * vision.hiddenSize * vision.numChannels * vision.patchSize ** 2;
  const layers = vision.numHiddenLayers * layerMacs(tokens, vision.hiddenSize, vision.intermediateSize);
  const projection = vision.hiddenSize * config.projectionDim;
  return 2 * (patchConv + layers + projection);
}

/** FLOPs of `getTextFeatures` for one text of `length` tokens (no padding). */
export function textFlops(config: AltCLIPConfig, length: number): number {
  const text = config.textConfig;
  const layers = text.numHiddenLayers * layerMacs(length, text.hiddenSize, text.intermediateSize);
  // `transformation` runs on every position; the projection only on the pooled one.
  const transformation = length * text.hiddenSize * text.projectDim;
  const projection = text.projectDim * config.projectionDim;
  return 2 * (layers + transformation + projection);
}

/** Parameters of the whole AltCLIPModel (both towers, projections and logit_scale). */
export function parameterCount(config: AltCLIPConfig): number {
  const t = config.textConfig;
  const v = config.visionConfig;
  const layerNorm = (width: number) => 2 * width;
  const linear = (input: number, output: number) => input * output + output;
  const encoderLayer = (width: number, intermediate: number) =>
    4 * linear(width, width) +
    linear(width, intermediate) +
    linear(intermediate, width) +
    2 * layerNorm(width);
  const text =
    (t.vocabSize + t.maxPositionEmbeddings + t.typeVocabSize) * t.hiddenSize +
    layerNorm(t.hiddenSize) +
    t.numHiddenLayers * encoderLayer(t.hiddenSize, t.intermediateSize) +
    layerNorm(t.hiddenSize) +
    linear(t.hiddenSize, t.projectDim);
  const vision =
    v.hiddenSize +
    v.hiddenSize * v.numChannels * v.patchSize ** 2 +
    v.numPositions * v.hiddenSize +
    2 * layerNorm(v.hiddenSize) +
    v.numHiddenLayers * encoderLayer(v.hiddenSize, v.intermediateSize);
  const projections = t.projectDim * config.projectionDim + v.hiddenSize * config.projectionDim + 1;
  return text + vision + projections;
}
