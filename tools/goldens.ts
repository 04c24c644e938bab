// Test-only helpers for the model goldens in ../shared/fixtures/models/tiny-altclip/golden (see its README).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AltCLIPConfig, configFromJSON, openSafetensors, type Tensor, toFloat32 } from '@altclip/core';
import { expect } from 'vitest';
import { fixturePath } from './fixtures.js';

export interface GoldenTensorSpec {
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
  description: string;
  inputs: Record<string, GoldenTensorSpec>;
  options: Record<string, boolean>;
  outputs: Record<string, GoldenTensorSpec>;
  expect_error?: { type: string; message: string; max_tokens?: number };
  optional?: boolean;
  weights_file?: string;
}

export interface GoldenSuite {
  /** The tiny-altclip model folder. */
  modelDir: string;
  cases: GoldenCase[];
  defaultTolerance: { atol: number; rtol: number };
  attentionTolerance: { atol: number; rtol: number };
}

/** The golden cases, or undefined when the fixtures are absent outside CI (fixturePath throws under CI). */
export function goldenSuite(): GoldenSuite | undefined {
  const modelDir = fixturePath('models', 'tiny-altclip');
  if (!modelDir) return undefined;
  const meta = JSON.parse(readFileSync(join(modelDir, 'golden', 'cases.json'), 'utf8'));
  return {
    modelDir,
    cases: meta.cases,
    defaultTolerance: meta.default_tolerance,
    attentionTolerance: meta.attention_tolerance,
  };
}

/** The tiny model's config.json, parsed the way `fromPretrained` does. */
export function tinyConfig(suite: GoldenSuite): AltCLIPConfig {
  return configFromJSON(JSON.parse(readFileSync(join(suite.modelDir, 'config.json'), 'utf8')));
}

/** Every input and output tensor of a case, by its name in cases.json. */
export async function readGoldenTensors(
  suite: GoldenSuite,
  goldenCase: GoldenCase,
): Promise<Map<string, Tensor>> {
  const store = await openSafetensors(join(suite.modelDir, 'golden', goldenCase.file));
  try {
    const tensors = new Map<string, Tensor>();
    for (const [name, spec] of [
      ...Object.entries(goldenCase.inputs ?? {}),
      ...Object.entries(goldenCase.outputs),
    ]) {
      tensors.set(name, await store.get(spec.key));
    }
    return tensors;
  } finally {
    await store.close();
  }
}

/**
 * The README's rule: |actual - expected| <= atol + rtol * |expected|, elementwise, with the same dims.
 * Returns the largest absolute difference, for reporting parity figures.
 */
export function expectClose(
  actual: Tensor,
  expected: Tensor,
  tolerance: { atol: number; rtol: number },
  label: string,
): number {
  expect(actual.dims, `${label}: dims`).toEqual(expected.dims);
  const a = toFloat32(actual).data;
  const e = toFloat32(expected).data;
  let worst = 0;
  let worstIndex = -1;
  for (let i = 0; i < e.length; i++) {
    const excess = Math.abs(a[i] - e[i]) - (tolerance.atol + tolerance.rtol * Math.abs(e[i]));
    if (!(excess <= worst)) {
      worst = Number.isNaN(excess) ? Number.POSITIVE_INFINITY : excess;
      worstIndex = i;
    }
  }
  expect(
    worstIndex,
    worstIndex < 0 ? label : `${label}: element ${worstIndex} is ${a[worstIndex]}, expected ${e[worstIndex]}`,
  ).toBe(-1);
  return maxAbsDiff(actual, expected);
}

/** Largest absolute difference, for reporting parity figures. */
export function maxAbsDiff(actual: Tensor, expected: Tensor): number {
  const a = toFloat32(actual).data;
  const e = toFloat32(expected).data;
  let max = 0;
  for (let i = 0; i < e.length; i++) max = Math.max(max, Math.abs(a[i] - e[i]));
  return max;
}

/** Tolerance of one golden output: its own, else the README's default (attentions are tighter). */
export function toleranceOf(suite: GoldenSuite, goldenCase: GoldenCase, output: string) {
  const spec = goldenCase.outputs[output];
  const fallback = output.includes('attentions') ? suite.attentionTolerance : suite.defaultTolerance;
  return { atol: spec.atol ?? fallback.atol, rtol: spec.rtol ?? fallback.rtol };
}
