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
    // All keys packed in one buffer: a quarter million small arrays (or views) would cost more than the trie.
    let length = 0;
    for (const piece of pieces) length += 3 * piece.length;
    const bytes = new Uint8Array(length);
    const offsets = new Int32Array(pieces.length + 1);
    let at = 0;
    for (let k = 0; k < pieces.length; k++) {
      at = writeUtf8(pieces[k], bytes, at);
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

  /** Drops scratch buffers grown for a very long text (they take about 20 bytes per byte of text). */
  releaseScratch(): void {
    this.bestScore = new Float32Array(256);
    this.startsAt = new Int32Array(256);
    this.bestId = new Int32Array(256);
    this.ids = new Int32Array(256);
    this.starts = new Int32Array(257);
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
          // SentencePiece adds a piece score (promoted to double by its `score` expression) to the float path
          // score in double, compares in double, and stores float: ties break on that arithmetic.
          const candidate = scores[id] + tillHere;
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

/** UTF-8 of `text` into `out` at `at` (lone surrogates as U+FFFD, like TextEncoder); returns the end offset. */
function writeUtf8(text: string, out: Uint8Array, at: number): number {
  let o = at;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
      continue;
    }
    if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        out[o++] = 0xf0 | (c >> 18);
        out[o++] = 0x80 | ((c >> 12) & 0x3f);
        out[o++] = 0x80 | ((c >> 6) & 0x3f);
        out[o++] = 0x80 | (c & 0x3f);
        continue;
      }
      c = 0xfffd;
    }
    out[o++] = 0xe0 | (c >> 12);
    out[o++] = 0x80 | ((c >> 6) & 0x3f);
    out[o++] = 0x80 | (c & 0x3f);
  }
  return o;
}
