// transformers' `interpolate_pos_encoding` for the CLIP vision tower (fixture checklist item 17), shared by
// every backend so that all of them resize the position table the same way.

/** PyTorch's cubic convolution weights for the taps i-1, i, i+1, i+2 at fraction t (A = -0.75). */
function cubicWeights(t: number): [number, number, number, number] {
  const A = -0.75;
  const far = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  const near = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  return [far(t + 1), near(t), near(1 - t), far(2 - t)];
}

/**
 * The `[outSize, inSize]` matrix of `F.interpolate(mode='bicubic', align_corners=False)` along one axis:
 * source coordinate `(in/out)(o + 0.5) - 0.5` (not clamped), taps clamped to the edge, no antialiasing.
 * A 2-D resize is then two small matrix products (which a backend can also differentiate).
 */
export function bicubicMatrix(inSize: number, outSize: number): Float64Array {
  const matrix = new Float64Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = scale * (o + 0.5) - 0.5;
    const i = Math.floor(src);
    const weights = cubicWeights(src - i);
    for (let k = 0; k < 4; k++) {
      const tap = Math.min(Math.max(i - 1 + k, 0), inSize - 1);
      matrix[o * inSize + tap] += weights[k];
    }
  }
  return matrix;
}

/** `matrix [outLength, inLength]` applied to the middle axis of `data [outer, inLength, inner]`. */
function resizeAxis(
  data: Float64Array,
  outer: number,
  inLength: number,
  inner: number,
  outLength: number,
): Float64Array {
  const matrix = bicubicMatrix(inLength, outLength);
  const out = new Float64Array(outer * outLength * inner);
  for (let b = 0; b < outer; b++) {
    for (let o = 0; o < outLength; o++) {
      const target = (b * outLength + o) * inner;
      for (let k = 0; k < inLength; k++) {
        const w = matrix[o * inLength + k];
        if (w === 0) continue;
        const source = (b * inLength + k) * inner;
        for (let c = 0; c < inner; c++) out[target + c] += w * data[source + c];
      }
    }
  }
  return out;
}

/**
 * The `[1 + g*g, hidden]` position table resized to a `gridHeight x gridWidth` patch grid: the patch rows
 * (row-major `g x g`) resized bicubically, after the unchanged class row. Computed in float64 (the table is
 * small) and rounded once to float32.
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
