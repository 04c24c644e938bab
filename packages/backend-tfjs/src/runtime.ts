import { BackendError, type Device, InputError } from '@altclip/core';
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
  setWasmPaths(paths);
  wasmPathsSet = true;
}

/** Threads asked for with `configureWasmThreads` (Node's default: the logical cores). */
let wasmThreads: number | undefined;

/**
 * Threads of tfjs' threaded SIMD wasm build: in Node the package starts that build itself (default: the
 * logical cores; 1 = tfjs' single-threaded build); browsers get it when the page is cross-origin isolated,
 * where tfjs caps it at half the logical cores and at 8. Takes effect only before the first wasm model.
 */
export function configureWasmThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new InputError(`wasmThreads must be a positive integer, got ${threads}`);
  }
  wasmThreads = threads;
  setThreadsCount(threads);
}

let nodeWasmRegistered = false;

/** Whether tfjs has started its wasm backend (its engine's registry holds started backends only). */
function wasmStarted(): boolean {
  return (tf.engine() as unknown as { registry: Record<string, unknown> }).registry.wasm !== undefined;
}

/** Node: (re)registers the wasm backend so that it starts tfjs' threaded build with the configured threads. */
async function registerNodeWasmWithThreads(): Promise<void> {
  // Node-only module; browser bundles map it to nothing (package.json `browser`) and never get here.
  const { registerNodeWasm, defaultWasmThreads } = await import('./wasm-node.js');
  registerNodeWasm(wasmThreads ?? defaultWasmThreads());
}

/** Node: replaces tfjs' wasm factory by one that starts the threaded build, unless the app started wasm. */
async function registerNodeWasmOnce(): Promise<void> {
  if (nodeWasmRegistered || !isNode) return;
  // Set before the await: concurrent first loads must not register (and so restart) the backend twice.
  nodeWasmRegistered = true;
  if (!wasmStarted()) await registerNodeWasmWithThreads();
}

/**
 * Node, for benchmarks: stops the wasm backend (disposing every tensor on it, so every wasm model) so that
 * the next wasm model starts it again with the current `configureWasmThreads` setting.
 */
export async function restartNodeWasm(): Promise<void> {
  if (!isNode) return;
  nodeWasmRegistered = true;
  await registerNodeWasmWithThreads();
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
  if (device === 'wasm') {
    await defaultNodeWasmPaths();
    await registerNodeWasmOnce();
  }
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
