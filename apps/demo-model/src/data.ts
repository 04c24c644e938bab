import type { RawImage } from '@altclip/image-processor';
import { randomCaption } from './languages.js';
import { createRandom, type Random, shuffled } from './random.js';
import { CLASSES, randomScene, renderScene, type ShapeClass } from './shapes.js';

/** Side of the generated images; the processor resizes them to the model's input size. */
export const RENDER_SIZE = 64;

export interface Example {
  readonly cls: ShapeClass;
  readonly image: RawImage;
}

export interface CaptionedExample extends Example {
  readonly caption: string;
  readonly language: string;
}

/**
 * One contrastive batch: every class exactly once, in random order, each with a fresh image and a caption in a
 * random language. Distinct classes matter: the InfoNCE loss treats every other pair of the batch as a
 * negative, so two pairs of the same colour and shape would push matching texts and images apart.
 */
export function trainingBatch(random: Random): CaptionedExample[] {
  return shuffled(random, CLASSES).map((cls) => ({
    cls,
    image: renderScene(randomScene(random, cls), RENDER_SIZE),
    ...randomCaption(random, cls),
  }));
}

/** `perClass` images of every class from `seed` (use a seed training never sees), class-major order. */
export function evaluationSet(seed: number, perClass: number): Example[] {
  const random = createRandom(seed);
  return CLASSES.flatMap((cls) =>
    Array.from({ length: perClass }, () => ({
      cls,
      image: renderScene(randomScene(random, cls), RENDER_SIZE),
    })),
  );
}
