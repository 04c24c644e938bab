import type { RawImage } from '@altclip/image-processor';
import { pick, type Random, uniform } from './random.js';

export const COLOURS = ['red', 'green', 'blue', 'yellow'] as const;
export const SHAPES = ['circle', 'square', 'triangle', 'star'] as const;
export type Colour = (typeof COLOURS)[number];
export type Shape = (typeof SHAPES)[number];

/** One class of the demo task: a colour and a shape. */
export interface ShapeClass {
  readonly colour: Colour;
  readonly shape: Shape;
}

/** The 16 classes, colour-major: index = colour · 4 + shape. */
export const CLASSES: readonly ShapeClass[] = COLOURS.flatMap((colour) =>
  SHAPES.map((shape) => ({ colour, shape })),
);

export function classIndex(cls: ShapeClass): number {
  return COLOURS.indexOf(cls.colour) * SHAPES.length + SHAPES.indexOf(cls.shape);
}

type RGB = readonly [number, number, number];

export type Background =
  | { readonly kind: 'solid'; readonly colour: RGB }
  | { readonly kind: 'gradient'; readonly from: RGB; readonly to: RGB; readonly angle: number }
  | { readonly kind: 'noise'; readonly colour: RGB; readonly amplitude: number; readonly seed: number };

/** Everything needed to draw one image, in resolution-free units (the image is the unit square). */
export interface Scene {
  readonly cls: ShapeClass;
  readonly fill: RGB;
  readonly centreX: number;
  readonly centreY: number;
  /** Circumradius as a fraction of the image side. */
  readonly radius: number;
  /** Radians. */
  readonly rotation: number;
  readonly background: Background;
}

/** Hue (degrees) of each class colour; the saturated fills are jittered around it. */
const HUES: Record<Colour, number> = { red: 0, green: 120, blue: 225, yellow: 55 };

function hsvToRgb(hue: number, saturation: number, value: number): RGB {
  const h = (((hue % 360) + 360) % 360) / 60;
  const c = value * saturation;
  const x = c * (1 - Math.abs((h % 2) - 1));
  const m = value - c;
  const [r, g, b] =
    h < 1
      ? [c, x, 0]
      : h < 2
        ? [x, c, 0]
        : h < 3
          ? [0, c, x]
          : h < 4
            ? [0, x, c]
            : h < 5
              ? [x, 0, c]
              : [c, 0, x];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

/**
 * Backgrounds are desaturated (saturation ≤ 0.25) so that they never look like one of the class colours and
 * the saturated shape always stands out, whatever its lightness.
 */
function mutedColour(random: Random): RGB {
  return hsvToRgb(uniform(random, 0, 360), uniform(random, 0, 0.25), uniform(random, 0.08, 0.95));
}

/** Furthest the shape's centre moves from the image centre (fraction of the side). */
const MAX_OFFSET = 0.07;

function randomBackground(random: Random, difficulty: number): Background {
  const kind = random();
  const base = mutedColour(random);
  const other = mutedColour(random);
  const angle = uniform(random, 0, 2 * Math.PI);
  const amplitude = uniform(random, 8, 25);
  const seed = Math.floor(random() * 2 ** 31);
  if (kind < 1 - 0.6 * difficulty) {
    // Easy scenes start from mid grey: the first shape features form much faster on one background.
    const towardsGrey = (c: number) => Math.round(128 + (c - 128) * difficulty);
    return { kind: 'solid', colour: [towardsGrey(base[0]), towardsGrey(base[1]), towardsGrey(base[2])] };
  }
  if (kind < 1 - 0.3 * difficulty) return { kind: 'gradient', from: base, to: other, angle };
  return { kind: 'noise', colour: base, amplitude, seed };
}

/**
 * A random scene of the given class (or of a random class). `difficulty` (default 1, the task the model is tested
 * on) scales the variation: at 0 the shape is large, centred and upright on a solid background, which a
 * randomly initialised ViT learns within a few hundred steps; at 1 it moves, shrinks, turns, and 30% of the
 * backgrounds are gradients and 30% noise. The same random numbers are drawn at every difficulty.
 */
export function randomScene(random: Random, cls: ShapeClass = pick(random, CLASSES), difficulty = 1): Scene {
  const radius = uniform(random, 0.3, 0.4);
  const offsetX = uniform(random, -1, 1);
  const offsetY = uniform(random, -1, 1);
  const rotation = uniform(random, -0.25, 0.25);
  const value = cls.colour === 'yellow' ? uniform(random, 0.85, 1) : uniform(random, 0.65, 1);
  const fill = hsvToRgb(HUES[cls.colour] + uniform(random, -8, 8), uniform(random, 0.75, 1), value);
  const scaledRadius = 0.4 + (radius - 0.4) * difficulty;
  const reach = Math.min(MAX_OFFSET, 0.48 - scaledRadius) * difficulty;
  return {
    cls,
    fill,
    centreX: 0.5 + offsetX * reach,
    centreY: 0.5 + offsetY * reach,
    radius: scaledRadius,
    rotation: rotation * difficulty,
    background: randomBackground(random, difficulty),
  };
}

type Point = readonly [number, number];

/** Polygon vertices (unit-square coordinates) of the scene's shape; undefined for the circle. */
function outline(scene: Scene): Point[] | undefined {
  const { shape } = scene.cls;
  if (shape === 'circle') return undefined;
  // Radii (relative to the circumradius) and angles of the corners, before rotation; -90° points up.
  const corners: [number, number][] =
    shape === 'square'
      ? [0, 1, 2, 3].map((i) => [0.85, 45 + 90 * i])
      : shape === 'triangle'
        ? [0, 1, 2].map((i) => [1, -90 + 120 * i])
        : Array.from({ length: 10 }, (_, i) => [i % 2 === 0 ? 1 : 0.45, -90 + 36 * i]);
  return corners.map(([r, degrees]) => {
    const angle = (degrees * Math.PI) / 180 + scene.rotation;
    return [
      scene.centreX + r * scene.radius * Math.cos(angle),
      scene.centreY + r * scene.radius * Math.sin(angle),
    ];
  });
}

function segmentDistance(px: number, py: number, a: Point, b: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const t = Math.max(0, Math.min(1, ((px - a[0]) * dx + (py - a[1]) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - a[0] - t * dx, py - a[1] - t * dy);
}

/** Signed distance to a polygon's boundary, negative inside (even-odd rule). */
function polygonDistance(px: number, py: number, polygon: readonly Point[]): number {
  let distance = Infinity;
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const a = polygon[i];
    const b = polygon[j];
    distance = Math.min(distance, segmentDistance(px, py, a, b));
    if (a[1] > py !== b[1] > py && px < ((b[0] - a[0]) * (py - a[1])) / (b[1] - a[1]) + a[0])
      inside = !inside;
  }
  return inside ? -distance : distance;
}

/** A 32-bit integer hash, for per-pixel noise that does not depend on drawing order. */
function hash(seed: number, x: number, y: number): number {
  let h = Math.imul(seed ^ Math.imul(x, 0x27d4eb2d), 0x165667b1) ^ Math.imul(y, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function backgroundAt(
  background: Background,
  u: number,
  v: number,
  x: number,
  y: number,
  out: number[],
): void {
  if (background.kind === 'solid') {
    for (let c = 0; c < 3; c++) out[c] = background.colour[c];
  } else if (background.kind === 'gradient') {
    // Projection of the pixel on the gradient's direction, mapped to [0, 1] over the square.
    const cos = Math.cos(background.angle);
    const sin = Math.sin(background.angle);
    const t = ((u - 0.5) * cos + (v - 0.5) * sin) / (Math.abs(cos) + Math.abs(sin)) + 0.5;
    for (let c = 0; c < 3; c++) out[c] = background.from[c] + (background.to[c] - background.from[c]) * t;
  } else {
    for (let c = 0; c < 3; c++) {
      const noise = (hash(background.seed + c, x, y) / 4294967296) * 2 - 1;
      out[c] = background.colour[c] + noise * background.amplitude;
    }
  }
}

/**
 * Draws the scene as a size×size RGB image. Edges are anti-aliased from the signed distance (one pixel wide),
 * so the same scene looks the same at any resolution.
 */
export function renderScene(scene: Scene, size: number): RawImage {
  const data = new Uint8Array(size * size * 3);
  const polygon = outline(scene);
  const pixel = [0, 0, 0];
  for (let y = 0; y < size; y++) {
    const v = (y + 0.5) / size;
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size;
      const distance = polygon
        ? polygonDistance(u, v, polygon)
        : Math.hypot(u - scene.centreX, v - scene.centreY) - scene.radius;
      const coverage = Math.max(0, Math.min(1, 0.5 - distance * size));
      backgroundAt(scene.background, u, v, x, y, pixel);
      const o = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) {
        const value = pixel[c] + (scene.fill[c] - pixel[c]) * coverage;
        data[o + c] = Math.max(0, Math.min(255, Math.round(value)));
      }
    }
  }
  return { data, width: size, height: size, channels: 3 };
}
