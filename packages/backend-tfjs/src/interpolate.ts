import { bicubicMatrix } from '@altclip/core';
import { tf } from './runtime.js';

/**
 * CLIP's `interpolate_pos_encoding`: the `[1 + g*g, D]` table resized to a `gh × gw` grid, class row kept.
 * The table is used unchanged when the patch count matches and the image is square, as transformers does.
 */
export function interpolatePositions(table: tf.Tensor, gridHeight: number, gridWidth: number): tf.Tensor2D {
  const [positions, width] = table.shape;
  const grid = Math.round(Math.sqrt(positions - 1));
  const classRow = tf.slice(table, [0, 0], [1, width]);
  const patches = tf.slice(table, [1, 0], [positions - 1, width]);
  const rows = tf.tensor2d(Float32Array.from(bicubicMatrix(grid, gridHeight)), [gridHeight, grid]);
  const cols = tf.tensor2d(Float32Array.from(bicubicMatrix(grid, gridWidth)), [gridWidth, grid]);
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
