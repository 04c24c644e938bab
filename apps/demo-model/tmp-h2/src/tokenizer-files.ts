/**
 * The demo's own XLM-R-style tokenizer: a SentencePiece Unigram vocabulary learnt from the caption corpus and
 * written as the Hugging Face files (`tokenizer.json`, `tokenizer_config.json`, `special_tokens_map.json`).
 *
 * The Unigram trainer is hand-written: no maintained JS package trains SentencePiece models, and the corpus is a
 * few thousand words, so a plain Viterbi-EM over substring candidates is exact enough and takes milliseconds.
 */

export const SPECIAL_TOKENS = ['<s>', '<pad>', '</s>', '<unk>'] as const;
export const MASK_TOKEN = '<mask>';
const UNK_ID = 3;
const SPACE_SYMBOL = '▁';
/** Longest piece considered, in code points. */
const MAX_PIECE_LENGTH = 12;
const EM_ROUNDS = 2;
const PRUNE_FRACTION = 0.25;
const MIN_CONTEXTS = 3;
/** Zero-width space: marks word boundaries in captions of scripts written without spaces (training only). */
export const WORD_BREAK = '\u200b';

export type VocabEntry = [piece: string, score: number];

/**
 * The text normalisation both the trainer and `tokenizer.json` apply: NFKC, lower case, typographic apostrophe
 * folded to ASCII (French writes both). Kept in one place so the vocabulary sees what the tokenizer will see.
 */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replaceAll('’', "'");
}

/** Words as the pre-tokenizer yields them: split on whitespace, each prefixed with `▁`. */
export function preTokenize(text: string): string[] {
  return normalizeText(text)
    .split(/\s+/u)
    .filter((word) => word.length > 0)
    .map((word) => SPACE_SYMBOL + word);
}

/** Best (highest total log-probability) segmentation of a word into known pieces; undefined when impossible. */
export function viterbi(word: string, scores: ReadonlyMap<string, number>): string[] | undefined {
  const chars = [...word];
  const best = new Float64Array(chars.length + 1).fill(-Infinity);
  const from = new Int32Array(chars.length + 1).fill(-1);
  best[0] = 0;
  for (let end = 1; end <= chars.length; end++) {
    for (let start = Math.max(0, end - MAX_PIECE_LENGTH); start < end; start++) {
      if (best[start] === -Infinity) continue;
      const score = scores.get(chars.slice(start, end).join(''));
      if (score !== undefined && best[start] + score > best[end]) {
        best[end] = best[start] + score;
        from[end] = start;
      }
    }
  }
  if (best[chars.length] === -Infinity) return undefined;
  const pieces: string[] = [];
  for (let end = chars.length; end > 0; end = from[end]) pieces.unshift(chars.slice(from[end], end).join(''));
  return pieces;
}

function logProbabilities(counts: ReadonlyMap<string, number>): Map<string, number> {
  let total = 0;
  for (const count of counts.values()) total += count;
  return new Map([...counts].map(([piece, count]) => [piece, Math.log(count / total)]));
}

/**
 * The units the trainer learns pieces within: pre-tokenized words, cut further at `WORD_BREAK` hints and around
 * punctuation (except the apostrophe of "c'est"). Chinese and Japanese captions carry the hints because they are
 * written without spaces: a corpus this small would otherwise keep whole sentences as single pieces, as Chinese
 * tokenizers avoid by segmenting words before learning subwords. The tokenizer itself never sees the hints.
 */
function trainingSegments(text: string): string[] {
  return preTokenize(text).flatMap((word) =>
    word
      .split(WORD_BREAK)
      .flatMap((part) => part.split(/([^\p{L}\p{M}\p{N}'▁])/u))
      .filter((segment) => segment.length > 0),
  );
}

/** Piece usage in the best segmentations of the corpus' words, and the scores it implies. */
function expectationMaximisation(
  words: ReadonlyMap<string, number>,
  scores: Map<string, number>,
  characters: ReadonlySet<string>,
): Map<string, number> {
  for (let round = 0; round < EM_ROUNDS; round++) {
    const usage = new Map<string, number>();
    for (const [word, count] of words) {
      for (const piece of viterbi(word, scores) ?? []) usage.set(piece, (usage.get(piece) ?? 0) + count);
    }
    scores = logProbabilities(usage);
    // Characters never used alone keep the lowest score, so that any text of the corpus' scripts tokenizes.
    const floor = Math.min(...scores.values()) - 1;
    for (const c of characters) if (!scores.has(c)) scores.set(c, floor);
  }
  return scores;
}

/**
 * Learns Unigram pieces and log-probability scores from `texts` as SentencePiece's trainer does, with the Viterbi
 * approximation: every substring of every word seeds the vocabulary, scored by frequency; rounds of EM re-estimate
 * the scores, then the pieces whose removal costs the corpus least log-likelihood (their usage times the score lost
 * by segmenting them otherwise) are pruned, until `size` pieces remain. Characters are never pruned. Returned
 * best score first, as SentencePiece orders its vocabulary.
 */
export function trainUnigram(texts: readonly string[], size: number): VocabEntry[] {
  const words = new Map<string, number>();
  for (const text of texts) {
    for (const segment of trainingSegments(text)) words.set(segment, (words.get(segment) ?? 0) + 1);
  }
  const characters = new Set<string>([SPACE_SYMBOL]);
  const frequency = new Map<string, number>();
  const contexts = new Map<string, number>();
  for (const [word, count] of words) {
    const chars = [...word];
    for (const c of chars) characters.add(c);
    const seen = new Set<string>();
    for (let start = 0; start < chars.length; start++) {
      for (let end = start + 1; end <= Math.min(chars.length, start + MAX_PIECE_LENGTH); end++) {
        const piece = chars.slice(start, end).join('');
        frequency.set(piece, (frequency.get(piece) ?? 0) + count);
        if (!seen.has(piece)) contexts.set(piece, (contexts.get(piece) ?? 0) + 1);
        seen.add(piece);
      }
    }
  }
  // Seed pieces: whole words, and parts of words that recur in several different words (stems, endings).
  const candidates = new Map(
    [...frequency].filter(
      ([piece]) => characters.has(piece) || words.has(piece) || (contexts.get(piece) ?? 0) >= MIN_CONTEXTS,
    ),
  );
  let scores = expectationMaximisation(words, logProbabilities(candidates), characters);
  while (scores.size > Math.max(size, characters.size)) {
    const usage = new Map<string, number>();
    for (const [word, count] of words) {
      for (const piece of viterbi(word, scores) ?? []) usage.set(piece, (usage.get(piece) ?? 0) + count);
    }
    const losses: [string, number][] = [];
    for (const [piece, score] of [...scores]) {
      if (characters.has(piece)) continue;
      const used = usage.get(piece) ?? 0;
      if (used === 0) {
        losses.push([piece, 0]);
        continue;
      }
      scores.delete(piece);
      const alternative = viterbi(piece, scores);
      scores.set(piece, score);
      const alternativeScore = (alternative ?? []).reduce((sum, p) => sum + (scores.get(p) ?? 0), 0);
      losses.push([piece, used * (score - alternativeScore)]);
    }
    losses.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
    // SentencePiece shrinks by a quarter per round; never below the target.
    const remove = Math.min(scores.size - size, Math.max(1, Math.ceil(losses.length * PRUNE_FRACTION)));
    if (remove <= 0) break;
    for (const [piece] of losses.slice(0, remove)) scores.delete(piece);
    scores = expectationMaximisation(words, scores, characters);
  }
  return [...scores].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function addedToken(content: string, id: number, lstrip = false) {
  return { id, content, single_word: false, lstrip, rstrip: false, normalized: false, special: true };
}

/** The three tokenizer files of the Hugging Face layout for a learnt vocabulary. */
export function tokenizerFiles(
  pieces: readonly VocabEntry[],
  modelMaxLength: number,
): Record<string, unknown> {
  const vocab: VocabEntry[] = [...SPECIAL_TOKENS.map((t): VocabEntry => [t, 0]), ...pieces, [MASK_TOKEN, 0]];
  const maskId = vocab.length - 1;
  const added = [...SPECIAL_TOKENS.map((t, id) => addedToken(t, id)), addedToken(MASK_TOKEN, maskId, true)];
  const metaspace = { type: 'Metaspace', replacement: SPACE_SYMBOL, prepend_scheme: 'always', split: true };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    // Mirrors normalizeText().
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFKC' },
        { type: 'Lowercase' },
        { type: 'Replace', pattern: { String: '’' }, content: "'" },
      ],
    },
    // Mirrors preTokenize(): SentencePiece's remove_extra_whitespaces + add_dummy_prefix.
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, metaspace] },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '<s>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '<s>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
      ],
      special_tokens: {
        '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] },
        '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] },
      },
    },
    decoder: metaspace,
    model: { type: 'Unigram', unk_id: UNK_ID, vocab, byte_fallback: false },
  };
  const { id: _id, ...maskSpec } = addedToken(MASK_TOKEN, maskId, true);
  const tokenizerConfig = {
    added_tokens_decoder: Object.fromEntries(added.map(({ id, ...spec }) => [String(id), spec])),
    bos_token: '<s>',
    clean_up_tokenization_spaces: false,
    cls_token: '<s>',
    eos_token: '</s>',
    mask_token: '<mask>',
    model_max_length: modelMaxLength,
    pad_token: '<pad>',
    sep_token: '</s>',
    tokenizer_class: 'XLMRobertaTokenizer',
    unk_token: '<unk>',
  };
  const { special: _special, ...maskMapSpec } = maskSpec;
  const specialTokensMap = {
    bos_token: '<s>',
    cls_token: '<s>',
    eos_token: '</s>',
    mask_token: maskMapSpec,
    pad_token: '<pad>',
    sep_token: '</s>',
    unk_token: '<unk>',
  };
  return {
    'tokenizer.json': tokenizer,
    'tokenizer_config.json': tokenizerConfig,
    'special_tokens_map.json': specialTokensMap,
  };
}
