import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { createRandom } from './random.js';
import { randomScene, renderScene, type ShapeClass } from './shapes.js';

/** The example images shipped in examples/images: file name → class. */
export const EXAMPLE_IMAGES: Readonly<Record<string, ShapeClass>> = {
  'red-circle.png': { colour: 'red', shape: 'circle' },
  'blue-square.png': { colour: 'blue', shape: 'square' },
  'green-triangle.png': { colour: 'green', shape: 'triangle' },
  'yellow-star.png': { colour: 'yellow', shape: 'star' },
};

/** Side of the example PNGs: larger than the model's input, like a real photo. */
export const EXAMPLE_SIZE = 256;

/** Draws the example images (seeded) into `dir` as PNG files; returns their paths. */
export async function writeExampleImages(dir: string, seed: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const random = createRandom(seed);
  const paths: string[] = [];
  for (const [name, cls] of Object.entries(EXAMPLE_IMAGES)) {
    const image = renderScene(randomScene(random, cls), EXAMPLE_SIZE);
    const path = join(dir, name);
    await writeFile(
      path,
      encode({ width: image.width, height: image.height, data: image.data, channels: 3, depth: 8 }),
    );
    paths.push(path);
  }
  return paths;
}
