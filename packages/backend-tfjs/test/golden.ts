import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AltCLIPConfig, openSafetensors, type Tensor } from '@altclip/core';
import { fixturePath } from '../../../tools/fixtures.js';

export const TINY_DIR = fixturePath('models', 'tiny-altclip');
export const GOLDEN_DIR = TINY_DIR && join(TINY_DIR, 'golden');

export interface TensorSpec {
  dtype: string;
  shape: number[];
  key: string;
  atol?: number;
  rtol?: number;
}

export interface GoldenCase {
  name: string;
  file: string;
  entry: string;
  inputs: Record<string, TensorSpec>;
  options: Record<string, boolean>;
  outputs?: Record<string, TensorSpec>;
  expect_error?: { type: string; message: string; max_tokens?: number };
  weights_file?: string;
  optional?: boolean;
}

export interface GoldenFile {
  default_tolerance: { atol: number; rtol: number };
  attention_tolerance: { atol: number; rtol: number };
  logit_scale_exp: number;
  cases: GoldenCase[];
}

export function loadGolden(): GoldenFile {
  return JSON.parse(readFileSync(join(GOLDEN_DIR as string, 'cases.json'), 'utf8')) as GoldenFile;
}

export function loadTinyConfig(): AltCLIPConfig {
  return AltCLIPConfig.fromJSON(JSON.parse(readFileSync(join(TINY_DIR as string, 'config.json'), 'utf8')));
}

/** Every tensor of a case file by key. */
export async function readCase(goldenCase: GoldenCase): Promise<Map<string, Tensor>> {
  const store = await openSafetensors(join(GOLDEN_DIR as string, goldenCase.file));
  try {
    const out = new Map<string, Tensor>();
    for (const key of store.keys()) out.set(key, await store.get(key));
    return out;
  } finally {
    await store.close();
  }
}

/**
 * The largest |actual - expected| and the number of elements over `atol + rtol |expected|`; shapes must match.
 */
export function compare(
  actual: Tensor,
  expected: Tensor,
  atol: number,
  rtol: number,
): { maxError: number; violations: number } {
  if (actual.dims.join(',') !== expected.dims.join(',')) {
    throw new Error(`shape [${actual.dims}] differs from the expected [${expected.dims}]`);
  }
  let maxError = 0;
  let violations = 0;
  for (let i = 0; i < expected.size; i++) {
    const a = Number(actual.data[i]);
    const e = Number(expected.data[i]);
    const error = Math.abs(a - e);
    if (!(error <= atol + rtol * Math.abs(e))) violations++;
    if (!(error <= maxError)) maxError = error;
  }
  return { maxError, violations };
}
