import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { XLMRobertaTokenizer } from '../src/index.js';
import {
  FIXTURE_DIR,
  failures,
  folderFiles,
  type GoldenRecord,
  readConfigFiles,
  readJsonl,
  same,
} from './helpers.js';

/** Records where the Rust fast tokenizer departs from SentencePiece (fixture README, "Slow vs fast"). */
const FAST_DISAGREES = ['s-edge-027', 's-edge-030', 's-edge-031', 's-edge-071'];

function checkRecord(tokenizer: XLMRobertaTokenizer) {
  return (r: GoldenRecord): string | undefined => {
    const ids = tokenizer.encode(r.text);
    if (!same(ids, r.ids)) return `ids ${JSON.stringify(ids)} ≠ ${JSON.stringify(r.ids)}`;
    const pieces = tokenizer.tokenize(r.text);
    if (!same(pieces, r.pieces ?? r.tokens.slice(1, -1))) return `tokenize ${JSON.stringify(pieces)}`;
    if (!same(tokenizer.convertIdsToTokens(r.ids), r.tokens)) return 'convertIdsToTokens';
    const decoded = tokenizer.decode(r.ids, { skipSpecialTokens: true });
    if (decoded !== r.decode) return `decode ${JSON.stringify(decoded)}`;
    const cleaned = tokenizer.decode(r.ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: true });
    if (cleaned !== (r.decode_clean ?? r.decode)) return `decode_clean ${JSON.stringify(cleaned)}`;
    return undefined;
  };
}

describe.skipIf(!FIXTURE_DIR)('tiny-xlmr goldens (3,092 records) in every loading mode', () => {
  const dir = join(FIXTURE_DIR ?? '', 'tiny-xlmr');
  const records = FIXTURE_DIR ? readJsonl<GoldenRecord>('goldens-shared.jsonl') : [];
  const config = FIXTURE_DIR ? readConfigFiles('tiny-xlmr') : {};
  const options = { onWarning: () => {} };
  const loaders: [string, () => XLMRobertaTokenizer | Promise<XLMRobertaTokenizer>][] = [
    ['tokenizer.json', () => XLMRobertaTokenizer.fromFiles(folderFiles(dir), options)],
    [
      'tokenizer.legacy.json',
      () =>
        XLMRobertaTokenizer.fromTokenizerJSON(
          readFileSync(join(dir, 'tokenizer.legacy.json'), 'utf8'),
          config,
          options,
        ),
    ],
    [
      'sentencepiece.bpe.model',
      () => XLMRobertaTokenizer.fromFiles(folderFiles(dir), { ...options, source: 'sentencepiece' }),
    ],
  ];

  it('has the records the README describes', () => {
    expect(records).toHaveLength(3092);
    expect(records.filter((r) => r.source === 'edge')).toHaveLength(92);
  });

  for (const [name, load] of loaders) {
    it(`${name}: ids, pieces, tokens and decode match SentencePiece on every record`, async () => {
      const tokenizer = await load();
      expect(tokenizer.vocabSize).toBe(8002);
      expect(failures(records, checkRecord(tokenizer))).toEqual([]);
      // Agreement with the Rust fast tokenizer: exactly the documented departures differ.
      const differs = records
        .filter((r) => !same(tokenizer.encode(r.text), r.ids_fast ?? r.ids))
        .map((r) => r.id);
      expect(differs).toEqual(FAST_DISAGREES);
    });
  }
});
