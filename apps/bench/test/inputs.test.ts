import { describe, expect, it } from 'vitest';
import { benchInputIds, benchPixelValues, firstRows, onesMask } from '../src/inputs.js';
import { presetConfig } from '../src/presets.js';

describe('bench inputs', () => {
  const config = presetConfig('large');

  it('are the same for the same seed and differ between seeds', () => {
    expect(benchPixelValues(config, 2, 7).data).toEqual(benchPixelValues(config, 2, 7).data);
    expect(benchPixelValues(config, 2, 7).data).not.toEqual(benchPixelValues(config, 2, 8).data);
    expect(benchInputIds(config, 2, 16, 7).data).toEqual(benchInputIds(config, 2, 16, 7).data);
  });

  it('give normalised-looking pixels of the model size', () => {
    const pixels = benchPixelValues(config, 3, 0);
    expect(pixels.dims).toEqual([3, 3, 224, 224]);
    const values = Array.from(pixels.data);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(std).toBeGreaterThan(0.8);
    expect(std).toBeLessThan(1.2);
  });

  it('give <s> … </s> rows of ordinary token ids inside the vocabulary', () => {
    const ids = benchInputIds(config, 4, 16, 3);
    expect(ids.dims).toEqual([4, 16]);
    for (let row = 0; row < 4; row++) {
      const tokens = Array.from(ids.data.slice(row * 16, (row + 1) * 16), Number);
      expect(tokens[0]).toBe(config.textConfig.bosTokenId);
      expect(tokens[15]).toBe(config.textConfig.eosTokenId);
      for (const id of tokens.slice(1, -1)) {
        expect(id).toBeGreaterThanOrEqual(4);
        expect(id).toBeLessThan(config.textConfig.vocabSize);
      }
    }
    expect(onesMask(4, 16).data.every((v) => v === 1n)).toBe(true);
  });

  it('make every batch a prefix of the pool', () => {
    const pool = benchInputIds(config, 8, 16, 1);
    const first = firstRows(pool, 3);
    expect(first.dims).toEqual([3, 16]);
    expect(first.data).toEqual(pool.data.slice(0, 48));
  });
});
