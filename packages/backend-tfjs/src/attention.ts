import { type DropoutContext, dropout, mergeHeads, splitHeads } from './layers.js';
import { tf } from './runtime.js';

export interface AttentionResult {
  /** Heads merged back, `[B, L, hidden]`. */
  readonly context: tf.Tensor;
  /** Softmax probabilities `[B, heads, L, L]`, built only when asked for. */
  readonly probs: () => tf.Tensor;
}

/**
 * Scaled dot-product attention over `[B, L, hidden]` projections, heads split as `view(B, L, heads, hd)`;
 * `mask` is the additive `[B, 1, 1, L]` key mask.
 */
export function attention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  heads: number,
  mask: tf.Tensor | undefined,
  dropoutRate: number,
  context: DropoutContext,
): AttentionResult {
  const [, length, width] = q.shape as [number, number, number];
  const headDim = width / heads;
  // Measured on the ViT-L shapes (257 tokens, 16 heads): wasm's batched matMul is a generic loop at
  // ~1 GFLOP/s; per-head 2-D products run on XNNPACK, about 3x faster for the whole attention.
  if (tf.getBackend() === 'wasm' && length * length * headDim >= 2 ** 18) {
    return perHeadAttention(q, k, v, heads, mask, dropoutRate, context);
  }
  const keysT = tf.transpose(splitHeads(k, heads), [0, 1, 3, 2]);
  let scores = tf.mul(tf.matMul(splitHeads(q, heads), keysT), 1 / Math.sqrt(headDim));
  if (mask) scores = tf.add(scores, mask);
  const probs = tf.softmax(scores);
  const merged = mergeHeads(tf.matMul(dropout(probs, dropoutRate, context), splitHeads(v, heads)));
  return { context: merged, probs: () => probs };
}

function perHeadAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  heads: number,
  mask: tf.Tensor | undefined,
  dropoutRate: number,
  context: DropoutContext,
): AttentionResult {
  const [batch, length, width] = q.shape as [number, number, number];
  const headDim = width / heads;
  // Head-major copies, one transpose each: [B*heads, L, hd] for queries and values, [B*heads, hd, L] for
  // keys (already transposed for the scores).
  const split = (t: tf.Tensor, order: number[], shape: [number, number]) =>
    tf.reshape(tf.transpose(tf.reshape(t, [batch, length, heads, headDim]), order), [
      batch * heads,
      ...shape,
    ]);
  const qh = split(q, [0, 2, 1, 3], [length, headDim]);
  const kh = split(k, [0, 2, 3, 1], [headDim, length]);
  const vh = split(v, [0, 2, 1, 3], [length, headDim]);
  const masks = mask ? tf.reshape(mask, [batch, 1, length]) : undefined;
  const probs: tf.Tensor[][] = [];
  const contexts: tf.Tensor[] = [];
  for (let b = 0; b < batch; b++) {
    const rowMask = masks && block(masks, b);
    const batchProbs: tf.Tensor[] = [];
    const batchContexts: tf.Tensor[] = [];
    for (let h = 0; h < heads; h++) {
      const i = b * heads + h;
      let scores = tf.mul(tf.matMul(block(qh, i), block(kh, i)), 1 / Math.sqrt(headDim));
      if (rowMask) scores = tf.add(scores, rowMask);
      const p = tf.softmax(scores);
      batchProbs.push(p);
      batchContexts.push(tf.matMul(dropout(p, dropoutRate, context), block(vh, i)));
    }
    probs.push(batchProbs);
    contexts.push(tf.concat(batchContexts, 1));
  }
  return {
    context: tf.reshape(tf.concat(contexts, 0), [batch, length, width]),
    probs: () => tf.stack(probs.map((batchProbs) => tf.stack(batchProbs))),
  };
}

/**
 * Block `index` of a `[n, rows, cols]` tensor, as `[rows, cols]`. A gather, not `tf.slice`: tfjs-wasm's
 * Slice copies its whole source through JS for every slice (measured: 0.47 s per image in a 24-layer ViT-L
 * tower, 16 heads × 3 projections of 1 MB per layer). The gather's own gradient needs UnsortedSegmentSum,
 * which wasm lacks; the gradient of one block is the block padded back to the source.
 */
function block(x: tf.Tensor, index: number): tf.Tensor2D {
  const [n, rows, cols] = x.shape as [number, number, number];
  const take = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.reshape(tf.gather(args[0] as tf.Tensor, [index]), [rows, cols]),
    gradFunc: (dy: tf.Tensor) =>
      tf.pad(tf.reshape(dy, [1, rows, cols]), [
        [index, n - 1 - index],
        [0, 0],
        [0, 0],
      ]),
  }));
  return take(x) as tf.Tensor2D;
}
