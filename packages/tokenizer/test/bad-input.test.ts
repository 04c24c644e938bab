import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AltCLIPError, CheckpointError, InputError, NotSupportedError } from '@altclip/core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { XLMRobertaTokenizer } from '../src/index.js';
import { FIXTURE_DIR, readConfigFiles } from './helpers.js';

describe.skipIf(!FIXTURE_DIR)('bad input gets defined behaviour', () => {
  let tokenizer: XLMRobertaTokenizer;
  const warnings: string[] = [];
  const dir = join(FIXTURE_DIR ?? '', 'tiny-xlmr');

  beforeAll(() => {
    tokenizer = XLMRobertaTokenizer.fromTokenizerJSON(
      readFileSync(join(dir, 'tokenizer.json'), 'utf8'),
      readConfigFiles('tiny-xlmr'),
      {
        onWarning: (message) => warnings.push(message),
      },
    );
  });

  it('rejects non-string text with a typed error', () => {
    for (const value of [undefined, null, 42, ['a'], { text: 'a' }, Symbol('s')]) {
      expect(() => tokenizer.encode(value as unknown as string)).toThrow(InputError);
      expect(() => tokenizer.tokenize(value as unknown as string)).toThrow(InputError);
    }
    expect(() => tokenizer.encode('a', { textPair: 3 as unknown as string })).toThrow(InputError);
    expect(() => tokenizer.batchEncode('text' as unknown as string[])).toThrow(InputError);
    expect(() => tokenizer.batchEncode(['a', 7 as unknown as string])).toThrow(
      /inputs\[1\] must be a string/,
    );
    expect(() => tokenizer.batchEncode([['a', 'b'], 'c'] as unknown as [string, string][])).toThrow(
      InputError,
    );
  });

  it('encodes lone surrogates as U+FFFD (what UTF-8 encoding does)', () => {
    expect(tokenizer.encode('a\ud800b')).toEqual(tokenizer.encode('a\ufffdb'));
    expect(tokenizer.encode('\udfff')).toEqual(tokenizer.encode('\ufffd'));
  });

  it('encodes a 1 MB string in linear time and agrees with encoding its words', () => {
    const word = 'multilingual tokenizer ';
    const text = word.repeat(Math.ceil(1_000_000 / word.length));
    const started = performance.now();
    const ids = tokenizer.encode(text);
    expect(performance.now() - started).toBeLessThan(10_000);
    const inner = tokenizer.encode(word, { addSpecialTokens: false });
    expect(ids.length).toBe(2 + inner.length * Math.ceil(1_000_000 / word.length));
    expect(ids.slice(1, 1 + inner.length)).toEqual(inner);
    const oneLongWord = 'x'.repeat(1_000_000);
    expect(tokenizer.tokenize(oneLongWord).join('')).toBe(`▁${oneLongWord}`);
  });

  it('handles an empty batch and empty texts', () => {
    expect(tokenizer.batchEncode([])).toEqual({ inputIds: [], attentionMask: [] });
    const tensors = tokenizer.batchEncode([], { padding: true, returnTensors: true });
    expect(tensors.inputIds.dims).toEqual([0, 0]);
    expect(tokenizer.encode('')).toEqual([0, 2]);
    expect(tokenizer.tokenize('')).toEqual([]);
    expect(tokenizer.decode([])).toBe('');
  });

  it('warns once when a text exceeds model_max_length without truncation, and truncates when asked', () => {
    const long = 'word '.repeat(600);
    const ids = tokenizer.encode(long);
    expect(ids.length).toBeGreaterThan(512);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/longer than the specified maximum sequence length.*> 512/);
    tokenizer.encode(long);
    expect(warnings).toHaveLength(1);
    const truncated = tokenizer.batchEncode([long, 'short'], { truncation: true, padding: 'longest' });
    expect(truncated.inputIds[0]).toHaveLength(512);
    expect(truncated.inputIds[0].at(-1)).toBe(2);
    expect(truncated.inputIds[1]).toHaveLength(512);
    expect(truncated.attentionMask[1].filter((m) => m === 1)).toHaveLength(tokenizer.encode('short').length);
  });

  it('refuses impossible truncation, ragged tensors and bad maxLength with typed errors', () => {
    expect(() => tokenizer.batchEncode(['hello'], { truncation: true, maxLength: 1 })).toThrow(InputError);
    expect(() => tokenizer.batchEncode(['hello'], { truncation: 'only_second', maxLength: 3 })).toThrow(
      InputError,
    );
    expect(() => tokenizer.batchEncode(['a', 'a b c d'], { returnTensors: true })).toThrow(/padding/);
    // max_length padding without truncation leaves a longer row as it is (transformers does the same).
    const ragged = tokenizer.batchEncode(['a', 'a b c d e f'], { padding: 'max_length', maxLength: 5 });
    expect(ragged.inputIds.map((row) => row.length)).toEqual([5, tokenizer.encode('a b c d e f').length]);
    expect(() =>
      tokenizer.batchEncode(['a', 'a b c d e f'], {
        padding: 'max_length',
        maxLength: 5,
        returnTensors: true,
      }),
    ).toThrow(InputError);
    expect(() => tokenizer.batchEncode(['a'], { padding: 'max_length', maxLength: 0 })).toThrow(InputError);
  });

  it('rejects ids outside the vocabulary in decode', () => {
    expect(() => tokenizer.decode([0, 8002])).toThrow(InputError);
    expect(() => tokenizer.decode([1.5])).toThrow(InputError);
    expect(() => tokenizer.decode('0 1' as unknown as number[])).toThrow(InputError);
    expect(() => tokenizer.batchDecode(5 as unknown as number[][])).toThrow(InputError);
  });

  it('gives typed errors for malformed or unsupported model files', () => {
    expect(() => XLMRobertaTokenizer.fromSentencePieceModel(new Uint8Array([0xff, 0xff, 0xff]))).toThrow(
      CheckpointError,
    );
    expect(() =>
      XLMRobertaTokenizer.fromTokenizerJSON({ model: { type: 'BPE', vocab: {}, merges: [] } }),
    ).toThrow(NotSupportedError);
    const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
    json.pre_tokenizer = { type: 'ByteLevel' };
    expect(() => XLMRobertaTokenizer.fromTokenizerJSON(json)).toThrow(NotSupportedError);
    expect(() => XLMRobertaTokenizer.fromTokenizerJSON('{"model": 1}')).toThrow(AltCLIPError);
    json.pre_tokenizer = null;
    json.added_tokens.push({ id: 2 ** 31, content: '<huge>', special: true });
    expect(() => XLMRobertaTokenizer.fromTokenizerJSON(json)).toThrow(CheckpointError);
  });

  it('warns through console.warn by default', () => {
    const spy = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const fresh = XLMRobertaTokenizer.fromTokenizerJSON(
      readFileSync(join(dir, 'tokenizer.json'), 'utf8'),
      readConfigFiles('tiny-xlmr'),
    );
    fresh.encode('word '.repeat(600));
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });
});
