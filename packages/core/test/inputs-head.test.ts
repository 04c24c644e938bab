import { describe, expect, it } from 'vitest';
import {
  AltCLIPTextConfig,
  AltCLIPVisionConfig,
  computeHead,
  defaultPositionIds,
  InputError,
  int64From2d,
  prepareTextInputs,
  prepareVisionInputs,
  softmax,
  Tensor,
} from '../src/index.js';

const text = new AltCLIPTextConfig({
  vocabSize: 100,
  hiddenSize: 8,
  numAttentionHeads: 2,
  maxPositionEmbeddings: 10,
  projectDim: 4,
});
const ids = (rows: number[][]) => int64From2d(rows);
const numbers = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);

describe('text inputs', () => {
  it('computes position ids as transformers does: pads keep pad_token_id wherever they are', () => {
    const positions = defaultPositionIds(
      ids([
        [0, 5, 1, 6, 2],
        [1, 1, 0, 7, 2],
      ]),
      1,
    );
    expect(positions.to2d()).toEqual([
      [2, 3, 1, 4, 5],
      [1, 1, 2, 3, 4],
    ]);
  });

  it('fills defaults and flags what was explicit', () => {
    const prepared = prepareTextInputs(text, { inputIds: [[0, 5, 2]] });
    expect(numbers(prepared.attentionMask)).toEqual([1, 1, 1]);
    expect(numbers(prepared.tokenTypeIds)).toEqual([0, 0, 0]);
    expect(numbers(prepared.positionIds)).toEqual([2, 3, 4]);
    expect(prepared.explicit).toEqual({ positionIds: false, tokenTypeIds: false, attentionMask: false });
    const explicit = prepareTextInputs(text, {
      inputIds: [[0, 5, 2]],
      positionIds: [[0, 1, 2]],
      attentionMask: [[1, 1, 0]],
    });
    expect(numbers(explicit.positionIds)).toEqual([0, 1, 2]);
    expect(explicit.explicit.positionIds).toBe(true);
  });

  it('accepts int32 tensors and converts them to int64', () => {
    const prepared = prepareTextInputs(text, {
      inputIds: new Tensor('int32', new Int32Array([0, 4, 2]), [1, 3]),
    });
    expect(prepared.inputIds?.type).toBe('int64');
  });

  it('rejects too many tokens with the limit in the message', () => {
    const tooLong = [[0, ...Array(8).fill(5), 2]]; // 10 tokens, max_tokens = 10 - 1 - 1 = 8
    expect(() => prepareTextInputs(text, { inputIds: tooLong })).toThrow(
      /10 tokens; this model accepts at most 8/,
    );
    expect(() => prepareTextInputs(text, { inputIds: [[0, ...Array(6).fill(5), 2]] })).not.toThrow();
  });

  it('rejects a padded length beyond max_position_embeddings unless token types are explicit', () => {
    const row = [0, 5, 2, ...Array(8).fill(1)]; // 11 > 10 positions, only 3 real tokens
    expect(() => prepareTextInputs(text, { inputIds: [row] })).toThrow(/exceeds max_position_embeddings/);
    expect(() =>
      prepareTextInputs(text, { inputIds: [row], tokenTypeIds: [row.map(() => 0)] }),
    ).not.toThrow();
  });

  it('rejects bad ids, masks and shapes with typed errors', () => {
    expect(() => prepareTextInputs(text, { inputIds: [[0, 100]] })).toThrow(InputError);
    expect(() => prepareTextInputs(text, { inputIds: [[0, 1], [2]] })).toThrow(/pad the batch/);
    expect(() => prepareTextInputs(text, { inputIds: [[0, 1]], attentionMask: [[1, 2]] })).toThrow(
      /attentionMask/,
    );
    expect(() => prepareTextInputs(text, { inputIds: [[0, 1]], attentionMask: [[1, 1, 1]] })).toThrow(/dims/);
    expect(() => prepareTextInputs(text, {})).toThrow(/exactly one/);
    expect(() => prepareTextInputs(text, { inputIds: [[0, 1.5]] })).toThrow(/not an integer/);
  });

  it('numbers inputsEmbeds positions sequentially from pad + 1', () => {
    const embeds = new Tensor('float32', new Float32Array(2 * 3 * 8), [2, 3, 8]);
    expect(prepareTextInputs(text, { inputsEmbeds: embeds }).positionIds.to2d()).toEqual([
      [2, 3, 4],
      [2, 3, 4],
    ]);
  });
});

describe('vision inputs', () => {
  const vision = new AltCLIPVisionConfig({
    imageSize: 30,
    patchSize: 6,
    hiddenSize: 8,
    numAttentionHeads: 2,
  });
  const pixels = (h: number, w: number) => new Tensor('float32', new Float32Array(3 * h * w), [1, 3, h, w]);
  it('rejects another size without interpolatePosEncoding, as transformers does', () => {
    expect(() => prepareVisionInputs(vision, { pixelValues: pixels(42, 36) })).toThrow(
      "Input image size (42*36) doesn't match model (30*30)",
    );
    expect(() =>
      prepareVisionInputs(vision, { pixelValues: pixels(42, 36), interpolatePosEncoding: true }),
    ).not.toThrow();
    expect(() =>
      prepareVisionInputs(vision, { pixelValues: pixels(4, 36), interpolatePosEncoding: true }),
    ).toThrow(/patch/);
  });
});

describe('contrastive head', () => {
  it('normalises, scales and computes the symmetric loss', () => {
    const textFeatures = new Tensor('float32', new Float32Array([3, 4, 0, 2]), [2, 2]);
    const imageFeatures = new Tensor('float32', new Float32Array([1, 0, 0, 5]), [2, 2]);
    const head = computeHead(textFeatures, imageFeatures, Math.log(10), true);
    expect(Array.from(head.textEmbeds.data)).toEqual([0.6, 0.8, 0, 1].map(Math.fround));
    const perText = [
      [6, 8],
      [0, 10],
    ];
    const logits = head.logitsPerText.to2d();
    for (const [i, row] of perText.entries()) {
      for (const [j, value] of row.entries()) expect(logits[i][j]).toBeCloseTo(value, 5);
    }
    expect(head.logitsPerImage.to2d()[1][0]).toBeCloseTo(8, 5);
    const ce = (row: number[], target: number) =>
      Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[target];
    const expected = (ce([6, 8], 0) + ce([0, 10], 1) + ce([6, 0], 0) + ce([8, 10], 1)) / 4;
    expect(head.loss!.dims).toEqual([]);
    expect(head.loss!.data[0]).toBeCloseTo(expected, 5);
  });

  it('refuses a loss over a non-square batch', () => {
    const t = new Tensor('float32', new Float32Array([1, 0]), [1, 2]);
    const i = new Tensor('float32', new Float32Array([1, 0, 0, 1]), [2, 2]);
    expect(() => computeHead(t, i, 0, true)).toThrow(/as many texts as images/);
    expect(computeHead(t, i, 0, false).logitsPerImage.dims).toEqual([2, 1]);
  });

  it('softmax rows sum to one', () => {
    const probs = softmax(new Tensor('float32', new Float32Array([1, 2, 3, 1000, 0, -1000]), [2, 3]));
    const rows = probs.to2d();
    expect(rows[0].reduce((a, b) => a + b)).toBeCloseTo(1, 6);
    expect(rows[1][0]).toBeCloseTo(1, 6);
  });
});
