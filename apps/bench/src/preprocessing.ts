import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { type ImageSpeed, measureImageProcessorSpeed } from './image-speed.js';
import { errorMessage } from './measure.js';
import type { PreprocessingResult } from './report.js';
import { measureTokenizerSpeed, type TokenizerSpeed } from './tokenizer-speed.js';

const FIXTURES_DIR = resolve(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures');

export interface PreprocessingOptions {
  /** Timed runs per implementation (the median is reported). */
  repetitions: number;
  /**
   * Use only the first `lines` corpus lines and `images` images (the quick mode: the transformers.js tokenizer
   * alone takes tens of seconds per pass over the whole corpus on a busy 2-core machine).
   */
  subset?: { lines: number; images: number };
  fixturesDir?: string;
}

function skipped(
  task: PreprocessingResult['task'],
  implementation: string,
  error: string,
): PreprocessingResult {
  return { task, implementation, status: 'skipped', error };
}

function failed(
  task: PreprocessingResult['task'],
  implementation: string,
  error: unknown,
): PreprocessingResult {
  return { task, implementation, status: 'failed', error: errorMessage(error) };
}

function tokenizerRow(
  implementation: string,
  speed: TokenizerSpeed,
  details: Record<string, unknown>,
): PreprocessingResult {
  return {
    task: 'tokenizer',
    implementation,
    status: 'ok',
    tokensPerSecond: speed.tokensPerSecond,
    textsPerSecond: speed.linesPerSecond,
    details: {
      ...details,
      tokens: speed.tokens,
      medianSeconds: speed.medianSeconds,
      loadSeconds: speed.loadSeconds,
    },
  };
}

/** Tokenizer tokens/s of @altclip/tokenizer beside transformers.js, on the fixture corpus with the XLM-R large vocabulary. */
async function tokenizerResults(
  fixtures: string,
  repetitions: number,
  subsetLines: number | undefined,
): Promise<PreprocessingResult[]> {
  let corpusPath = join(fixtures, 'tokenizer', 'bench-corpus.txt');
  const modelDir = join(fixtures, 'tokenizer', 'large-xlmr');
  if (!existsSync(corpusPath) || !existsSync(modelDir)) {
    const reason = `needs the tokenizer fixtures (${corpusPath}, ${modelDir})`;
    return [
      skipped('tokenizer', '@altclip/tokenizer', reason),
      skipped('tokenizer', '@huggingface/transformers', reason),
    ];
  }
  let tempDir: string | undefined;
  try {
    if (subsetLines !== undefined) {
      tempDir = await mkdtemp(join(tmpdir(), 'altclip-bench-corpus-'));
      const lines = (await readFile(corpusPath, 'utf8')).split('\n').slice(0, subsetLines);
      corpusPath = join(tempDir, 'corpus.txt');
      await writeFile(corpusPath, `${lines.join('\n')}\n`);
    }
    const speed = await measureTokenizerSpeed({ corpusPath, modelDir, repetitions });
    const corpus = {
      corpus:
        subsetLines === undefined
          ? 'tokenizer/bench-corpus.txt'
          : `tokenizer/bench-corpus.txt, first ${subsetLines} lines`,
      vocabulary: 'tokenizer/large-xlmr',
      lines: speed.lines,
      bytes: speed.bytes,
    };
    const rows = [tokenizerRow('@altclip/tokenizer', speed.ours, corpus)];
    if (speed.transformersJs) {
      rows.push(
        tokenizerRow('@huggingface/transformers', speed.transformersJs, {
          ...corpus,
          identicalLines: speed.transformersJs.identicalLines,
        }),
      );
    }
    return rows;
  } catch (error) {
    return [failed('tokenizer', '@altclip/tokenizer', error)];
  } finally {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
}

/** Image preprocessing images/s of @altclip/image-processor beside transformers.js, on the image fixtures (BAAI/AltCLIP config). */
async function imageResults(
  fixtures: string,
  repetitions: number,
  subsetImages: number | undefined,
): Promise<PreprocessingResult[]> {
  const inputs = join(fixtures, 'images', 'inputs');
  const configPath = join(fixtures, 'images', 'golden', 'preprocessor_config.json');
  if (!existsSync(inputs) || !existsSync(configPath)) {
    const reason = `needs the image fixtures (${inputs}, ${configPath})`;
    return [
      skipped('image-processor', '@altclip/image-processor', reason),
      skipped('image-processor', '@huggingface/transformers', reason),
    ];
  }
  const imagePaths = (await readdir(inputs))
    .filter((name) => !name.endsWith('.json'))
    .sort()
    .slice(0, subsetImages)
    .map((name) => join(inputs, name));
  try {
    const speed = await measureImageProcessorSpeed({ imagePaths, configPath, repetitions });
    const row = (
      implementation: string,
      s: ImageSpeed,
      commonRate: number | undefined,
    ): PreprocessingResult => ({
      task: 'image-processor',
      implementation,
      status: 'ok',
      imagesPerSecond: s.imagesPerSecond,
      details: {
        images: s.images,
        files: imagePaths.length,
        unreadable: s.failures.map((f) => `${basename(f.path)}: ${f.error}`),
        medianSeconds: s.medianSeconds,
        // Over the files both implementations read: the like-for-like rate.
        imagesPerSecondOnCommonFiles: commonRate,
        commonFiles: speed.common?.images,
      },
    });
    const rows = [row('@altclip/image-processor', speed.ours, speed.common?.oursImagesPerSecond)];
    if (speed.transformersJs) {
      rows.push(
        row('@huggingface/transformers', speed.transformersJs, speed.common?.transformersJsImagesPerSecond),
      );
    }
    return rows;
  } catch (error) {
    return [failed('image-processor', '@altclip/image-processor', error)];
  }
}

export async function measurePreprocessing(options: PreprocessingOptions): Promise<PreprocessingResult[]> {
  const fixtures = options.fixturesDir ?? FIXTURES_DIR;
  return [
    ...(await tokenizerResults(fixtures, options.repetitions, options.subset?.lines)),
    ...(await imageResults(fixtures, options.repetitions, options.subset?.images)),
  ];
}
