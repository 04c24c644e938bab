import { InputError } from './errors.js';
import { Tensor } from './tensor.js';

export interface HeadOutputs {
  /** L2-normalised text embeddings `[T, D]`. */
  textEmbeds: Tensor<'float32'>;
  /** L2-normalised image embeddings `[I, D]`. */
  imageEmbeds: Tensor<'float32'>;
  /** `textEmbeds @ imageEmbeds^T * exp(logit_scale)`, `[T, I]`. */
  logitsPerText: Tensor<'float32'>;
  /** The transpose, `[I, T]`. */
  logitsPerImage: Tensor<'float32'>;
  /** Symmetric contrastive loss (0-d), when asked for on a square batch. */
  loss?: Tensor<'float32'>;
}

function normaliseRows(features: Tensor<'float32'>): Float64Array {
  const [rows, cols] = features.dims;
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += features.data[r * cols + c] ** 2;
    // transformers divides by the norm with no epsilon; a zero row gives NaN there too.
    const norm = Math.sqrt(sum);
    for (let c = 0; c < cols; c++) out[r * cols + c] = features.data[r * cols + c] / norm;
  }
  return out;
}

/** Mean cross entropy of each row of `logits` against the target at its own index (targets = arange(n)). */
function diagonalCrossEntropy(logits: Float64Array, n: number, transpose: boolean): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const at = (j: number) => (transpose ? logits[j * n + i] : logits[i * n + j]);
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < n; j++) max = Math.max(max, at(j));
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.exp(at(j) - max);
    total += max + Math.log(sum) - at(i);
  }
  return total / n;
}

/**
 * AltCLIP's contrastive head, shared by every backend: normalise the projected features, scale the cosine
 * similarities by exp(logit_scale), and optionally the symmetric cross-entropy loss. Accumulates in float64.
 */
export function computeHead(
  textFeatures: Tensor<'float32'>,
  imageFeatures: Tensor<'float32'>,
  logitScale: number,
  returnLoss = false,
): HeadOutputs {
  if (textFeatures.dims.length !== 2 || imageFeatures.dims.length !== 2) {
    throw new InputError('text and image features must be 2-D [batch, projection_dim]');
  }
  const [numTexts, dim] = textFeatures.dims;
  const [numImages, imageDim] = imageFeatures.dims;
  if (dim !== imageDim) throw new InputError(`text features have width ${dim}, image features ${imageDim}`);
  if (returnLoss && numTexts !== numImages) {
    throw new InputError(
      `the contrastive loss needs as many texts as images (matching pairs); got ${numTexts} texts and ${numImages} images`,
    );
  }
  const text = normaliseRows(textFeatures);
  const image = normaliseRows(imageFeatures);
  const scale = Math.exp(logitScale);
  const perText = new Float64Array(numTexts * numImages);
  for (let t = 0; t < numTexts; t++) {
    for (let i = 0; i < numImages; i++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += text[t * dim + d] * image[i * dim + d];
      perText[t * numImages + i] = dot * scale;
    }
  }
  const perImage = new Float32Array(numImages * numTexts);
  for (let t = 0; t < numTexts; t++) {
    for (let i = 0; i < numImages; i++) perImage[i * numTexts + t] = perText[t * numImages + i];
  }
  const outputs: HeadOutputs = {
    textEmbeds: new Tensor('float32', Float32Array.from(text), [numTexts, dim]),
    imageEmbeds: new Tensor('float32', Float32Array.from(image), [numImages, dim]),
    logitsPerText: new Tensor('float32', Float32Array.from(perText), [numTexts, numImages]),
    logitsPerImage: new Tensor('float32', perImage, [numImages, numTexts]),
  };
  if (returnLoss) {
    const loss =
      (diagonalCrossEntropy(perText, numTexts, false) + diagonalCrossEntropy(perText, numTexts, true)) / 2;
    outputs.loss = new Tensor('float32', new Float32Array([loss]), []);
  }
  return outputs;
}

/** Row-wise softmax of a 2-D tensor (e.g. `logitsPerImage` → probabilities over the labels). */
export function softmax(logits: Tensor<'float32'>): Tensor<'float32'> {
  const [rows, cols] = logits.dims;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < cols; c++) max = Math.max(max, logits.data[r * cols + c]);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(logits.data[r * cols + c] - max);
    for (let c = 0; c < cols; c++) out[r * cols + c] = Math.exp(logits.data[r * cols + c] - max) / sum;
  }
  return new Tensor('float32', out, [rows, cols]);
}
