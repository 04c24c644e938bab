import { tf } from './runtime.js';

const A = -0.75;

/** PyTorch's cubic convolution weights for the taps i-1, i, i+1, i+2 at fraction t. */
function cubicWeights(t: number): [number, number, number, number] {
  const far = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  const near = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  return [far(t + 1), near(t), near(1 - t), far(2 - t)];
}

/**
 * The `[outSize, inSize]` matrix of `F.interpolate(mode='bicubic', align_corners=False)` along one axis:
 * source coordinate `(in/out)(o + 0.5) - 0.5` (not clamped), taps clamped to the edge, no antialiasing.
 * A resize is then two small matrix products, which also keeps it differentiable.
 */
export function bicubicMatrix(inSize: number, outSize: number): Float32Array {
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
  return Float32Array.from(matrix);
}

/**
 * CLIP's `interpolate_pos_encoding`: the `[1 + g*g, D]` table resized to a `gh × gw` grid, class row kept.
 * The table is used unchanged when the patch count matches and the image is square, as transformers does.
 */
export function interpolatePositions(table: tf.Tensor, gridHeight: number, gridWidth: number): tf.Tensor2D {
  const [positions, width] = table.shape;
  const grid = Math.round(Math.sqrt(positions - 1));
  const classRow = tf.slice(table, [0, 0], [1, width]);
  const patches = tf.slice(table, [1, 0], [positions - 1, width]);
  const rows = tf.tensor2d(bicubicMatrix(grid, gridHeight), [gridHeight, grid]);
  const cols = tf.tensor2d(bicubicMatrix(grid, gridWidth), [gridWidth, grid]);
  // Rows: [gh, g] x [g, g*D]; then columns on the [g, gh*D] transpose.
  const byRows = tf.reshape(tf.matMul(rows, tf.reshape(patches, [grid, grid * width])), [
    gridHeight,
    grid,
    width,
  ]);
  const byCols = tf.matMul(cols, tf.reshape(tf.transpose(byRows, [1, 0, 2]), [grid, gridHeight * width]));
  const resized = tf.transpose(tf.reshape(byCols, [gridWidth, gridHeight, width]), [1, 0, 2]);
  return tf.concat([classRow, tf.reshape(resized, [gridHeight * gridWidth, width])], 0) as tf.Tensor2D;
}
