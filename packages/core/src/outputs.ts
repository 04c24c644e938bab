import type { Tensor } from './tensor.js';

/** Output of `AltCLIPTextModel` (transformers' `BaseModelOutputWithPoolingAndProjection`). */
export interface AltCLIPTextOutput {
  /** `transformation(pre_LN(roberta output))`, `[B, L, project_dim]`. */
  lastHiddenState: Tensor<'float32'>;
  /** `lastHiddenState[:, 0]`. */
  poolerOutput: Tensor<'float32'>;
  /** The same tensor as `lastHiddenState`: transformers names it the projection state. */
  projectionState: Tensor<'float32'>;
  /** RoBERTa layer outputs (`num_hidden_layers + 1`, hidden_size wide), with `outputHiddenStates`. */
  hiddenStates?: Tensor<'float32'>[];
  /** Attention probabilities per layer `[B, heads, L, L]`, with `outputAttentions`. */
  attentions?: Tensor<'float32'>[];
}

/** Output of `AltCLIPVisionModel` (transformers' `BaseModelOutputWithPooling`). */
export interface AltCLIPVisionOutput {
  lastHiddenState: Tensor<'float32'>;
  poolerOutput: Tensor<'float32'>;
  hiddenStates?: Tensor<'float32'>[];
  attentions?: Tensor<'float32'>[];
}

/** Output of `AltCLIPModel.forward`. */
export interface AltCLIPOutput {
  loss?: Tensor<'float32'>;
  logitsPerImage: Tensor<'float32'>;
  logitsPerText: Tensor<'float32'>;
  textEmbeds: Tensor<'float32'>;
  imageEmbeds: Tensor<'float32'>;
  textModelOutput: AltCLIPTextOutput;
  visionModelOutput: AltCLIPVisionOutput;
}
