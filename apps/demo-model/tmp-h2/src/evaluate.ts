import type { AltCLIPModel } from '@altclip/core';
import { type AltCLIPProcessor, zeroShotImageClassification } from '@altclip/processor';
import type { Example } from './data.js';
import { LANGUAGES, type Language } from './languages.js';
import { CLASSES } from './shapes.js';

export interface LanguageAccuracy {
  readonly language: string;
  readonly accuracy: number;
  readonly correct: number;
  readonly total: number;
}

/**
 * Zero-shot accuracy in each language: the 16 class names of that language, through its hypothesis template,
 * are the candidate labels of every image (transformers' zero-shot-image-classification pipeline).
 */
export async function zeroShotAccuracy(
  model: AltCLIPModel,
  processor: AltCLIPProcessor,
  examples: readonly Example[],
  languages: readonly Language[] = LANGUAGES,
): Promise<LanguageAccuracy[]> {
  const images = examples.map((e) => e.image);
  const results: LanguageAccuracy[] = [];
  for (const language of languages) {
    const labels = CLASSES.map((cls) => language.label(cls));
    const predictions = await zeroShotImageClassification(model, processor, images, labels, {
      hypothesisTemplate: language.template,
    });
    const correct = predictions.filter(
      (scores, i) => scores[0].label === language.label(examples[i].cls),
    ).length;
    results.push({
      language: language.code,
      accuracy: correct / examples.length,
      correct,
      total: examples.length,
    });
  }
  return results;
}
