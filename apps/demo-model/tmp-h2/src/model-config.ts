import { AltCLIPConfig, AltCLIPTextConfig, AltCLIPVisionConfig } from '@altclip/core';
import {
  CLIP_DEFAULTS,
  type ImageProcessorConfig,
  imageProcessorConfigToJSON,
} from '@altclip/image-processor';

/** Side of the model's input images; the generator draws larger and the processor resizes, as for photos. */
export const IMAGE_SIZE = 32;
/** Longest tokenized caption the model accepts: max_position_embeddings − 2 (XLM-R's position offset). */
export const MAX_TEXT_LENGTH = 64;
/** Side of the image tower's patches. */
export const PATCH_SIZE = 8;
/** Pieces the tokenizer learns (characters included), before the five special tokens. */
export const VOCAB_SIZE = 400;

/**
 * A small AltCLIP: the same architecture and file layout as BAAI/AltCLIP (XLM-R text tower with its
 * `transformation` / `pre_LN` head, CLIP ViT image tower), a few hundred thousand parameters.
 */
export function demoConfig(vocabSize: number, patchSize = PATCH_SIZE): AltCLIPConfig {
  return new AltCLIPConfig({
    textConfig: new AltCLIPTextConfig({
      vocabSize,
      hiddenSize: 64,
      numHiddenLayers: 2,
      numAttentionHeads: 4,
      intermediateSize: 128,
      maxPositionEmbeddings: MAX_TEXT_LENGTH + 2,
      projectDim: 64,
      // Dropout slows down the few minutes of training and buys nothing on this data.
      hiddenDropoutProb: 0,
      attentionProbsDropoutProb: 0,
    }),
    visionConfig: new AltCLIPVisionConfig({
      imageSize: IMAGE_SIZE,
      patchSize,
      hiddenSize: 64,
      numHiddenLayers: 3,
      numAttentionHeads: 4,
      intermediateSize: 128,
      projectionDim: 32,
    }),
    projectionDim: 32,
  });
}

/** CLIP's preprocessing (bicubic resize of the shortest edge, center crop, CLIP mean / std) at IMAGE_SIZE. */
export const PREPROCESSOR: ImageProcessorConfig = {
  ...CLIP_DEFAULTS,
  size: { shortestEdge: IMAGE_SIZE },
  cropSize: { height: IMAGE_SIZE, width: IMAGE_SIZE },
};

export function preprocessorConfigJSON(): Record<string, unknown> {
  return { ...imageProcessorConfigToJSON(PREPROCESSOR), processor_class: 'AltCLIPProcessor' };
}
