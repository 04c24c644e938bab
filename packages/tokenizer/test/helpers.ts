import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelNotFoundError } from '@altclip/core';
import { fixturePath } from '../../../tools/fixtures.js';
import type { TokenizerConfigFiles, TokenizerFileSource } from '../src/index.js';

/** The tokenizer fixture folder, or undefined when fixtures are absent (fixturePath throws under CI). */
export const FIXTURE_DIR = fixturePath('tokenizer');

export interface GoldenRecord {
  id: string;
  source: 'edge' | 'corpus';
  category?: string;
  text: string;
  ids: number[];
  tokens: string[];
  pieces?: string[];
  decode: string;
  decode_clean?: string;
  ids_fast?: number[];
  ids_fast_legacy?: number[];
  ids_tjs?: number[];
}

export function readJsonl<T>(name: string): T[] {
  return readFileSync(join(FIXTURE_DIR as string, name), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);
}

export function readConfigFiles(model: string): TokenizerConfigFiles {
  const read = (name: string) => JSON.parse(readFileSync(join(FIXTURE_DIR as string, model, name), 'utf8'));
  return {
    tokenizerConfig: read('tokenizer_config.json'),
    specialTokensMap: read('special_tokens_map.json'),
  };
}

/** A minimal local-folder file source for tests (core's openModel does this for users). */
export function folderFiles(folder: string): TokenizerFileSource {
  const path = (name: string) => join(folder, name);
  const exists = (name: string) =>
    stat(path(name)).then(
      (s) => s.isFile(),
      () => false,
    );
  return {
    exists,
    async readText(name) {
      if (!(await exists(name))) throw new ModelNotFoundError(`${name} not in ${folder}`);
      return readFile(path(name), 'utf8');
    },
    async readBytes(name) {
      return (await exists(name)) ? new Uint8Array(await readFile(path(name))) : undefined;
    },
  };
}

/** Runs `check` on every record and returns the ids of the failing ones (with the first few details). */
export function failures<T extends { id: string }>(
  records: T[],
  check: (record: T) => string | undefined,
): string[] {
  const failed: string[] = [];
  for (const record of records) {
    const problem = check(record);
    if (problem !== undefined) failed.push(failed.length < 5 ? `${record.id}: ${problem}` : record.id);
  }
  return failed;
}

export function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
