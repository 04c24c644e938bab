import { join } from 'node:path';
import { openSafetensors, type Tensor } from '@altclip/core';
import { describe, expect, it } from 'vitest';
import { expectClose, goldenSuite, readGoldenTensors } from '../../../tools/goldens.js';
import { interpolatePositionTable } from '../src/index.js';

const suite = goldenSuite();

describe.skipIf(!suite)('interpolatePositionTable (bicubic, align_corners=False)', () => {
  const cases = suite ? suite.cases.filter((c) => c.outputs?.['debug.position_embeddings']) : [];

  it('has interpolation goldens to check', () => {
    expect(cases.length).toBeGreaterThanOrEqual(3);
  });

  for (const c of cases) {
    it(`${c.name}: matches debug.position_embeddings`, async () => {
      const weights = await openSafetensors(join(suite!.modelDir, 'model.safetensors'));
      const table = await weights.getFloat32('vision_model.embeddings.position_embedding.weight');
      await weights.close();
      const tensors = await readGoldenTensors(suite!, c);
      const expected = tensors.get(c.outputs!['debug.position_embeddings'].key) as Tensor<'float32'>;
      const [, tokens, hidden] = expected.dims;
      const [, , height, width] = c.inputs.pixel_values.shape;
      const patch = 6;
      const gridHeight = Math.floor(height / patch);
      const gridWidth = Math.floor(width / patch);
      expect(1 + gridHeight * gridWidth).toBe(tokens);
      const resized = interpolatePositionTable(table.data, hidden, gridHeight, gridWidth);
      const actual = { type: 'float32', data: resized, dims: [1, tokens, hidden] } as unknown as Tensor;
      expect(expectClose(actual, expected, { atol: 1e-5, rtol: 0 }, c.name)).toBeLessThan(1e-5);
    });
  }

  it('keeps the class row and reproduces the table at the same grid size', () => {
    const hidden = 3;
    const table = Float32Array.from({ length: (1 + 16) * hidden }, (_, i) => Math.sin(i));
    const same = interpolatePositionTable(table, hidden, 4, 4);
    for (let i = 0; i < table.length; i++) expect(same[i]).toBeCloseTo(table[i], 6);
  });
});
