import { join } from 'node:path';
import { Tensor } from '@altclip/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { XLMRobertaTokenizer } from '../src/index.js';
import { FIXTURE_DIR, failures, folderFiles, readJsonl, same } from './helpers.js';

interface PairRecord {
  id: string;
  text: string;
  text_pair: string;
  ids: number[];
  ids_fast?: number[];
}

interface BatchRecord {
  id: string;
  name: string;
  texts: string[];
  text_pairs: string[] | null;
  padding: 'longest' | 'max_length';
  truncation: boolean;
  max_length: number | null;
  input_ids: number[][];
  attention_mask: number[][];
  input_ids_fast?: number[][];
}

describe.skipIf(!FIXTURE_DIR)('pairs, batches and tensors (tiny-xlmr)', () => {
  let tokenizer: XLMRobertaTokenizer;
  const pairs = FIXTURE_DIR ? readJsonl<PairRecord>('pairs-shared.jsonl') : [];
  const batches = FIXTURE_DIR ? readJsonl<BatchRecord>('batches-shared.jsonl') : [];
  const inputsOf = (b: BatchRecord) =>
    b.text_pairs ? b.texts.map((t, i) => [t, b.text_pairs?.[i]] as [string, string]) : b.texts;

  beforeAll(async () => {
    tokenizer = await XLMRobertaTokenizer.fromFiles(folderFiles(join(FIXTURE_DIR ?? '', 'tiny-xlmr')));
  });

  it('encodes the 100 pairs as <s> A </s></s> B </s>', () => {
    expect(pairs).toHaveLength(100);
    const failed = failures(pairs, (p) => {
      const ids = tokenizer.encode(p.text, { textPair: p.text_pair });
      if (!same(ids, p.ids)) return `encode ${JSON.stringify(ids)}`;
      if (!same(tokenizer.batchEncode([[p.text, p.text_pair]]).inputIds, [p.ids])) return 'batchEncode';
      return undefined;
    });
    expect(failed).toEqual([]);
  });

  it('pads and truncates the 9 batches as the slow tokenizer does', () => {
    expect(batches).toHaveLength(9);
    const failed = failures(batches, (b) => {
      const out = tokenizer.batchEncode(inputsOf(b), {
        padding: b.padding,
        truncation: b.truncation,
        maxLength: b.max_length ?? undefined,
      });
      if (!same(out.inputIds, b.input_ids)) return `input_ids ${JSON.stringify(out.inputIds)}`;
      if (!same(out.attentionMask, b.attention_mask)) return 'attention_mask';
      return undefined;
    });
    expect(failed).toEqual([]);
    // The truncation tie (README item 4): we follow the slow tokenizer, not the fast one.
    const tie = batches.find((b) => b.name === 'pairs-max15-tie') as BatchRecord;
    expect(tie.input_ids_fast).toBeDefined();
    expect(
      tokenizer.batchEncode(inputsOf(tie), { padding: 'max_length', truncation: true, maxLength: 15 })
        .inputIds,
    ).not.toEqual(tie.input_ids_fast);
  });

  it('returns int64 tensors [batch, length] that batchDecode reads back', () => {
    const batch = batches[0];
    const out = tokenizer.batchEncode(batch.texts, { padding: 'longest', returnTensors: true });
    expect(out.inputIds).toBeInstanceOf(Tensor);
    expect(out.inputIds.type).toBe('int64');
    expect(out.inputIds.dims).toEqual([batch.texts.length, batch.input_ids[0].length]);
    expect(Array.from(out.inputIds.data, Number)).toEqual(batch.input_ids.flat());
    expect(Array.from(out.attentionMask.data, Number)).toEqual(batch.attention_mask.flat());
    expect(tokenizer.batchDecode(out.inputIds, { skipSpecialTokens: true })).toEqual(
      batch.input_ids.map((row) => tokenizer.decode(row, { skipSpecialTokens: true })),
    );
  });

  it('keeps special tokens in decode unless asked to skip them', () => {
    const ids = tokenizer.encode('a <mask> b');
    expect(tokenizer.decode(ids)).toBe('<s> a<mask> b</s>');
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe('a b');
    expect(tokenizer.batchDecode([ids, tokenizer.encode('')], { skipSpecialTokens: true })).toEqual([
      'a b',
      '',
    ]);
    expect(tokenizer.decode(BigInt64Array.from(ids.map(BigInt)))).toBe(tokenizer.decode(ids));
  });

  it('supports only_first / only_second truncation and no special tokens', () => {
    const [a, b] = ['one two three four five six', 'seven eight'];
    const full = tokenizer.batchEncode([[a, b]]).inputIds[0];
    const onlyFirst = tokenizer.batchEncode([[a, b]], {
      truncation: 'only_first',
      maxLength: full.length - 2,
    }).inputIds[0];
    expect(onlyFirst).toHaveLength(full.length - 2);
    expect(onlyFirst.slice(-tokenizer.encode(b, { addSpecialTokens: false }).length - 1)).toEqual(
      full.slice(-tokenizer.encode(b, { addSpecialTokens: false }).length - 1),
    );
    const bare = tokenizer.batchEncode([a], { addSpecialTokens: false, truncation: true, maxLength: 3 })
      .inputIds[0];
    expect(bare).toEqual(tokenizer.encode(a, { addSpecialTokens: false }).slice(0, 3));
  });
});
