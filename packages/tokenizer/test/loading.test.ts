import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelNotFoundError } from '@altclip/core';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { XLMRobertaTokenizer } from '../src/index.js';
import { FIXTURE_DIR, folderFiles, readConfigFiles } from './helpers.js';

const TINY = join(FIXTURE_DIR ?? '', 'tiny-xlmr');

describe.skipIf(!FIXTURE_DIR)('loading', () => {
  it('fromPretrained takes a ModelFiles-like source, or a folder through core openModel', async () => {
    const fromSource = await XLMRobertaTokenizer.fromPretrained(folderFiles(TINY));
    expect(fromSource.encode('Hello world')).toEqual([0, 405, 168, 61, 374, 178, 279, 2]);
    const fromFolder = await XLMRobertaTokenizer.fromPretrained(TINY);
    expect(fromFolder.encode('Hello world')).toEqual(fromSource.encode('Hello world'));
    await expect(
      XLMRobertaTokenizer.fromPretrained(join(TINY, 'no-such-folder'), { localFilesOnly: true }),
    ).rejects.toThrow(ModelNotFoundError);
  });

  it('fails with ModelNotFoundError when neither vocabulary file exists', async () => {
    await expect(XLMRobertaTokenizer.fromFiles(folderFiles(join(TINY, 'no-such-folder')))).rejects.toThrow(
      ModelNotFoundError,
    );
  });

  it('reads model_max_length, special tokens and the <mask> lstrip from the config files', async () => {
    const tokenizer = await XLMRobertaTokenizer.fromFiles(folderFiles(TINY), { source: 'sentencepiece' });
    expect(tokenizer.modelMaxLength).toBe(512);
    expect(tokenizer.padTokenId).toBe(1);
    expect([...tokenizer.specialIds].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 8001]);
    expect(tokenizer.tokenize('a  <mask> b')).toEqual(['▁a', '<mask>', '▁b']);
    const override = XLMRobertaTokenizer.fromSentencePieceModel(
      readFileSync(join(TINY, 'sentencepiece.bpe.model')),
      readConfigFiles('tiny-xlmr'),
      { modelMaxLength: 77 },
    );
    expect(override.modelMaxLength).toBe(77);
  });

  it('works from the model bytes alone (browser path) with XLM-R defaults', () => {
    const bare = XLMRobertaTokenizer.fromSentencePieceModel(
      readFileSync(join(TINY, 'sentencepiece.bpe.model')).buffer as ArrayBuffer,
    );
    expect(bare.modelMaxLength).toBe(Infinity);
    expect(bare.encode('x <mask>', { textPair: 'y' })).toEqual([
      0,
      ...bare.encode('x', { addSpecialTokens: false }),
      8001,
      2,
      2,
      ...bare.encode('y', { addSpecialTokens: false }),
      2,
    ]);
    expect(bare.convertTokensToIds(['<s>', '<mask>', 'not-a-piece'])).toEqual([0, 8001, 3]);
  });

  it('bundles for browsers without Node built-ins', async () => {
    const result = await build({
      entryPoints: [join(import.meta.dirname, '..', 'src', 'index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      external: ['@altclip/core'],
      logLevel: 'silent',
    });
    const code = result.outputFiles[0].text;
    expect(code).not.toMatch(/from ["']node:|require\(["'](fs|path|node:)/);
  });
});
