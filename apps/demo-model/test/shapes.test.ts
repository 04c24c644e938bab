import { describe, expect, it } from 'vitest';
import {
  CLASSES,
  classIndex,
  createRandom,
  evaluationSet,
  randomScene,
  renderScene,
  trainingBatch,
} from '../src/index.js';

function pixel(image: { data: Uint8Array; width: number }, x: number, y: number): number[] {
  const o = (y * image.width + x) * 3;
  return [image.data[o], image.data[o + 1], image.data[o + 2]];
}

function saturation([r, g, b]: number[]): number {
  const max = Math.max(r, g, b);
  return max === 0 ? 0 : (max - Math.min(r, g, b)) / max;
}

describe('image generator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const draw = (seed: number) => renderScene(randomScene(createRandom(seed)), 48).data;
    expect(draw(3)).toEqual(draw(3));
    expect(draw(3)).not.toEqual(draw(4));
  });

  it('has 16 classes with distinct indices', () => {
    expect(CLASSES).toHaveLength(16);
    expect(new Set(CLASSES.map(classIndex)).size).toBe(16);
    for (const [i, cls] of CLASSES.entries()) expect(classIndex(cls)).toBe(i);
  });

  it('paints the shape in its saturated class colour on a muted background', () => {
    const random = createRandom(11);
    for (let i = 0; i < 40; i++) {
      const scene = randomScene(random);
      const size = 64;
      const image = renderScene(scene, size);
      const centre = pixel(image, Math.floor(scene.centreX * size), Math.floor(scene.centreY * size));
      expect(Math.max(...centre.map((v, c) => Math.abs(v - scene.fill[c])))).toBeLessThanOrEqual(1);
      expect(saturation(centre)).toBeGreaterThan(0.7);
      const dominant = centre.indexOf(Math.max(...centre));
      const expected = { red: [0], green: [1], blue: [2], yellow: [0, 1] }[scene.cls.colour];
      expect(expected).toContain(dominant);
      if (scene.background.kind === 'solid') {
        expect(saturation(pixel(image, 0, 0))).toBeLessThanOrEqual(0.26);
      }
    }
  });

  it('draws shapes whose covered area matches their geometry', () => {
    // Area relative to the circumscribed circle: circle 1, square (0.85 r half-diagonal) 2·0.85²/π, ...
    const expected = {
      circle: 1,
      square: (2 * 0.85 ** 2) / Math.PI,
      triangle: (3 * Math.sqrt(3)) / (4 * Math.PI),
      star: 0,
    };
    const starArea = 10 * 0.5 * 1 * 0.45 * Math.sin(Math.PI / 5);
    expected.star = starArea / Math.PI;
    for (const cls of CLASSES.slice(0, 4)) {
      const scene = {
        ...randomScene(createRandom(5), cls),
        background: { kind: 'solid' as const, colour: [0, 0, 0] as const },
      };
      const size = 256;
      const image = renderScene(scene, size);
      let covered = 0;
      for (let i = 0; i < image.data.length; i += 3) covered += image.data[i] / scene.fill[0];
      const area = covered / (Math.PI * (scene.radius * size) ** 2);
      expect(area).toBeCloseTo(expected[cls.shape], 1);
    }
  });

  it('draws easy scenes at difficulty 0: large, centred, upright, on grey', () => {
    const random = createRandom(8);
    for (let i = 0; i < 20; i++) {
      const scene = randomScene(random, undefined, 0);
      expect(scene).toMatchObject({ centreX: 0.5, centreY: 0.5, radius: 0.4 });
      expect(Math.abs(scene.rotation)).toBe(0);
      expect(scene.background).toEqual({ kind: 'solid', colour: [128, 128, 128] });
    }
  });

  it('keeps every shape inside the image at full difficulty', () => {
    const random = createRandom(12);
    for (let i = 0; i < 200; i++) {
      const scene = randomScene(random);
      for (const centre of [scene.centreX, scene.centreY]) {
        expect(centre - scene.radius).toBeGreaterThan(0);
        expect(centre + scene.radius).toBeLessThan(1);
      }
    }
  });

  it('makes training batches of 16 distinct classes and balanced evaluation sets', () => {
    const batch = trainingBatch(createRandom(2));
    expect(new Set(batch.map((e) => classIndex(e.cls))).size).toBe(16);
    const examples = evaluationSet(9, 3);
    expect(examples).toHaveLength(48);
    for (const cls of CLASSES) expect(examples.filter((e) => e.cls === cls)).toHaveLength(3);
  });
});
