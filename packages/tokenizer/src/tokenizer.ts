import {
  CheckpointError,
  InputError,
  type ModelFiles,
  ModelNotFoundError,
  type OpenModelOptions,
  openModel,
  Tensor,
} from '@altclip/core';
import {
  readSettings,
  SPECIAL_TOKEN_NAMES,
  type SpecialTokenName,
  type TokenizerConfigFiles,
} from './config.js';
import {
  type AddedToken,
  defaultTemplate,
  definitionFromSentencePiece,
  definitionFromTokenizerJSON,
  MAX_EXTRA_IDS,
  type TemplatePart,
  type TokenizerDefinition,
} from './definition.js';
import { SentencePieceNormalizer } from './normalizer.js';
import { parseSentencePieceModel } from './sentencepiece-model.js';
import { cleanUpTokenization, pythonLstrip, pythonRstrip, pythonStrip } from './text.js';
import { UnigramModel } from './unigram.js';

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

export interface TokenizerOptions {
  /** Overrides `model_max_length` from tokenizer_config.json. */
  modelMaxLength?: number;
  /** Receives warnings (a sequence longer than modelMaxLength); default console.warn. */
  onWarning?: (message: string) => void;
}

export interface FromFilesOptions extends TokenizerOptions {
  /** Which vocabulary file to read: `tokenizer.json` when present (default), or always `sentencepiece.bpe.model`. */
  source?: 'auto' | 'tokenizer.json' | 'sentencepiece';
}

export interface FromPretrainedOptions extends FromFilesOptions, OpenModelOptions {}

/** The file access `fromFiles` needs (core's ModelFiles satisfies it). */
export type TokenizerFileSource = Pick<ModelFiles, 'exists' | 'readText' | 'readBytes'>;

export interface EncodeOptions {
  /** Add `<s>` … `</s>` (default true). */
  addSpecialTokens?: boolean;
  /** A second text: `<s> A </s></s> B </s>`. */
  textPair?: string;
}

export interface BatchEncodeOptions {
  addSpecialTokens?: boolean;
  /** `true` = 'longest'. Default false. */
  padding?: boolean | 'longest' | 'max_length';
  /** `true` = 'longest_first' (from the right, counted with the special tokens). Default false. */
  truncation?: boolean | TruncationStrategy;
  /** Default: modelMaxLength. */
  maxLength?: number;
  /** Return int64 Tensors `[batch, length]` (rows must then have equal lengths). Default false. */
  returnTensors?: boolean;
}

export interface BatchEncoding<T> {
  inputIds: T;
  attentionMask: T;
}

export interface DecodeOptions {
  /** Drop `<s>`, `<pad>`, `</s>`, `<unk>`, `<mask>` (default false). */
  skipSpecialTokens?: boolean;
  /** Default: `clean_up_tokenization_spaces` of tokenizer_config.json (false for XLM-R). */
  cleanUpTokenizationSpaces?: boolean;
}

export type TokenIds = readonly number[] | readonly bigint[] | Int32Array | BigInt64Array | Tensor;

type TextInput = string | readonly [string, string];

const SPACE_SYMBOL = /\u2581/g;
/** Scratch buffers grown past this (UTF-8 bytes of one chunk) are released after the call. */
const LARGE_TEXT_BYTES = 1 << 20;
const TOKENIZER_JSON = 'tokenizer.json';
const SENTENCEPIECE_MODEL = 'sentencepiece.bpe.model';

/**
 * The XLM-RoBERTa tokenizer of AltCLIP with SentencePiece ("slow" `XLMRobertaTokenizer`) semantics, whichever
 * file it was loaded from. Works in Node and browsers; loading from a folder or the hub goes through
 * `@altclip/core`'s `openModel`.
 */
export class XLMRobertaTokenizer {
  readonly modelMaxLength: number;
  readonly cleanUpTokenizationSpaces: boolean;
  readonly padTokenId: number;
  readonly unkTokenId: number;
  /** Ids of the named special tokens (`all_special_ids`): dropped by `decode` with skipSpecialTokens. */
  readonly specialIds: ReadonlySet<number>;

  private readonly tokens: string[];
  private readonly model: UnigramModel;
  private readonly normalizer: SentencePieceNormalizer;
  private readonly textSteps: TokenizerDefinition['textSteps'];
  private readonly addedTokens: Map<string, AddedToken>;
  private readonly addedTokenPattern: RegExp | undefined;
  private readonly template: NonNullable<TokenizerDefinition['template']>;
  private readonly onWarning: (message: string) => void;
  private warnedTooLong = false;
  private tokenIndex: Map<string, number> | undefined;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();
  private utf8 = new Uint8Array(1024);

  private constructor(
    definition: TokenizerDefinition,
    config: TokenizerConfigFiles,
    options: TokenizerOptions,
  ) {
    const settings = readSettings(config);
    this.tokens = definition.tokens;
    this.textSteps = definition.textSteps;
    // Added tokens: the vocabulary file's, completed and overridden by tokenizer_config.json.
    const byId = new Map<number, AddedToken>(definition.addedTokens.map((t) => [t.id, { ...t }]));
    for (const token of settings.addedTokens) {
      const id = token.id >= 0 ? token.id : [...byId.values()].find((t) => t.content === token.content)?.id;
      if (id === undefined) continue;
      if (id > this.tokens.length + MAX_EXTRA_IDS) {
        throw new CheckpointError(
          'tokenizer_config.json',
          `added token id ${id} is far outside the vocabulary`,
        );
      }
      const merged = { ...(byId.get(id) ?? token), ...token, id };
      byId.set(id, merged);
      while (this.tokens.length <= id) this.tokens.push('');
      this.tokens[id] = merged.content;
    }
    this.addedTokens = new Map([...byId.values()].map((t) => [t.content, t]));
    const contents = [...this.addedTokens.keys()]
      .filter((c) => c.length > 0)
      .sort((a, b) => b.length - a.length);
    this.addedTokenPattern =
      contents.length > 0
        ? new RegExp(contents.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g')
        : undefined;

    const idOf = (name: SpecialTokenName): number | undefined => {
      const content = settings.specialTokens[name];
      return content === undefined ? undefined : (this.addedTokens.get(content)?.id ?? this.indexOf(content));
    };
    const specialIds = new Set<number>();
    for (const name of SPECIAL_TOKEN_NAMES) {
      const id = idOf(name);
      if (id !== undefined) specialIds.add(id);
    }
    for (const content of settings.additionalSpecialTokens) {
      const id = this.addedTokens.get(content)?.id;
      if (id !== undefined) specialIds.add(id);
    }
    if (specialIds.size === 0) for (const t of this.addedTokens.values()) if (t.special) specialIds.add(t.id);
    this.specialIds = specialIds;
    this.unkTokenId = definition.unkId;
    this.padTokenId = idOf('pad') ?? 1;
    const cls = idOf('cls');
    const sep = idOf('sep');
    this.template = definition.template ?? defaultTemplate(cls ?? 0, sep ?? 2);

    const pieces = definition.latticeIds.map((id) => definition.tokens[id]);
    this.model = new UnigramModel(pieces, definition.latticeIds, definition.scores, definition.unkId);
    this.normalizer = new SentencePieceNormalizer(definition.normalizer);
    this.modelMaxLength = options.modelMaxLength ?? settings.modelMaxLength;
    this.cleanUpTokenizationSpaces = settings.cleanUpTokenizationSpaces;
    this.onWarning = options.onWarning ?? ((message) => console.warn(message));
  }

  // ----------------------------------------------------------------------------------------------------------
  // Loading

  /** From a local folder or hub id (through `@altclip/core`'s `openModel`), or from already opened files. */
  static async fromPretrained(
    ref: string | TokenizerFileSource,
    options: FromPretrainedOptions = {},
  ): Promise<XLMRobertaTokenizer> {
    if (typeof ref !== 'string') return XLMRobertaTokenizer.fromFiles(ref, options);
    return XLMRobertaTokenizer.fromFiles(await openModel(ref, options), options);
  }

  /** From a ModelFiles-like source: `tokenizer.json` when present, else `sentencepiece.bpe.model`, plus configs. */
  static async fromFiles(
    files: TokenizerFileSource,
    options: FromFilesOptions = {},
  ): Promise<XLMRobertaTokenizer> {
    const readOptionalJSON = async (name: string) =>
      (await files.exists(name)) ? JSON.parse(await files.readText(name)) : undefined;
    const [tokenizerConfig, specialTokensMap] = await Promise.all([
      readOptionalJSON('tokenizer_config.json'),
      readOptionalJSON('special_tokens_map.json'),
    ]);
    const config = { tokenizerConfig, specialTokensMap };
    const source = options.source ?? 'auto';
    if (source !== 'sentencepiece' && (source === 'tokenizer.json' || (await files.exists(TOKENIZER_JSON)))) {
      return XLMRobertaTokenizer.fromTokenizerJSON(await files.readText(TOKENIZER_JSON), config, options);
    }
    const bytes = await files.readBytes(SENTENCEPIECE_MODEL);
    if (!bytes) throw new ModelNotFoundError(`neither ${TOKENIZER_JSON} nor ${SENTENCEPIECE_MODEL} found`);
    return XLMRobertaTokenizer.fromSentencePieceModel(bytes, config, options);
  }

  /** From the contents of `tokenizer.json` (text or parsed), either layout. */
  static fromTokenizerJSON(
    json: string | object,
    config: TokenizerConfigFiles = {},
    options: TokenizerOptions = {},
  ): XLMRobertaTokenizer {
    const parsed = typeof json === 'string' ? JSON.parse(json) : json;
    return new XLMRobertaTokenizer(definitionFromTokenizerJSON(parsed), config, options);
  }

  /** From the bytes of `sentencepiece.bpe.model`, with the fairseq id layout of XLM-R. */
  static fromSentencePieceModel(
    bytes: Uint8Array | ArrayBuffer,
    config: TokenizerConfigFiles = {},
    options: TokenizerOptions = {},
  ): XLMRobertaTokenizer {
    const model = parseSentencePieceModel(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
    return new XLMRobertaTokenizer(definitionFromSentencePiece(model), config, options);
  }

  // ----------------------------------------------------------------------------------------------------------
  // Vocabulary

  get vocabSize(): number {
    return this.tokens.length;
  }

  convertIdsToTokens(ids: TokenIds): string[] {
    return this.checkIds(ids).map((id) => this.tokens[id]);
  }

  /** Token strings to ids; a string that is no token maps to the unknown id. */
  convertTokensToIds(tokens: readonly string[]): number[] {
    return tokens.map((token) => this.indexOf(token) ?? this.unkTokenId);
  }

  // ----------------------------------------------------------------------------------------------------------
  // Encoding

  /** Token ids of one text (or a pair), with `<s>` … `</s>` unless `addSpecialTokens` is false. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const first = this.encodeText(text, 'text');
    const second = options.textPair === undefined ? undefined : this.encodeText(options.textPair, 'textPair');
    const ids =
      options.addSpecialTokens === false ? concat(first, second) : this.applyTemplate(first, second);
    this.warnIfTooLong(ids.length);
    return ids;
  }

  /** SentencePiece pieces (and added tokens) of a text; an unknown run keeps its normalized surface text. */
  tokenize(text: string): string[] {
    const pieces: string[] = [];
    this.splitAddedTokens(
      checkText(text, 'text'),
      (chunk) => this.encodeChunk(chunk, undefined, pieces),
      (token) => {
        pieces.push(token.content);
      },
    );
    return pieces;
  }

  /** Encodes texts (or `[text, textPair]` pairs) with padding and truncation, as plain arrays or int64 Tensors. */
  batchEncode(
    inputs: readonly TextInput[],
    options: BatchEncodeOptions & { returnTensors: true },
  ): BatchEncoding<Tensor<'int64'>>;
  batchEncode(
    inputs: readonly TextInput[],
    options?: BatchEncodeOptions & { returnTensors?: false },
  ): BatchEncoding<number[][]>;
  batchEncode(
    inputs: readonly TextInput[],
    options?: BatchEncodeOptions,
  ): BatchEncoding<number[][] | Tensor<'int64'>>;
  batchEncode(
    inputs: readonly TextInput[],
    options: BatchEncodeOptions = {},
  ): BatchEncoding<number[][] | Tensor<'int64'>> {
    if (!Array.isArray(inputs))
      throw new InputError(`batchEncode expects an array of texts, got ${describe(inputs)}`);
    const padding = options.padding === true ? 'longest' : (options.padding ?? false);
    const truncation = options.truncation === true ? 'longest_first' : (options.truncation ?? false);
    const addSpecialTokens = options.addSpecialTokens !== false;
    const needsLimit = truncation !== false || padding === 'max_length';
    const maxLength = options.maxLength ?? this.modelMaxLength;
    if (needsLimit && !(Number.isInteger(maxLength) && maxLength > 0)) {
      throw new InputError(
        `maxLength must be a positive integer (got ${String(maxLength)}); the model sets no limit`,
      );
    }
    const isPairs = inputs.length > 0 && Array.isArray(inputs[0]);
    const rows = inputs.map((input, i) => {
      let first: number[];
      let second: number[] | undefined;
      if (isPairs) {
        if (!Array.isArray(input) || input.length !== 2) {
          throw new InputError(`batchEncode: item ${i} is not a [text, textPair] pair like item 0`);
        }
        first = this.encodeText(input[0], `inputs[${i}][0]`);
        second = this.encodeText(input[1], `inputs[${i}][1]`);
      } else {
        first = this.encodeText(input as string, `inputs[${i}]`);
      }
      if (truncation !== false) {
        [first, second] = this.truncate(first, second, maxLength, truncation, addSpecialTokens);
      }
      const ids = addSpecialTokens ? this.applyTemplate(first, second) : concat(first, second);
      if (truncation === false) this.warnIfTooLong(ids.length);
      return ids;
    });
    // As transformers: 'max_length' pads to maxLength and leaves longer (untruncated) rows as they are.
    const width =
      padding === 'max_length'
        ? maxLength
        : padding === 'longest'
          ? rows.reduce((longest, row) => Math.max(longest, row.length), 0)
          : 0;
    const inputIds = rows.map((row) =>
      row.length < width ? row.concat(Array(width - row.length).fill(this.padTokenId)) : row,
    );
    const attentionMask = rows.map((row) => {
      const mask = new Array<number>(Math.max(width, row.length)).fill(0);
      mask.fill(1, 0, row.length);
      return mask;
    });
    if (!options.returnTensors) return { inputIds, attentionMask };
    const length = inputIds.length === 0 ? 0 : inputIds[0].length;
    if (inputIds.some((row) => row.length !== length)) {
      throw new InputError('rows have different lengths: use padding to return tensors');
    }
    const toTensor = (matrix: number[][]) => {
      const data = new BigInt64Array(matrix.length * length);
      matrix.forEach((row, r) => {
        for (let c = 0; c < length; c++) data[r * length + c] = BigInt(row[c]);
      });
      return new Tensor('int64', data, [matrix.length, length]);
    };
    return { inputIds: toTensor(inputIds), attentionMask: toTensor(attentionMask) };
  }

  // ----------------------------------------------------------------------------------------------------------
  // Decoding

  /** Text of token ids, as the slow tokenizer writes it: pieces joined, `▁` → space, stripped. */
  decode(ids: TokenIds, options: DecodeOptions = {}): string {
    const skip = options.skipSpecialTokens === true;
    let text = '';
    for (const id of this.checkIds(ids)) {
      if (skip && this.specialIds.has(id)) continue;
      text += this.tokens[id];
    }
    text = pythonStrip(text.replace(SPACE_SYMBOL, ' '));
    return (options.cleanUpTokenizationSpaces ?? this.cleanUpTokenizationSpaces)
      ? cleanUpTokenization(text)
      : text;
  }

  /** `decode` of each row (an array of id lists, or a 2-D Tensor). */
  batchDecode(rows: readonly TokenIds[] | Tensor, options: DecodeOptions = {}): string[] {
    if (rows instanceof Tensor) {
      if (rows.dims.length !== 2)
        throw new InputError(`batchDecode expects a 2-D tensor, got [${rows.dims.join(', ')}]`);
      const [count, length] = rows.dims;
      const data = rows.data as ArrayLike<number | bigint>;
      return Array.from({ length: count }, (_, r) =>
        this.decode(
          Array.from({ length }, (_, c) => Number(data[r * length + c])),
          options,
        ),
      );
    }
    if (!Array.isArray(rows))
      throw new InputError(`batchDecode expects an array of id lists, got ${describe(rows)}`);
    return rows.map((row) => this.decode(row, options));
  }

  // ----------------------------------------------------------------------------------------------------------
  // Internals

  private encodeText(text: unknown, what: string): number[] {
    const ids: number[] = [];
    this.splitAddedTokens(
      checkText(text, what),
      (chunk) => this.encodeChunk(chunk, ids),
      (token) => ids.push(token.id),
    );
    return ids;
  }

  /**
   * XLMRobertaTokenizer's added-token split: leftmost-longest literal matches in the raw text; `lstrip` /
   * `rstrip` eat Python-whitespace of the neighbouring chunk; empty chunks are dropped.
   */
  private splitAddedTokens(
    text: string,
    onChunk: (chunk: string) => void,
    onToken: (token: AddedToken) => void,
  ): void {
    const pattern = this.addedTokenPattern;
    if (pattern) pattern.lastIndex = 0;
    const firstMatch = pattern?.exec(text);
    if (!pattern || !firstMatch) {
      if (text.length > 0) onChunk(text);
      return;
    }
    // Parts alternate between text chunks (strings) and added tokens.
    const parts: (string | AddedToken)[] = [];
    let last = 0;
    for (let match: RegExpExecArray | null = firstMatch; match; match = pattern.exec(text)) {
      if (match.index > last) parts.push(text.slice(last, match.index));
      parts.push(this.addedTokens.get(match[0]) as AddedToken);
      last = match.index + match[0].length;
    }
    if (last < text.length) parts.push(text.slice(last));
    for (let i = 0; i < parts.length; i++) {
      const token = parts[i];
      if (typeof token === 'string') continue;
      const left = parts[i - 1];
      const right = parts[i + 1];
      if (token.rstrip && typeof right === 'string') parts[i + 1] = pythonLstrip(right);
      if (token.lstrip && typeof left === 'string') parts[i - 1] = pythonRstrip(left);
      if (token.singleWord) {
        const before = parts[i - 1];
        const after = parts[i + 1];
        if (typeof before === 'string' && before.length > 0 && !before.endsWith(' ')) {
          parts[i - 1] = before + token.content;
          parts[i] = '';
        } else if (typeof after === 'string' && after.length > 0 && !after.startsWith(' ')) {
          parts[i] = token.content + after;
          parts[i + 1] = '';
        }
      }
    }
    for (const part of parts) {
      if (typeof part !== 'string') onToken(part);
      else if (part.length > 0) onChunk(part);
    }
  }

  /** SentencePiece on one chunk: ids (consecutive unknowns merged into one) into `ids`, or pieces into `pieces`. */
  private encodeChunk(raw: string, ids?: number[], pieces?: string[]): void {
    let text = raw;
    for (const step of this.textSteps) text = step(text);
    // UTF-16 → UTF-8 takes at most 3 bytes per code unit; lone surrogates become U+FFFD.
    if (this.utf8.length < 3 * text.length)
      this.utf8 = new Uint8Array(Math.max(3 * text.length, 2 * this.utf8.length));
    const { written } = this.encoder.encodeInto(text, this.utf8);
    const normalized = this.normalizer.normalize(this.utf8, written);
    const model = this.model;
    const count = model.segment(normalized, normalized.length);
    const unk = this.unkTokenId;
    const segmentIds = model.ids;
    let previousUnknown = false;
    for (let k = 0; k < count; k++) {
      const id = segmentIds[k];
      const unknown = id === unk;
      if (ids) {
        if (!(unknown && previousUnknown)) ids.push(id);
      } else if (pieces) {
        if (!unknown) pieces.push(this.tokens[id]);
        else {
          const surface = this.decoder.decode(normalized.subarray(model.starts[k], model.starts[k + 1]));
          if (previousUnknown) pieces[pieces.length - 1] += surface;
          else pieces.push(surface);
        }
      }
      previousUnknown = unknown;
    }
    if (written > LARGE_TEXT_BYTES) {
      this.utf8 = new Uint8Array(1024);
      this.normalizer.releaseScratch();
      model.releaseScratch();
    }
  }

  private applyTemplate(first: number[], second: number[] | undefined): number[] {
    const parts: readonly TemplatePart[] = second === undefined ? this.template.single : this.template.pair;
    const ids: number[] = [];
    for (const part of parts) {
      if ('tokenId' in part) ids.push(part.tokenId);
      else {
        const sequence = part.sequence === 'A' ? first : (second ?? []);
        for (const id of sequence) ids.push(id);
      }
    }
    return ids;
  }

  private specialCount(pair: boolean): number {
    return (pair ? this.template.pair : this.template.single).filter((p) => 'tokenId' in p).length;
  }

  /** transformers' `truncate_sequences` (slow): `longest_first` takes ties from the second text. */
  private truncate(
    first: number[],
    second: number[] | undefined,
    maxLength: number,
    strategy: TruncationStrategy,
    addSpecialTokens: boolean,
  ): [number[], number[] | undefined] {
    const specials = addSpecialTokens ? this.specialCount(second !== undefined) : 0;
    const total = first.length + (second?.length ?? 0) + specials;
    let remove = total - maxLength;
    if (remove <= 0) return [first, second];
    const fail = (what: string) =>
      new InputError(
        `cannot truncate to maxLength ${maxLength}: ${what} (${specials} special tokens are kept)`,
      );
    if (second === undefined || strategy === 'only_first') {
      if (strategy === 'only_second') throw fail('only_second needs text pairs');
      if (remove > first.length) throw fail('the text is too short to remove enough tokens');
      return [first.slice(0, first.length - remove), second];
    }
    if (strategy === 'only_second') {
      if (remove > second.length) throw fail('the second text is too short to remove enough tokens');
      return [first, second.slice(0, second.length - remove)];
    }
    if (remove > first.length + second.length) throw fail('the texts are too short to remove enough tokens');
    let firstLength = first.length;
    let secondLength = second.length;
    const equalize = Math.min(Math.abs(firstLength - secondLength), remove);
    if (firstLength > secondLength) firstLength -= equalize;
    else secondLength -= equalize;
    remove -= equalize;
    firstLength -= Math.floor(remove / 2);
    secondLength -= remove - Math.floor(remove / 2);
    return [first.slice(0, firstLength), second.slice(0, secondLength)];
  }

  private warnIfTooLong(length: number): void {
    if (this.warnedTooLong || length <= this.modelMaxLength) return;
    this.warnedTooLong = true;
    this.onWarning(
      `Token indices sequence length is longer than the specified maximum sequence length for this model ` +
        `(${length} > ${this.modelMaxLength}). Running this sequence through the model will result in indexing ` +
        'errors; pass truncation: true to batchEncode.',
    );
  }

  private indexOf(token: string): number | undefined {
    if (!this.tokenIndex) {
      this.tokenIndex = new Map();
      for (let id = this.tokens.length - 1; id >= 0; id--) this.tokenIndex.set(this.tokens[id], id);
    }
    return this.tokenIndex.get(token);
  }

  private checkIds(ids: TokenIds): number[] {
    const values: ArrayLike<number | bigint> | undefined =
      ids instanceof Tensor
        ? ids.dims.length <= 1 || ids.dims[0] === 1
          ? (ids.data as ArrayLike<number | bigint>)
          : undefined
        : Array.isArray(ids) || ArrayBuffer.isView(ids)
          ? (ids as ArrayLike<number | bigint>)
          : undefined;
    if (!values) throw new InputError(`expected a list of token ids, got ${describe(ids)}`);
    const result = new Array<number>(values.length);
    for (let i = 0; i < values.length; i++) {
      const id = Number(values[i]);
      if (!Number.isInteger(id) || id < 0 || id >= this.tokens.length) {
        throw new InputError(
          `token id ${String(values[i])} at index ${i} is outside the vocabulary (0..${this.tokens.length - 1})`,
        );
      }
      result[i] = id;
    }
    return result;
  }
}

function checkText(text: unknown, what: string): string {
  if (typeof text !== 'string') throw new InputError(`${what} must be a string, got ${describe(text)}`);
  return text;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}

function concat(first: number[], second: number[] | undefined): number[] {
  return second === undefined ? first : first.concat(second);
}
