import { compareEmbeddings } from '@altclip/core';
import { describe, expect, it } from 'vitest';
import { quantile, summarizeLatencies } from '../src/stats.js';

describe('latency summary', () => {
  it('interpolates quantiles as numpy does', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(quantile(sorted, 0.5)).toBe(5.5);
    expect(quantile(sorted, 0.95)).toBeCloseTo(9.55, 10);
    expect(quantile([7], 0.95)).toBe(7);
  });

  it('summarises unsorted latencies', () => {
    expect(summarizeLatencies([30, 10, 20])).toEqual({ p50: 20, p95: 29, mean: 20, min: 10, max: 30 });
  });
});

describe('embedding agreement', () => {
  it('gives the largest difference and the worst row cosine', () => {
    const expected = [1, 0, 0, 1];
    const actual = [1, 0.001, 1, 1];
    const { maxAbsDiff, cosine } = compareEmbeddings(actual, expected, 2);
    expect(maxAbsDiff).toBeCloseTo(1, 10);
    expect(cosine).toBeCloseTo(Math.SQRT1_2, 10);
  });

  it('is exact for equal embeddings', () => {
    expect(compareEmbeddings([3, 4, 5, 6], [3, 4, 5, 6], 2)).toEqual({ maxAbsDiff: 0, cosine: 1 });
  });

  it('lets NaN through instead of hiding it', () => {
    const { maxAbsDiff, cosine } = compareEmbeddings([Number.NaN, 1, 0, 1], [0, 1, 0, 1], 2);
    expect(maxAbsDiff).toBeNaN();
    expect(cosine).toBeNaN();
  });

  it('refuses mismatched sizes', () => {
    expect(() => compareEmbeddings([1, 2, 3], [1, 2], 1)).toThrow(RangeError);
  });
});
