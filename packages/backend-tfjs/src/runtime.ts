import { BackendError, type Device } from '@altclip/core';
// The umbrella package: tfjs-core alone registers no gradients; this also brings the cpu and webgl backends.
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** Where tfjs-backend-wasm finds its `.wasm` binaries: a folder prefix or a file-name → URL map. */
export type WasmPaths = string | Record<string, string>;

export const isNode =
  typeof process !== 'undefined' && typeof process.versions === 'object' && process.versions.node != null;

let wasmPathsSet = false;

/**
 * Points tfjs-backend-wasm at its binaries. Call before the first `wasm` model is loaded (or pass
 * `backendOptions.wasmPaths`); in Node the package's own `dist/` folder is used when nothing was set.
 */
export function configureWasmPaths(paths: WasmPaths): void {
  if (typeof paths === 'string') setWasmPaths(paths);
  else setWasmPaths(paths);
  wasmPathsSet = true;
}

/**
 * Threads of tfjs' threaded wasm build (browsers with cross-origin isolation; Node always runs the
 * single-threaded build). tfjs caps it at half the logical cores (it assumes two hyperthreads per core)
 * and at 8, so a 2-core machine gets 1. Takes effect only before the first wasm model.
 */
export function configureWasmThreads(threads: number): void {
  setThreadsCount(threads);
}

async function defaultNodeWasmPaths(): Promise<void> {
  if (wasmPathsSet || !isNode) return;
  // Node-only: resolved lazily so that browser bundles never see node:module.
  const { createRequire } = await import(/* @vite-ignore */ 'node:module');
  const require = createRequire(import.meta.url);
  const wasmFile = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
  configureWasmPaths(wasmFile.slice(0, wasmFile.length - 'tfjs-backend-wasm.wasm'.length));
}

/** Devices this runtime offers, best first. */
export function detectDevices(): Device[] {
  const devices: Device[] = [];
  if (!isNode) {
    const nav = globalThis.navigator as (Navigator & { gpu?: unknown }) | undefined;
    // webgpu only when the app imported @tensorflow/tfjs-backend-webgpu, which registers itself with tfjs.
    if (tf.findBackendFactory('webgpu') && nav?.gpu) devices.push('webgpu');
    if (tf.findBackendFactory('webgl') && webglAvailable()) devices.push('webgl');
  }
  if (typeof WebAssembly === 'object') devices.push('wasm');
  devices.push('cpu');
  return devices;
}

function webglAvailable(): boolean {
  try {
    return tf.env().getNumber('WEBGL_VERSION') > 0;
  } catch {
    return false;
  }
}

/**
 * tfjs has one active backend per process. Every use of tensors goes through this queue, which switches
 * to the model's device first, so that models on different devices and concurrent calls never interleave.
 */
let queue: Promise<unknown> = Promise.resolve();

export function onDevice<T>(device: Device, work: () => Promise<T> | T): Promise<T> {
  const run = queue.then(async () => {
    await activate(device);
    return work();
  });
  queue = run.catch(() => undefined);
  return run;
}

async function activate(device: Device): Promise<void> {
  if (tf.getBackend() === device) return;
  if (device === 'wasm') await defaultNodeWasmPaths();
  let ok = false;
  let cause: unknown;
  try {
    ok = await tf.setBackend(device);
  } catch (error) {
    cause = error;
  }
  if (!ok) {
    throw new BackendError(
      `tfjs could not start its '${device}' backend${cause ? `: ${(cause as Error).message ?? cause}` : ''}`,
      { cause },
    );
  }
}

export { tf };
