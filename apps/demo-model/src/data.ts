import type { RawImage } from '@altclip/image-processor';
import { randomCaption, randomShapeCaption } from './languages.js';
import { createRandom, pick, type Random, shuffled } from './random.js';
import { CLASSES, COLOURS, randomScene, renderScene, SHAPES, type ShapeClass } from './shapes.js';

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
export function trainingBatch(random: Random, difficulty = 1): CaptionedExample[] {
  return shuffled(random, CLASSES).map((cls) => ({
    cls,
    image: renderScene(randomScene(random, cls, difficulty), RENDER_SIZE),
    ...randomCaption(random, cls),
  }));
}

/**
 * A shape-only batch: each shape once, in a random colour, with a caption that names only the shape. Training
 * mixes these in. On full batches alone, colour (the mean pixel) is learnt first, and the text tower then learns
 * to ignore shape words because no image feature matches them yet: a saddle where both towers wait for the other
 * (measured: the loss stays at ln 4, colour only). Without colour in the captions, shape is the only signal.
 */
export function shapeBatch(random: Random, difficulty = 1): CaptionedExample[] {
  return shuffled(random, SHAPES).map((shape) => {
    const cls = { colour: pick(random, COLOURS), shape };
    return {
      cls,
      image: renderScene(randomScene(random, cls, difficulty), RENDER_SIZE),
      ...randomShapeCaption(random, shape),
    };
  });
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
