import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AltCLIPConfig,
  type BackendModel,
  type Device,
  type DType,
  type LoadRequest,
  openSafetensors,
  type Tensor,
  type WeightStore,
} from '@altclip/core';
import { expect } from 'vitest';
import { fixturePath } from '../../../tools/fixtures.js';

export const TINY_DIR = fixturePath('models', 'tiny-altclip');
export const LARGE_CONFIG = fixturePath('models', 'altclip-large-config', 'config.json');

export interface GoldenTensorSpec {
  dtype: string;
  shape: number[];
  key: string;
  atol?: number;
  rtol?: number;
  values?: unknown;
}

export interface GoldenCase {
  name: string;
  file: string;
  entry: string;
  inputs: Record<string, GoldenTensorSpec>;
  options?: Record<string, unknown>;
  outputs?: Record<string, GoldenTensorSpec>;
  expect_error?: Record<string, unknown>;
  optional?: boolean;
  weights_file?: string;
}

export interface GoldenIndex {
  default_tolerance: { atol: number; rtol: number };
  attention_tolerance: { atol: number; rtol: number };
  logit_scale_exp: number;
  cases: GoldenCase[];
}

export function readGoldenIndex(): GoldenIndex {
  return JSON.parse(readFileSync(join(TINY_DIR!, 'golden', 'cases.json'), 'utf8')) as GoldenIndex;
}

export function tinyConfig(): AltCLIPConfig {
  return AltCLIPConfig.fromJSON(JSON.parse(readFileSync(join(TINY_DIR!, 'config.json'), 'utf8')));
}

/** Every input and expected output tensor of a case, by golden key. */
export async function readGoldenTensors(c: GoldenCase): Promise<Map<string, Tensor>> {
  const store = await openSafetensors(join(TINY_DIR!, 'golden', c.file));
  const out = new Map<string, Tensor>();
  for (const key of store.keys()) out.set(key, await store.get(key));
  await store.close();
  return out;
}

/** |actual - expected| <= atol + rtol |expected| elementwise; returns the largest absolute error. */
export function expectClose(
  actual: Tensor,
  expected: Tensor,
  tolerance: { atol: number; rtol: number },
  what: string,
): number {
  expect([...actual.dims], `${what} dims`).toEqual([...expected.dims]);
  const a = actual.data as Float32Array;
  const e = expected.data as Float32Array;
  let worst = 0;
  let failures = 0;
  let first = '';
  for (let i = 0; i < e.length; i++) {
    const diff = Math.abs(a[i] - e[i]);
    worst = Math.max(worst, Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff);
    if (!(diff <= tolerance.atol + tolerance.rtol * Math.abs(e[i]))) {
      if (failures++ === 0) first = `index ${i}: ${a[i]} vs ${e[i]}`;
    }
  }
  expect(
    failures,
    `${what}: ${failures} elements out of tolerance (max abs err ${worst}; first ${first})`,
  ).toBe(0);
  return worst;
}

export function toleranceOf(
  index: GoldenIndex,
  name: string,
  spec: GoldenTensorSpec,
): { atol: number; rtol: number } {
  if (spec.atol !== undefined) return { atol: spec.atol, rtol: spec.rtol ?? 0 };
  return name.startsWith('attentions') || name.includes('.attentions')
    ? index.attention_tolerance
    : index.default_tolerance;
}

export interface LoadOptions {
  device?: Device;
  dtype?: DType;
  weights?: WeightStore;
  backendOptions?: Record<string, unknown>;
  cacheDir?: string;
  towers?: LoadRequest['towers'];
  files?: LoadRequest['files'];
}

export function loadRequest(
  config: AltCLIPConfig,
  weights: WeightStore,
  options: LoadOptions = {},
): LoadRequest {
  return {
    config,
    weights,
    towers: options.towers ?? { text: true, vision: true, withProjection: true },
    device: options.device ?? 'cpu',
    dtype: options.dtype ?? 'fp32',
    cacheDir: options.cacheDir,
    backendOptions: options.backendOptions,
    files: options.files,
  };
}

export type { BackendModel };
