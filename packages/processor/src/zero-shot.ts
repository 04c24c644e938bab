import { type AltCLIPModel, InputError, softmax } from '@altclip/core';
import type { ImageInput } from '@altclip/image-processor';
import type { AltCLIPProcessor } from './processor.js';

export interface LabelScore {
  label: string;
  score: number;
}

export interface ZeroShotOptions {
  /** Turns a label into a sentence; `{}` is replaced by the label. Default transformers': 'This is a photo of {}.' */
  hypothesisTemplate?: string;
}

/**
 * transformers' zero-shot-image-classification pipeline: each label goes through the template, the texts and
 * images through the model, and a softmax over `logitsPerImage` gives each image's scores, sorted high to low.
 */
export async function zeroShotImageClassification(
  model: AltCLIPModel,
  processor: AltCLIPProcessor,
  images: ImageInput | readonly ImageInput[],
  candidateLabels: readonly string[],
  options: ZeroShotOptions = {},
): Promise<LabelScore[][]> {
  if (!Array.isArray(candidateLabels) || candidateLabels.length === 0) {
    throw new InputError('zeroShotImageClassification needs at least one candidate label');
  }
  const template = options.hypothesisTemplate ?? 'This is a photo of {}.';
  if (!template.includes('{}'))
    throw new InputError(`hypothesisTemplate '${template}' has no '{}' for the label`);
  const texts = candidateLabels.map((label) => template.replace('{}', label));
  const inputs = await processor.process({ text: texts, images, padding: 'longest', truncation: true });
  const output = await model.forward({
    inputIds: inputs.inputIds,
    attentionMask: inputs.attentionMask,
    pixelValues: inputs.pixelValues,
  });
  return softmax(output.logitsPerImage)
    .to2d()
    .map((scores) =>
      scores.map((score, i) => ({ label: candidateLabels[i], score })).sort((a, b) => b.score - a.score),
    );
}
