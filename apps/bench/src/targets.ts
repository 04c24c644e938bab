import type { Device, DType } from '@altclip/core';
import { BenchError } from './errors.js';
import type { Runtime } from './report.js';

/** One backend × device × dtype in one runtime: everything that is loaded once and measured together. */
export interface Target {
  runtime: Runtime;
  backend: string;
  device: Device;
  dtype: DType;
}

/** The devices each backend offers in each runtime (what the project's backend packages implement). */
const DEVICES: Readonly<Record<Runtime, Readonly<Record<string, readonly Device[]>>>> = {
  node: { 'ort-node': ['cpu', 'cuda', 'webgpu'], 'ort-web': ['wasm'], tfjs: ['cpu', 'wasm'] },
  browser: { 'ort-web': ['wasm', 'webgpu', 'webgl'], tfjs: ['wasm', 'webgl', 'webgpu', 'cpu'] },
};

/**
 * What runs when no device is named: the devices that work on a machine without a GPU. tfjs' plain-JS `cpu`
 * backend is left out (minutes per image at the base shapes); name it with `--devices` or `--targets`.
 */
const DEFAULT_DEVICES: Readonly<Record<Runtime, Readonly<Record<string, readonly Device[]>>>> = {
  node: { 'ort-node': ['cpu'], 'ort-web': ['wasm'], tfjs: ['wasm'] },
  browser: { 'ort-web': ['wasm'], tfjs: ['wasm', 'webgl'] },
};

export const KNOWN_BACKENDS = ['ort-node', 'ort-web', 'tfjs'] as const;
export const KNOWN_DTYPES: readonly DType[] = ['fp32', 'fp16', 'int8'];

export function targetLabel(target: Target): string {
  return `${target.backend}/${target.device}/${target.dtype}${target.runtime === 'browser' ? ' (browser)' : ''}`;
}

export function sameTarget(a: Target, b: Target): boolean {
  return a.runtime === b.runtime && a.backend === b.backend && a.device === b.device && a.dtype === b.dtype;
}

/**
 * The cross product of backends × devices × dtypes, kept to the combinations that exist in each runtime
 * (ort-node only in Node; ort-web and tfjs in both). A backend that is not one of the
 * project's is assumed to run in Node on the devices named.
 */
export function expandTargets(options: {
  backends: readonly string[];
  devices?: readonly string[];
  dtypes: readonly string[];
  runtimes: readonly Runtime[];
}): Target[] {
  for (const dtype of options.dtypes) {
    if (!KNOWN_DTYPES.includes(dtype as DType)) {
      throw new BenchError(`unknown dtype '${dtype}'; expected one of ${KNOWN_DTYPES.join(', ')}`);
    }
  }
  const targets: Target[] = [];
  for (const runtime of options.runtimes) {
    for (const backend of options.backends) {
      const known = (KNOWN_BACKENDS as readonly string[]).includes(backend);
      if (!known && runtime !== 'node') continue;
      const offered = known ? DEVICES[runtime][backend] : undefined;
      if (known && !offered) continue;
      const devices = options.devices
        ? options.devices.filter((device) => !offered || offered.includes(device as Device))
        : (DEFAULT_DEVICES[runtime][backend] ?? ['cpu']);
      for (const device of devices) {
        for (const dtype of options.dtypes) {
          targets.push({ runtime, backend, device: device as Device, dtype: dtype as DType });
        }
      }
    }
  }
  if (targets.length === 0) {
    throw new BenchError(
      `no configuration matches backends ${options.backends.join(',')}, devices ${options.devices?.join(',') ?? '(default)'} and runtimes ${options.runtimes.join(',')}`,
    );
  }
  return targets;
}
