#!/usr/bin/env node
// Tokenizer throughput, ours vs transformers.js, on the fixture corpus; compared with the SentencePiece C++ anchor.
// Usage (after `npm run build`): node apps/bench/scripts/tokenizer-speed.mjs [large-xlmr|tiny-xlmr] [repetitions]
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { measureTokenizerSpeed } from '../dist/tokenizer-speed.js';

const fixtures = resolve(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'tokenizer');
const model = process.argv[2] ?? 'large-xlmr';
const repetitions = Number(process.argv[3] ?? 5);
const report = await measureTokenizerSpeed({
  corpusPath: resolve(fixtures, 'bench-corpus.txt'),
  modelDir: resolve(fixtures, model),
  repetitions,
});
const anchor = JSON.parse(await readFile(resolve(fixtures, 'bench-anchor.json'), 'utf8'));
const spm = anchor.runs[0][model === 'large-xlmr' ? 'spm_large' : 'spm_tiny']['per-line'].tokens_per_s;
console.log(
  JSON.stringify(
    {
      model,
      ...report,
      sentencePieceAnchorTokensPerSecond: spm,
      ratioToSentencePiece: Math.round((report.ours.tokensPerSecond / spm) * 100) / 100,
    },
    null,
    2,
  ),
);
