import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errorMessage } from './measure.js';
import type { PreprocessingResult } from './report.js';
import { measureTokenizerSpeed, type TokenizerSpeed } from './tokenizer-speed.js';

const FIXTURES_DIR = resolve(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures');

export interface PreprocessingOptions {
  /** Timed runs per implementation (the median is reported). */
  repetitions: number;
  fixturesDir?: string;
}

function skipped(task: PreprocessingResult['task'], implementation: string, error: string): PreprocessingResult {
  return { task, implementation, status: 'skipped', error };
}

function failed(task: PreprocessingResult['task'], implementation: string, error: unknown): PreprocessingResult {
  return { task, implementation, status: 'failed', error: errorMessage(error) };
}

function tokenizerRow(implementation: string, speed: TokenizerSpeed, details: Record<string, unknown>): PreprocessingResult {
  return {
    task: 'tokenizer',
    implementation,
    status: 'ok',
    tokensPerSecond: speed.tokensPerSecond,
    textsPerSecond: speed.linesPerSecond,
    details: { ...details, tokens: speed.tokens, medianSeconds: speed.medianSeconds, loadSeconds: speed.loadSeconds },
  };
}

/** Tokenizer tokens/s of @altclip/tokenizer beside transformers.js, on the fixture corpus with the XLM-R large vocabulary. */
async function tokenizerResults(fixtures: string, repetitions: number): Promise<PreprocessingResult[]> {
  const corpusPath = join(fixtures, 'tokenizer', 'bench-corpus.txt');
  const modelDir = join(fixtures, 'tokenizer', 'large-xlmr');
  if (!existsSync(corpusPath) || !existsSync(modelDir)) {
    const reason = `needs the tokenizer fixtures (${corpusPath}, ${modelDir})`;
    return [skipped('tokenizer', '@altclip/tokenizer', reason), skipped('tokenizer', '@huggingface/transformers', reason)];
  }
  try {
    const speed = await measureTokenizerSpeed({ corpusPath, modelDir, repetitions });
    const corpus = { corpus: 'tokenizer/bench-corpus.txt', vocabulary: 'tokenizer/large-xlmr', lines: speed.lines, bytes: speed.bytes };
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
  }
}

/** Image preprocessing images/s of @altclip/image-processor beside transformers.js (image-speed.ts). */
async function imageResults(fixtures: string, repetitions: number): Promise<PreprocessingResult[]> {
  // Imported by name at run time: image-speed.ts is written separately and may be absent from a checkout.
  const modulePath = './image-speed.js';
  let module: { measureImageProcessorSpeed?: (options: Record<string, unknown>) => Promise<unknown> };
  try {
    module = await import(modulePath);
  } catch (error) {
    return [skipped('image-processor', '@altclip/image-processor', `image-speed.js is not available: ${errorMessage(error)}`)];
  }
  if (!module.measureImageProcessorSpeed) {
    return [skipped('image-processor', '@altclip/image-processor', 'image-speed.js exports no measureImageProcessorSpeed')];
  }
  return [skipped('image-processor', '@altclip/image-processor', `image-speed.js is not wired in yet (${fixtures}, ${repetitions})`)];
}

export async function measurePreprocessing(options: PreprocessingOptions): Promise<PreprocessingResult[]> {
  const fixtures = options.fixturesDir ?? FIXTURES_DIR;
  return [...(await tokenizerResults(fixtures, options.repetitions)), ...(await imageResults(fixtures, options.repetitions))];
}
