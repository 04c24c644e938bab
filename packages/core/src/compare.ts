/** How closely two embedding matrices agree (backend parity, fp32 vs int8, goldens). */
export interface EmbeddingAgreement {
  /** Largest element-wise absolute difference (NaN if any element is NaN). */
  maxAbsDiff: number;
  /** Smallest cosine similarity between corresponding rows. */
  cosine: number;
}

/**
 * Compares two `[rows, width]` row-major embedding matrices: the largest absolute difference and the
 * smallest cosine similarity between corresponding rows.
 */
export function compareEmbeddings(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rows: number,
): EmbeddingAgreement {
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
