import { type AltCLIPConfig, createRandom, Tensor } from '@altclip/core';

/** Normalised pixel values `[batch, channels, size, size]`, roughly N(0, 1) like CLIP-normalised images. */
export function benchPixelValues(config: AltCLIPConfig, batch: number, seed: number): Tensor<'float32'> {
  const { numChannels, imageSize } = config.visionConfig;
  const random = createRandom(seed);
  const data = new Float32Array(batch * numChannels * imageSize * imageSize);
  // Sum of three uniforms, rescaled: close enough to a normal for activations of a realistic range.
  for (let i = 0; i < data.length; i++) data[i] = (random() + random() + random() - 1.5) * 2;
  return new Tensor('float32', data, [batch, numChannels, imageSize, imageSize]);
}

/** `<s> … </s>` token ids `[batch, length]` without padding, drawn from the ids above the special tokens. */
export function benchInputIds(
  config: AltCLIPConfig,
  batch: number,
  length: number,
  seed: number,
): Tensor<'int64'> {
  const text = config.textConfig;
  const random = createRandom(seed ^ 0x5eed);
  const ids = new BigInt64Array(batch * length);
  const firstOrdinary = 4; // 0..3 are <s>, <pad>, </s>, <unk> in XLM-R
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < length; t++) {
      const id =
        t === 0
          ? text.bosTokenId
          : t === length - 1
            ? text.eosTokenId
            : firstOrdinary + Math.floor(random() * (text.vocabSize - firstOrdinary));
      ids[b * length + t] = BigInt(id);
    }
  }
  return new Tensor('int64', ids, [batch, length]);
}

export function onesMask(batch: number, length: number): Tensor<'int64'> {
  return new Tensor('int64', new BigInt64Array(batch * length).fill(1n), [batch, length]);
}

/** The first `rows` rows of a batch tensor (batches of every size are prefixes of one pool). */
export function firstRows<T extends 'float32' | 'int64'>(tensor: Tensor<T>, rows: number): Tensor<T> {
  const rowSize = tensor.data.length / tensor.dims[0];
  const data = tensor.data.slice(0, rows * rowSize) as Tensor<T>['data'];
  return new Tensor(tensor.type, data, [rows, ...tensor.dims.slice(1)]);
}
