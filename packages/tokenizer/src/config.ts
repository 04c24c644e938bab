import { CheckpointError } from '@altclip/core';
import { type AddedToken, addedToken } from './definition.js';

/** transformers writes `int(1e30)` as model_max_length when a checkpoint sets no limit. */
const NO_LIMIT_THRESHOLD = 1e15;

export const SPECIAL_TOKEN_NAMES = ['bos', 'eos', 'unk', 'sep', 'cls', 'pad', 'mask'] as const;
export type SpecialTokenName = (typeof SPECIAL_TOKEN_NAMES)[number];

/** What `tokenizer_config.json` and `special_tokens_map.json` contribute, merged. */
export interface TokenizerSettings {
  /** `model_max_length`; Infinity when the files set none. */
  modelMaxLength: number;
  cleanUpTokenizationSpaces: boolean;
  /** The text of each named special token (`bos_token`, ...), where the files name one. */
  specialTokens: Partial<Record<SpecialTokenName, string>>;
  additionalSpecialTokens: string[];
  /** Added tokens by id, with their strip flags (`added_tokens_decoder`, mask flags from the map). */
  addedTokens: AddedToken[];
}

/** The raw Hugging Face config files, as parsed JSON (either may be absent). */
export interface TokenizerConfigFiles {
  /** Contents of `tokenizer_config.json`. */
  tokenizerConfig?: unknown;
  /** Contents of `special_tokens_map.json`. */
  specialTokensMap?: unknown;
}

type TokenSpec = string | { content?: string; lstrip?: boolean; rstrip?: boolean; single_word?: boolean };

export function readSettings(files: TokenizerConfigFiles = {}): TokenizerSettings {
  const config = asObject(files.tokenizerConfig, 'tokenizer_config.json');
  const map = asObject(files.specialTokensMap, 'special_tokens_map.json');
  const specialTokens: TokenizerSettings['specialTokens'] = {};
  const flags = new Map<string, Partial<AddedToken>>();
  for (const name of SPECIAL_TOKEN_NAMES) {
    // special_tokens_map.json carries the strip flags on hub checkpoints; tokenizer_config.json wins on content.
    for (const source of [map, config]) {
      const spec = source[`${name}_token`] as TokenSpec | undefined | null;
      if (spec == null) continue;
      const content = typeof spec === 'string' ? spec : spec.content;
      if (typeof content !== 'string') continue;
      specialTokens[name] = content;
      if (typeof spec === 'object') flags.set(content, tokenFlags(spec));
    }
  }
  const additional = (config.additional_special_tokens ?? map.additional_special_tokens ?? []) as TokenSpec[];
  const additionalSpecialTokens = Array.isArray(additional)
    ? additional.map((t) => (typeof t === 'string' ? t : String(t.content)))
    : [];

  const addedTokens: AddedToken[] = [];
  const decoder = config.added_tokens_decoder as
    | Record<string, TokenSpec & { special?: boolean }>
    | undefined;
  if (decoder && typeof decoder === 'object') {
    for (const [key, spec] of Object.entries(decoder)) {
      const id = Number(key);
      const content = typeof spec === 'string' ? spec : spec?.content;
      if (!Number.isInteger(id) || id < 0 || typeof content !== 'string') {
        throw new CheckpointError('tokenizer_config.json', `added_tokens_decoder entry ${key} is malformed`);
      }
      const special = typeof spec === 'object' ? spec.special !== false : true;
      addedTokens.push(
        addedToken(content, id, { ...(typeof spec === 'object' ? tokenFlags(spec) : {}), special }),
      );
    }
  }
  for (const token of addedTokens) Object.assign(token, flags.get(token.content) ?? {});
  const maxLength = config.model_max_length;
  return {
    modelMaxLength:
      typeof maxLength === 'number' && maxLength > 0 && maxLength < NO_LIMIT_THRESHOLD ? maxLength : Infinity,
    cleanUpTokenizationSpaces: config.clean_up_tokenization_spaces === true,
    specialTokens,
    additionalSpecialTokens,
    addedTokens: mergeFlagsOnly(addedTokens, flags),
  };
}

/** Tokens named only in special_tokens_map.json (no added_tokens_decoder) still bring their strip flags. */
function mergeFlagsOnly(tokens: AddedToken[], flags: Map<string, Partial<AddedToken>>): AddedToken[] {
  const known = new Set(tokens.map((t) => t.content));
  const extra = [...flags.entries()].filter(([content]) => !known.has(content));
  return tokens.concat(extra.map(([content, f]) => addedToken(content, -1, f)));
}

function tokenFlags(spec: Exclude<TokenSpec, string>): Partial<AddedToken> {
  const result: Partial<AddedToken> = {};
  if (typeof spec.lstrip === 'boolean') result.lstrip = spec.lstrip;
  if (typeof spec.rstrip === 'boolean') result.rstrip = spec.rstrip;
  if (typeof spec.single_word === 'boolean') result.singleWord = spec.single_word;
  return result;
}

function asObject(value: unknown, file: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new CheckpointError(file, 'not a JSON object');
  return value as Record<string, unknown>;
}
