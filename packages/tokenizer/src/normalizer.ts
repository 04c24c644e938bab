import { CheckpointError } from '@altclip/core';
import type { NormalizerSpec } from './sentencepiece-model.js';

/** Darts-clone keeps at most this many prefix matches per lookup; SentencePiece picks the longest of them. */
const MAX_TRIE_RESULTS = 32;
const SPACE = 0x20;
/** `▁` (U+2581) in UTF-8. */
const SPACE_SYMBOL = [0xe2, 0x96, 0x81];
const REPLACEMENT_CHAR = new Uint8Array([0xef, 0xbf, 0xbd]);

/**
 * SentencePiece's `Normalizer` (normalizer.cc), byte for byte: the `precompiled_charsmap` is a darts-clone double
 * array over UTF-8 keys, applied by longest prefix match from each position, then SentencePiece's whitespace
 * rules (leading/trailing removal, runs collapsed, dummy prefix, `▁` escaping). Hand-written because no JS
 * library reads this format (transformers.js approximates it with NFKC).
 */
export class SentencePieceNormalizer {
  private readonly units: Uint32Array;
  private readonly replacements: Uint8Array;
  /** Bytes that start no charsmap key: copied as they are without a trie lookup. */
  private readonly startsKey = new Uint8Array(256);
  private readonly spec: NormalizerSpec;
  private output = new Uint8Array(1024);

  constructor(spec: NormalizerSpec) {
    this.spec = spec;
    const map = spec.precompiledCharsmap;
    if (map.length === 0) {
      this.units = new Uint32Array(0);
      this.replacements = new Uint8Array(0);
      return;
    }
    if (map.length < 4) throw new CheckpointError('precompiled_charsmap', 'truncated');
    const view = new DataView(map.buffer, map.byteOffset, map.byteLength);
    const trieBytes = view.getUint32(0, true);
    if (trieBytes % 4 !== 0 || 4 + trieBytes > map.length) {
      throw new CheckpointError('precompiled_charsmap', 'trie size does not fit the blob');
    }
    this.units = new Uint32Array(trieBytes / 4);
    for (let i = 0; i < this.units.length; i++) this.units[i] = view.getUint32(4 + 4 * i, true);
    this.replacements = map.subarray(4 + trieBytes);
    if (this.units.length > 0) {
      const rootChildren = offset(this.units[0]);
      for (let b = 1; b < 256; b++) {
        const id = rootChildren ^ b;
        if (id < this.units.length && label(this.units[id]) === b) this.startsKey[b] = 1;
      }
    }
  }

  /**
   * Normalizes `input[0, length)` (UTF-8) and returns the normalized bytes (a view into a buffer reused by the
   * next call).
   */
  normalize(input: Uint8Array, length: number): Uint8Array {
    const { removeExtraWhitespaces, escapeWhitespaces, addDummyPrefix } = this.spec;
    // `▁` escaping triples a byte at most; a charsmap replacement is grown for below.
    const needed = 3 * length + 64;
    if (this.output.length < needed) this.output = new Uint8Array(Math.max(needed, 2 * this.output.length));
    let out = this.output;
    let o = 0;
    let i = 0;
    if (removeExtraWhitespaces) {
      while (i < length) {
        const consumed = this.normalizePrefix(input, i, length);
        const source = this.matchSource;
        if (!(this.matchEnd - this.matchStart === 1 && source[this.matchStart] === SPACE)) break;
        i += consumed;
      }
    }
    if (i >= length) return out.subarray(0, 0);
    if (addDummyPrefix) o = emitSpace(out, o, escapeWhitespaces);
    let isPrevSpace = removeExtraWhitespaces;
    while (i < length) {
      const consumed = this.normalizePrefix(input, i, length);
      const source = this.matchSource;
      let s = this.matchStart;
      const e = this.matchEnd;
      if (isPrevSpace) while (s < e && source[s] === SPACE) s++;
      if (s < e) {
        if (o + 3 * (e - s) > out.length) {
          const grown = new Uint8Array(2 * out.length + 3 * (e - s));
          grown.set(out.subarray(0, o));
          this.output = out = grown;
        }
        for (let k = s; k < e; k++) {
          const byte = source[k];
          if (byte === SPACE && escapeWhitespaces) o = emitSpace(out, o, true);
          else out[o++] = byte;
        }
        isPrevSpace = source[e - 1] === SPACE;
      }
      i += consumed;
      if (!removeExtraWhitespaces) isPrevSpace = false;
    }
    if (removeExtraWhitespaces) {
      if (escapeWhitespaces) {
        while (o >= 3 && out[o - 3] === 0xe2 && out[o - 2] === 0x96 && out[o - 1] === 0x81) o -= 3;
      } else {
        while (o >= 1 && out[o - 1] === SPACE) o--;
      }
    }
    return out.subarray(0, o);
  }

  /** Drops the output buffer grown for a very long text. */
  releaseScratch(): void {
    this.output = new Uint8Array(1024);
  }

  // The replacement chosen by the last normalizePrefix call: bytes [matchStart, matchEnd) of matchSource.
  private matchSource: Uint8Array = REPLACEMENT_CHAR;
  private matchStart = 0;
  private matchEnd = 0;

  /** SentencePiece's `NormalizePrefix`: sets the replacement of the text at `at` and returns the bytes consumed. */
  private normalizePrefix(input: Uint8Array, at: number, end: number): number {
    const b = input[at];
    if (b < 0x80 && this.startsKey[b] === 0) {
      this.matchSource = input;
      this.matchStart = at;
      this.matchEnd = at + 1;
      return 1;
    }
    const found = this.longestMatch(input, at, end);
    if (found > 0) return found;
    const charLength = validCharLength(input, at, end);
    if (charLength === 0) {
      // Malformed UTF-8: SentencePiece emits U+FFFD for one byte (TextEncoder output never has any).
      this.matchSource = REPLACEMENT_CHAR;
      this.matchStart = 0;
      this.matchEnd = 3;
      return 1;
    }
    this.matchSource = input;
    this.matchStart = at;
    this.matchEnd = at + charLength;
    return charLength;
  }

  /** Darts-clone `commonPrefixSearch` keeping the longest of the first 32 matches; returns its key length. */
  private longestMatch(key: Uint8Array, start: number, end: number): number {
    const units = this.units;
    if (units.length === 0) return 0;
    let id = offset(units[0]);
    let longest = 0;
    let value = 0;
    let results = 0;
    for (let i = start; i < end; i++) {
      const c = key[i];
      id ^= c;
      if (id >= units.length) break;
      const unit = units[id];
      if (label(unit) !== c) break;
      id ^= offset(unit);
      if ((unit >>> 8) & 1) {
        if (results < MAX_TRIE_RESULTS && id < units.length) {
          longest = i + 1 - start;
          value = units[id] & 0x7fffffff;
        }
        results++;
      }
    }
    if (longest > 0) {
      // Replacements are NUL-terminated strings in the blob.
      const replacements = this.replacements;
      let stop = value;
      while (stop < replacements.length && replacements[stop] !== 0) stop++;
      this.matchSource = replacements;
      this.matchStart = value;
      this.matchEnd = stop;
    }
    return longest;
  }
}

function emitSpace(out: Uint8Array, o: number, escaped: boolean): number {
  if (!escaped) {
    out[o] = SPACE;
    return o + 1;
  }
  out[o] = SPACE_SYMBOL[0];
  out[o + 1] = SPACE_SYMBOL[1];
  out[o + 2] = SPACE_SYMBOL[2];
  return o + 3;
}

function offset(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}

function label(unit: number): number {
  return unit & 0x800000ff;
}

/** Length of the valid UTF-8 character at `at`, or 0 when malformed (SentencePiece's IsValidDecodeUTF8). */
function validCharLength(bytes: Uint8Array, at: number, end: number): number {
  const b = bytes[at];
  if (b < 0x80) return 1;
  const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 ? 2 : 0;
  if (need === 0 || b > 0xf4 || at + need > end) return 0;
  for (let k = 1; k < need; k++) if ((bytes[at + k] & 0xc0) !== 0x80) return 0;
  const c1 = bytes[at + 1];
  if (b === 0xe0 && c1 < 0xa0) return 0;
  if (b === 0xed && c1 >= 0xa0) return 0;
  if (b === 0xf0 && c1 < 0x90) return 0;
  if (b === 0xf4 && c1 >= 0x90) return 0;
  return need;
}
