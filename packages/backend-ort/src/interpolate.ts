/** PyTorch's cubic convolution weights for the four taps around `t` (A = -0.75, as `F.interpolate` bicubic). */
function cubicWeights(t: number): [number, number, number, number] {
  const A = -0.75;
  const far = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  const near = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  return [far(t + 1), near(t), near(1 - t), far(2 - t)];
}

/**
 * Resize along one axis with `align_corners=False` and no antialiasing: source index
 * `(inLength / outLength) * (o + 0.5) - 0.5`, taps clamped to the edge.
 * `data` is `[outer, inLength, inner]`; the result is `[outer, outLength, inner]`.
 */
function resizeAxis(
  data: Float64Array,
  outer: number,
  inLength: number,
  inner: number,
  outLength: number,
): Float64Array {
  const out = new Float64Array(outer * outLength * inner);
  const ratio = inLength / outLength;
  for (let o = 0; o < outLength; o++) {
    const src = ratio * (o + 0.5) - 0.5;
    const i = Math.floor(src);
    const weights = cubicWeights(src - i);
    const taps = [i - 1, i, i + 1, i + 2].map((k) => Math.min(Math.max(k, 0), inLength - 1));
    for (let b = 0; b < outer; b++) {
      const target = (b * outLength + o) * inner;
      for (let tap = 0; tap < 4; tap++) {
        const source = (b * inLength + taps[tap]) * inner;
        const w = weights[tap];
        for (let c = 0; c < inner; c++) out[target + c] += w * data[source + c];
      }
    }
  }
  return out;
}

/**
 * transformers' `interpolate_pos_encoding` for CLIP: the patch rows of the position table (a `g x g` grid,
 * row-major) resized bicubically to `gridHeight x gridWidth`, after the unchanged class row.
 * Computed in float64 (the table is small) and rounded once to float32.
 */
export function interpolatePositionTable(
  table: Float32Array,
  hidden: number,
  gridHeight: number,
  gridWidth: number,
): Float32Array {
  const positions = table.length / hidden;
  const grid = Math.round(Math.sqrt(positions - 1));
  const patches = Float64Array.from(table.subarray(hidden));
  const rows = resizeAxis(patches, 1, grid, grid * hidden, gridHeight);
  const resized = resizeAxis(rows, gridHeight, grid, hidden, gridWidth);
  const out = new Float32Array((1 + gridHeight * gridWidth) * hidden);
  out.set(table.subarray(0, hidden));
  out.set(resized, hidden);
  return out;
}
