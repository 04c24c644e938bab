import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { XLMRobertaTokenizer } from '@altclip/tokenizer';
import { describe, expect, it } from 'vitest';
import {
  CLASSES,
  captionCorpus,
  LANGUAGES,
  MAX_TEXT_LENGTH,
  preTokenize,
  tokenizerFiles,
  trainUnigram,
  VOCAB_SIZE,
  viterbi,
} from '../src/index.js';

const MODEL_DIR = join(import.meta.dirname, '../../../models/altclip-demo');
const corpus = captionCorpus(CLASSES);
const vocab = trainUnigram(corpus, VOCAB_SIZE);
const files = tokenizerFiles(vocab, MAX_TEXT_LENGTH);
const tokenizer = XLMRobertaTokenizer.fromTokenizerJSON(files['tokenizer.json'] as object, {
  tokenizerConfig: files['tokenizer_config.json'],
  specialTokensMap: files['special_tokens_map.json'],
});
const plainTexts = LANGUAGES.flatMap((language) =>
  CLASSES.flatMap((cls) => [...language.captions(cls), language.template.replace('{}', language.label(cls))]),
);

describe('demo tokenizer', () => {
  it('has the XLM-R layout: specials first, <mask> last, unk_id 3', () => {
    const model = (files['tokenizer.json'] as { model: { vocab: [string, number][]; unk_id: number } }).model;
    expect(model.vocab.slice(0, 4).map(([p]) => p)).toEqual(['<s>', '<pad>', '</s>', '<unk>']);
    expect(model.vocab.at(-1)?.[0]).toBe('<mask>');
    expect(model.unk_id).toBe(3);
    expect(tokenizer.vocabSize).toBe(model.vocab.length);
    expect(tokenizer.modelMaxLength).toBe(MAX_TEXT_LENGTH);
    for (const [, score] of model.vocab.slice(4, -1)) expect(score).toBeLessThan(0);
  });

  it('tokenizes every caption without <unk>, as the learnt Viterbi segmentation says', () => {
    const scores = new Map(vocab);
    for (const text of plainTexts) {
      const ids = tokenizer.encode(text);
      expect(ids[0]).toBe(0);
      expect(ids.at(-1)).toBe(2);
      expect(ids).not.toContain(3);
      const expected = preTokenize(text).flatMap((word) => viterbi(word, scores) ?? []);
      expect(tokenizer.convertIdsToTokens(ids.slice(1, -1))).toEqual(expected);
      expect(ids.length).toBeLessThanOrEqual(MAX_TEXT_LENGTH);
    }
  });

  it('learns words, not sentences, in scripts written without spaces', () => {
    const tokens = (text: string) =>
      tokenizer.convertIdsToTokens(tokenizer.encode(text, { addSpecialTokens: false }));
    expect(tokens('一张红色圆形的照片。')).toEqual(['▁一张', '红色', '圆形', '的', '照片', '。']);
    expect(tokens('これは赤い円です。')).toEqual(['▁これは', '赤い', '円', 'です', '。']);
    expect(tokens('صورة دائرة حمراء')).toEqual(['▁صورة', '▁دائرة', '▁حمراء']);
    expect(tokens('a photo of a red circle.')).toEqual(['▁a', '▁photo', '▁of', '▁a', '▁red', '▁circle', '.']);
  });

  it('normalizes case, width and apostrophes as the vocabulary was learnt', () => {
    expect(tokenizer.encode('C’EST UNE ÉTOILE VERTE.')).toEqual(tokenizer.encode("c'est une étoile verte."));
    expect(tokenizer.encode('ｒｅｄ  circle')).toEqual(tokenizer.encode('red circle'));
    expect(tokenizer.decode(tokenizer.encode('это зелёная звезда.'), { skipSpecialTokens: true })).toBe(
      'это зелёная звезда.',
    );
  });

  it('is the tokenizer shipped in models/altclip-demo (the training script reproduces it)', async () => {
    for (const [name, content] of Object.entries(files)) {
      const shipped = JSON.parse(await readFile(join(MODEL_DIR, name), 'utf8'));
      expect(shipped, name).toEqual(JSON.parse(JSON.stringify(content)));
    }
  });
});
