import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotSupportedError } from '@altclip/core';
import { describe, expect, it } from 'vitest';
import { XLMRobertaTokenizer } from '../src/index.js';
import { FIXTURE_DIR, readConfigFiles } from './helpers.js';

/** tokenizer.json variants built from the tiny fixture, to check how each named component is read. */
describe.skipIf(!FIXTURE_DIR)('tokenizer.json components', () => {
  const original = FIXTURE_DIR
    ? readFileSync(join(FIXTURE_DIR, 'tiny-xlmr', 'tokenizer.json'), 'utf8')
    : '{}';
  const config = FIXTURE_DIR ? readConfigFiles('tiny-xlmr') : {};
  const plain = XLMRobertaTokenizer.fromTokenizerJSON(original, config);
  // biome-ignore lint/suspicious/noExplicitAny: tests edit arbitrary parts of the parsed file.
  type Json = any;
  const variant = (edit: (json: Json) => void) => {
    const json = JSON.parse(original);
    edit(json);
    return XLMRobertaTokenizer.fromTokenizerJSON(json, config);
  };

  it('runs normalizers placed before Precompiled on the text first', () => {
    const withSteps = variant((json) => {
      json.normalizer.normalizers.unshift(
        { type: 'Replace', pattern: { String: '``' }, content: '"' },
        { type: 'Lowercase' },
        { type: 'Replace', pattern: { Regex: '\\d+' }, content: '#' },
      );
    });
    expect(withSteps.encode('He said ``HI`` 2024')).toEqual(plain.encode('he said "hi" #'));
    const nfd = variant((json) => json.normalizer.normalizers.unshift({ type: 'NFD' }));
    expect(nfd.tokenize('é')).toEqual(plain.tokenize('e\u0301'));
  });

  it('refuses steps after Precompiled that SentencePiece semantics cannot reproduce', () => {
    expect(() =>
      variant((json) =>
        json.normalizer.normalizers.push({ type: 'Replace', pattern: { String: 'a' }, content: 'b' }),
      ),
    ).toThrow(NotSupportedError);
    expect(() => variant((json) => (json.model.byte_fallback = true))).toThrow(NotSupportedError);
  });

  it('reads the pre-tokenizer as SentencePiece flags', () => {
    const never = variant((json) => (json.pre_tokenizer.prepend_scheme = 'never'));
    expect(never.tokenize('hello world')[0]).not.toMatch(/^▁/);
    expect(never.tokenize('hello world')).toContain('▁w');
    const noWhitespaceRules = variant((json) => {
      json.normalizer = json.normalizer.normalizers[0];
      json.pre_tokenizer = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: false };
    });
    // Without Strip/Replace or WhitespaceSplit, runs of spaces are kept (remove_extra_whitespaces off).
    expect(noWhitespaceRules.tokenize('a  b').filter((p) => p === '▁').length).toBeGreaterThan(0);
    expect(plain.tokenize('a  b')).toEqual(['▁a', '▁b']);
  });

  it('uses the post-processor templates, and none without a post-processor', () => {
    const bare = variant((json) => (json.post_processor = null));
    expect(bare.encode('hi')).toEqual(plain.encode('hi', { addSpecialTokens: false }));
    const roberta = variant(
      (json) =>
        (json.post_processor = {
          type: 'RobertaProcessing',
          sep: ['</s>', 2],
          cls: ['<s>', 0],
          trim_offsets: true,
        }),
    );
    expect(roberta.encode('a', { textPair: 'b' })).toEqual(plain.encode('a', { textPair: 'b' }));
  });
});
