import { CheckpointError, NotSupportedError } from '@altclip/core';
import { type NormalizerSpec, PieceType, type SentencePieceModel } from './sentencepiece-model.js';

/** A token matched in the raw text before SentencePiece runs (Hugging Face's `AddedToken`). */
export interface AddedToken {
  content: string;
  id: number;
  lstrip: boolean;
  rstrip: boolean;
  singleWord: boolean;
  special: boolean;
}

/** One element of a post-processing template: a fixed token id, or the first / second sequence. */
export type TemplatePart = { tokenId: number } | { sequence: 'A' | 'B' };

/** A string step run on each chunk before SentencePiece's normalizer (tokenizer.json steps before Precompiled). */
export type TextStep = (text: string) => string;

/** Everything a tokenizer needs, whichever file it came from; token ids are the model's (fairseq) ids. */
export interface TokenizerDefinition {
  /** Token strings by id (pieces, special and added tokens). */
  tokens: string[];
  /** Unigram scores by id (float32, as SentencePiece keeps them). */
  scores: Float32Array;
  /** Ids the Viterbi lattice may use: SentencePiece's normal pieces. */
  latticeIds: number[];
  unkId: number;
  normalizer: NormalizerSpec;
  textSteps: TextStep[];
  addedTokens: AddedToken[];
  /** The post-processor's templates; undefined = XLM-R's, with cls/sep from the config files. */
  template?: { single: TemplatePart[]; pair: TemplatePart[] };
}

const FAIRSEQ_SPECIALS = ['<s>', '<pad>', '</s>', '<unk>'];

/**
 * The fairseq layout `XLMRobertaTokenizer` puts over a SentencePiece model: `<s>`=0, `<pad>`=1, `</s>`=2,
 * `<unk>`=3, piece k (k ≥ 3) = k + 1, `<mask>` = pieces + 1.
 */
export function definitionFromSentencePiece(model: SentencePieceModel): TokenizerDefinition {
  const file = 'sentencepiece.bpe.model';
  if (model.modelType !== 1) {
    throw new NotSupportedError(`${file}: model_type ${model.modelType} (only unigram models are supported)`);
  }
  if (model.byteFallback) throw new NotSupportedError(`${file}: byte_fallback models are not supported`);
  if (model.treatWhitespaceAsSuffix)
    throw new NotSupportedError(`${file}: treat_whitespace_as_suffix is not supported`);
  if (model.unkId !== 0 || model.types[0] !== PieceType.unknown) {
    throw new NotSupportedError(`${file}: the XLM-R id layout needs <unk> as SentencePiece piece 0`);
  }
  const count = model.pieces.length;
  const tokens = new Array<string>(count + 2);
  const scores = new Float32Array(count + 2);
  for (let i = 0; i < 4; i++) tokens[i] = FAIRSEQ_SPECIALS[i];
  const latticeIds: number[] = [];
  for (let k = 3; k < count; k++) {
    const type = model.types[k];
    if (type === PieceType.userDefined || type === PieceType.byte) {
      throw new NotSupportedError(`${file}: user-defined and byte pieces are not supported (piece ${k})`);
    }
    tokens[k + 1] = model.pieces[k];
    scores[k + 1] = model.scores[k];
    if (type === PieceType.normal) latticeIds.push(k + 1);
  }
  tokens[count + 1] = '<mask>';
  return {
    tokens,
    scores,
    latticeIds,
    unkId: 3,
    normalizer: model.normalizer,
    textSteps: [],
    addedTokens: FAIRSEQ_SPECIALS.map((content, id) => addedToken(content, id)).concat(
      addedToken('<mask>', count + 1, { lstrip: true }),
    ),
    template: undefined,
  };
}

export function defaultTemplate(clsId: number, sepId: number): NonNullable<TokenizerDefinition['template']> {
  return {
    single: [{ tokenId: clsId }, { sequence: 'A' }, { tokenId: sepId }],
    pair: [
      { tokenId: clsId },
      { sequence: 'A' },
      { tokenId: sepId },
      { tokenId: sepId },
      { sequence: 'B' },
      { tokenId: sepId },
    ],
  };
}

export function addedToken(content: string, id: number, flags: Partial<AddedToken> = {}): AddedToken {
  return { content, id, lstrip: false, rstrip: false, singleWord: false, special: true, ...flags };
}

// ---------------------------------------------------------------------------------------------------------------
// tokenizer.json

interface JsonAddedToken {
  id: number;
  content: string;
  lstrip?: boolean;
  rstrip?: boolean;
  single_word?: boolean;
  special?: boolean;
}

type JsonComponent = { type: string; [key: string]: unknown } | null | undefined;

const FILE = 'tokenizer.json';
/** Added tokens beyond the vocabulary are few; a far larger id is a broken file, not a reason to allocate. */
export const MAX_EXTRA_IDS = 1 << 16;
const METASPACE = '\u2581';

/**
 * Reads `tokenizer.json` (today's layout and the 2020–2022 hub layout) with SentencePiece ("slow") semantics:
 * Precompiled is SentencePiece's charsmap normalizer, and the whitespace steps XLM-R's converter writes
 * (Strip right + Replace `" {2,}"`→`▁` + Metaspace, or WhitespaceSplit + Metaspace) are SentencePiece's
 * `remove_extra_whitespaces` / `add_dummy_prefix` / `escape_whitespaces`. Added tokens are matched in the raw
 * text, never in the lattice. Components this cannot reproduce exactly raise NotSupportedError.
 */
export function definitionFromTokenizerJSON(json: unknown): TokenizerDefinition {
  if (typeof json !== 'object' || json === null) throw new CheckpointError(FILE, 'not a JSON object');
  const root = json as Record<string, unknown>;
  const model = root.model as Record<string, unknown> | undefined;
  if (model?.type !== 'Unigram') {
    throw new NotSupportedError(`${FILE}: model type ${String(model?.type)} (only Unigram is supported)`);
  }
  if (model.byte_fallback === true) throw new NotSupportedError(`${FILE}: byte_fallback is not supported`);
  const vocab = model.vocab;
  if (!Array.isArray(vocab) || vocab.length === 0) throw new CheckpointError(FILE, 'model.vocab is missing');
  const unkId = model.unk_id;
  if (typeof unkId !== 'number' || !Number.isInteger(unkId) || unkId < 0 || unkId >= vocab.length) {
    throw new CheckpointError(FILE, 'model.unk_id is missing or out of range');
  }
  const jsonAdded = (Array.isArray(root.added_tokens) ? root.added_tokens : []) as JsonAddedToken[];
  const addedTokens = jsonAdded.map((t) => {
    if (
      typeof t?.content !== 'string' ||
      !Number.isInteger(t.id) ||
      t.id < 0 ||
      t.id > vocab.length + MAX_EXTRA_IDS
    ) {
      throw new CheckpointError(FILE, 'an added_tokens entry lacks content or has an implausible id');
    }
    return addedToken(t.content, t.id, {
      lstrip: t.lstrip === true,
      rstrip: t.rstrip === true,
      singleWord: t.single_word === true,
      special: t.special !== false,
    });
  });
  const size = Math.max(vocab.length, ...addedTokens.map((t) => t.id + 1));
  const tokens = new Array<string>(size).fill('');
  const scores = new Float32Array(size);
  const excluded = new Set<number>(addedTokens.map((t) => t.id));
  excluded.add(unkId);
  const latticeIds: number[] = [];
  for (let id = 0; id < vocab.length; id++) {
    const entry = vocab[id] as [string, number];
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') {
      throw new CheckpointError(FILE, `model.vocab[${id}] is not a [piece, score] pair`);
    }
    tokens[id] = entry[0];
    scores[id] = entry[1];
    if (!excluded.has(id)) latticeIds.push(id);
  }
  for (const t of addedTokens) tokens[t.id] = t.content;

  const { normalizer, textSteps } = readNormalizer(
    root.normalizer as JsonComponent,
    root.pre_tokenizer as JsonComponent,
  );
  return {
    tokens,
    scores,
    latticeIds,
    unkId,
    normalizer,
    textSteps,
    addedTokens,
    template: readPostProcessor(root.post_processor as JsonComponent, tokens),
  };
}

function flatten(component: JsonComponent, listKey: string): Exclude<JsonComponent, null | undefined>[] {
  if (!component) return [];
  if (component.type === 'Sequence') {
    const list = component[listKey];
    if (!Array.isArray(list)) throw new CheckpointError(FILE, `Sequence without ${listKey}`);
    return list.flatMap((c) => flatten(c as JsonComponent, listKey));
  }
  return [component];
}

function readNormalizer(
  normalizerJson: JsonComponent,
  preTokenizerJson: JsonComponent,
): { normalizer: NormalizerSpec; textSteps: TextStep[] } {
  const textSteps: TextStep[] = [];
  let charsmap: Uint8Array | undefined;
  let whitespaceIdiom = 0;
  for (const step of flatten(normalizerJson, 'normalizers')) {
    if (step.type === 'Precompiled') {
      if (charsmap) throw new NotSupportedError(`${FILE}: two Precompiled normalizers`);
      charsmap = decodeBase64(String(step.precompiled_charsmap ?? ''));
    } else if (charsmap && isSentencePieceWhitespaceStep(step)) {
      whitespaceIdiom++;
    } else if (charsmap) {
      throw new NotSupportedError(
        `${FILE}: normalizer ${step.type} after Precompiled cannot be applied exactly`,
      );
    } else {
      textSteps.push(textStep(step));
    }
  }
  let addDummyPrefix = false;
  let escapeWhitespaces = false;
  let whitespaceSplit = false;
  for (const step of flatten(preTokenizerJson, 'pretokenizers')) {
    if (step.type === 'WhitespaceSplit') {
      whitespaceSplit = true;
    } else if (step.type === 'Metaspace') {
      if ((step.replacement ?? METASPACE) !== METASPACE) {
        throw new NotSupportedError(`${FILE}: Metaspace replacement other than ▁`);
      }
      escapeWhitespaces = true;
      const scheme = step.prepend_scheme ?? (step.add_prefix_space === false ? 'never' : 'always');
      addDummyPrefix = scheme !== 'never';
    } else {
      throw new NotSupportedError(`${FILE}: pre_tokenizer ${step.type} is not supported`);
    }
  }
  return {
    normalizer: {
      precompiledCharsmap: charsmap ?? new Uint8Array(0),
      addDummyPrefix,
      removeExtraWhitespaces: whitespaceSplit || whitespaceIdiom > 0,
      escapeWhitespaces,
    },
    textSteps,
  };
}

/** `Strip(right)` and `Replace(" {2,}" → "▁")`: how XLMRobertaConverter spells remove_extra_whitespaces. */
function isSentencePieceWhitespaceStep(step: { type: string; [key: string]: unknown }): boolean {
  if (step.type === 'Strip') return step.strip_left === false && step.strip_right === true;
  if (step.type === 'Replace') {
    const pattern = step.pattern as { Regex?: string } | undefined;
    return pattern?.Regex === ' {2,}' && step.content === METASPACE;
  }
  return false;
}

/** Plain string normalizers, for steps that run before the charsmap (or models without one). */
function textStep(step: { type: string; [key: string]: unknown }): TextStep {
  switch (step.type) {
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD': {
      const form = step.type;
      return (text) => text.normalize(form);
    }
    case 'Lowercase':
      return (text) => text.toLowerCase();
    case 'Prepend': {
      const prefix = String(step.prepend ?? '');
      return (text) => (text.length > 0 ? prefix + text : text);
    }
    case 'Replace': {
      const pattern = step.pattern as { String?: string; Regex?: string } | undefined;
      const content = String(step.content ?? '');
      if (typeof pattern?.String === 'string') {
        const literal = pattern.String;
        return (text) => text.replaceAll(literal, content);
      }
      if (typeof pattern?.Regex === 'string') {
        // Oniguruma and JS regex syntax agree on the simple patterns converters write.
        const regex = new RegExp(pattern.Regex, 'gu');
        return (text) => text.replace(regex, () => content);
      }
      throw new CheckpointError(FILE, 'Replace normalizer without a pattern');
    }
    default:
      throw new NotSupportedError(`${FILE}: normalizer ${step.type} is not supported`);
  }
}

function readPostProcessor(
  json: JsonComponent,
  tokens: string[],
): NonNullable<TokenizerDefinition['template']> {
  if (!json) return { single: [{ sequence: 'A' }], pair: [{ sequence: 'A' }, { sequence: 'B' }] };
  if (json.type === 'RobertaProcessing' || json.type === 'BertProcessing') {
    const cls = json.cls as [string, number];
    const sep = json.sep as [string, number];
    const template = defaultTemplate(cls[1], sep[1]);
    if (json.type === 'BertProcessing') template.pair.splice(3, 1);
    return template;
  }
  if (json.type === 'TemplateProcessing') {
    const specials = (json.special_tokens ?? {}) as Record<string, { ids: number[] }>;
    const read = (parts: unknown): TemplatePart[] => {
      if (!Array.isArray(parts)) throw new CheckpointError(FILE, 'TemplateProcessing without single/pair');
      return parts.flatMap((part): TemplatePart[] => {
        if (part.Sequence) return [{ sequence: part.Sequence.id === 'B' ? 'B' : 'A' }];
        const name = part.SpecialToken?.id;
        const ids = specials[name]?.ids ?? (tokens.indexOf(name) >= 0 ? [tokens.indexOf(name)] : undefined);
        if (!ids)
          throw new CheckpointError(FILE, `TemplateProcessing names an unknown token ${String(name)}`);
        return ids.map((tokenId) => ({ tokenId }));
      });
    };
    return { single: read(json.single), pair: read(json.pair) };
  }
  throw new NotSupportedError(`${FILE}: post_processor ${json.type} is not supported`);
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
