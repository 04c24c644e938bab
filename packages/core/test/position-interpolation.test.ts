import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectClose, goldenSuite, readGoldenTensors } from '../../../tools/goldens.js';
import { bicubicMatrix, interpolatePositionTable, openSafetensors, Tensor } from '../src/index.js';

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
      const actual = new Tensor('float32', resized, [1, tokens, hidden]);
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

describe('bicubicMatrix (PyTorch bicubic, align_corners=False, A = -0.75)', () => {
  it('is the identity at equal sizes and its rows sum to 1', () => {
    const identity = bicubicMatrix(5, 5);
    for (let r = 0; r < 5; r++)
      for (let c = 0; c < 5; c++) expect(identity[r * 5 + c]).toBeCloseTo(r === c ? 1 : 0, 6);
    const up = bicubicMatrix(5, 7);
    for (let r = 0; r < 7; r++) {
      let sum = 0;
      for (let c = 0; c < 5; c++) sum += up[r * 5 + c];
      expect(sum).toBeCloseTo(1, 6);
    }
  });

  it('uses the half-pixel source coordinate and clamps the taps', () => {
    // 5 -> 7, output 0: src = (5/7)(0.5) - 0.5 = -0.142857, i = -1, t = 0.857143; taps -2..1 clamp to
    // 0, 0, 0, 1, so column 1 gets w(2) = far(2 - t) and column 0 the rest.
    const t = 5 / 7 / 2 - 0.5 + 1;
    const A = -0.75;
    const w4 = ((A * (2 - t) - 5 * A) * (2 - t) + 8 * A) * (2 - t) - 4 * A;
    const row = bicubicMatrix(5, 7).slice(0, 5);
    expect(row[1]).toBeCloseTo(w4, 6);
    expect(row[0]).toBeCloseTo(1 - w4, 6);
    expect(row.slice(2).every((v) => v === 0)).toBe(true);
  });
});
