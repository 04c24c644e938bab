import type { Agreement, LatencySummary } from './report.js';

/** The q-quantile (0..1) of sorted values, interpolating linearly between neighbours (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of no values');
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

export function summarizeLatencies(milliseconds: readonly number[]): LatencySummary {
  const sorted = [...milliseconds].sort((a, b) => a - b);
  return {
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    mean: sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

/**
 * Compares two `[rows, width]` row-major embedding matrices: the largest absolute difference and the
 * smallest cosine similarity between corresponding rows.
 */
export function compareEmbeddings(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rows: number,
): Agreement {
  if (actual.length !== expected.length || actual.length % rows !== 0) {
    throw new RangeError(
      `cannot compare embeddings of ${actual.length} and ${expected.length} values in ${rows} rows`,
    );
  }
  const width = actual.length / rows;
  let maxAbsDiff = 0;
  let cosine = 1;
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    let normA = 0;
    let normB = 0;
    for (let i = r * width; i < (r + 1) * width; i++) {
      const a = actual[i];
      const b = expected[i];
      // NaN must not hide behind Math.max, which would skip it.
      const diff = Math.abs(a - b);
      maxAbsDiff = Number.isNaN(diff) || diff > maxAbsDiff ? diff : maxAbsDiff;
      dot += a * b;
      normA += a * a;
      normB += b * b;
    }
    const rowCosine = dot / Math.sqrt(normA * normB);
    cosine = Number.isNaN(rowCosine) || rowCosine < cosine ? rowCosine : cosine;
  }
  return { maxAbsDiff, cosine };
}
