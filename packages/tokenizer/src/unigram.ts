import { PieceTrie } from './piece-trie.js';

/** SentencePiece's penalty below the lowest piece score for an unknown character (unigram_model.cc). */
const UNK_PENALTY = 10;
/** UTF-8 sequence length by the high nibble of the lead byte (SentencePiece's OneCharLen). */
const ONE_CHAR_LENGTH = new Uint8Array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4]);

/**
 * Unigram segmentation exactly as SentencePiece's `Model::EncodeOptimized`: a Viterbi pass over the UTF-8
 * bytes with float32 path scores, ties kept by the first candidate found (left to right, shorter first), and one
 * unknown node per character that no single-character piece covers.
 */
export class UnigramModel {
  private readonly trie: PieceTrie;
  private readonly scores: Float32Array;
  private readonly unkId: number;
  private readonly unkScore: number;
  private bestScore = new Float32Array(256);
  private startsAt = new Int32Array(256);
  private bestId = new Int32Array(256);
  /** Result of the last `segment` call: piece ids and start byte offsets, `count` of them (end = next start). */
  ids = new Int32Array(256);
  starts = new Int32Array(257);

  /**
   * @param pieces the pieces the lattice may use (normal pieces only, as SentencePiece's trie)
   * @param ids their token ids; `scores` is indexed by token id
   */
  constructor(pieces: readonly string[], ids: ArrayLike<number>, scores: Float32Array, unkId: number) {
    // All keys packed in one buffer: a quarter million small arrays would cost more in allocation than the trie.
    let length = 0;
    for (const piece of pieces) length += 3 * piece.length;
    const bytes = new Uint8Array(length);
    const offsets = new Int32Array(pieces.length + 1);
    const encoder = new TextEncoder();
    let at = 0;
    for (let k = 0; k < pieces.length; k++) {
      at += encoder.encodeInto(pieces[k], bytes.subarray(at)).written;
      offsets[k + 1] = at;
    }
    this.trie = new PieceTrie(bytes, offsets, ids);
    this.scores = scores;
    this.unkId = unkId;
    let minScore = Number.POSITIVE_INFINITY;
    for (let k = 0; k < ids.length; k++) minScore = Math.min(minScore, scores[ids[k]]);
    this.unkScore = Math.fround(minScore - UNK_PENALTY);
  }

  get unknownId(): number {
    return this.unkId;
  }

  /** Segments `text[0, size)`; the pieces are in `ids` / `starts` (plus `starts[count] = size`). */
  segment(text: Uint8Array, size: number): number {
    if (this.bestScore.length < size + 1) {
      const capacity = Math.max(size + 1, 2 * this.bestScore.length);
      this.bestScore = new Float32Array(capacity);
      this.startsAt = new Int32Array(capacity);
      this.bestId = new Int32Array(capacity);
    }
    const { base, check, value } = this.trie;
    const scores = this.scores;
    const bestScore = this.bestScore;
    const startsAt = this.startsAt;
    const bestId = this.bestId;
    startsAt.fill(-1, 0, size + 1);
    bestScore[0] = 0;
    let start = 0;
    while (start < size) {
      const tillHere = bestScore[start];
      const remaining = size - start;
      const charLength = Math.min(ONE_CHAR_LENGTH[text[start] >> 4], remaining);
      let hasSingleNode = false;
      let node = 0;
      for (let k = start; k < size; k++) {
        const next = base[node] + text[k];
        if (check[next] !== node) break;
        node = next;
        const id = value[node];
        if (id >= 0) {
          const end = k + 1;
          const candidate = Math.fround(scores[id] + tillHere);
          if (startsAt[end] === -1 || candidate > bestScore[end]) {
            bestScore[end] = candidate;
            startsAt[end] = start;
            bestId[end] = id;
          }
          if (end - start === charLength) hasSingleNode = true;
        }
      }
      if (!hasSingleNode) {
        const end = start + charLength;
        const candidate = Math.fround(this.unkScore + tillHere);
        if (startsAt[end] === -1 || candidate > bestScore[end]) {
          bestScore[end] = candidate;
          startsAt[end] = start;
          bestId[end] = this.unkId;
        }
      }
      start += charLength;
    }
    let count = 0;
    for (let end = size; end > 0; end = startsAt[end]) count++;
    if (this.ids.length < count) {
      this.ids = new Int32Array(2 * count);
      this.starts = new Int32Array(2 * count + 1);
    }
    this.starts[count] = size;
    let k = count;
    for (let end = size; end > 0; end = startsAt[end]) {
      k--;
      this.ids[k] = bestId[end];
      this.starts[k] = startsAt[end];
    }
    return count;
  }
}
