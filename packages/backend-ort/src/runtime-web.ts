import { BackendError, type Device } from '@altclip/core';
import type * as ortCommon from 'onnxruntime-common';
import { placeWeightsInMemory } from './graph/weight-source.js';
import { type Ort, type OrtRuntime, RunQueue, type SessionSettings } from './runtime.js';

type SessionOptions = ortCommon.InferenceSession.SessionOptions;

function hardwareThreads(): number {
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
}

function hasWebGpu(): boolean {
  return typeof (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu === 'object';
}

function sessionOptions(settings: SessionSettings): SessionOptions {
  return {
    executionProviders: settings.device === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'],
    graphOptimizationLevel: settings.graphOptimizationLevel ?? 'all',
  };
}

/**
 * onnxruntime-web: the wasm build everywhere, WebGPU in browsers that expose `navigator.gpu`. Weights are
 * handed over in memory as external data. The wasm runtime serialises runs, so calls are queued.
 */
export async function loadWebRuntime(options: { numThreads?: number } = {}): Promise<OrtRuntime> {
  let ort: Ort;
  try {
    ort = (await import('onnxruntime-web')) as unknown as Ort;
  } catch (error) {
    throw new BackendError(`onnxruntime-web could not be loaded: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // Thread count is global to the wasm runtime and fixed once it starts.
  // A value the application set on ort.env before us wins.
  if (options.numThreads !== undefined || !ort.env.wasm.numThreads) {
    ort.env.wasm.numThreads = options.numThreads ?? Math.max(1, hardwareThreads());
  }
  const devices: Device[] = hasWebGpu() ? ['webgpu', 'wasm'] : ['wasm'];
  const queue = new RunQueue();
  return {
    name: 'ort-web',
    ort,
    devices,
    queue,
    placeWeights: (store, weights) => placeWeightsInMemory(store, weights),
    createSession(model, placed, settings) {
      return queue.run(() =>
        ort.InferenceSession.create(model, {
          ...sessionOptions(settings),
          externalData: placed?.files ? [...placed.files] : undefined,
        }),
      );
    },
    createSessionFromFile(file, settings) {
      return queue.run(() =>
        typeof file === 'string'
          ? ort.InferenceSession.create(file, sessionOptions(settings))
          : ort.InferenceSession.create(file, sessionOptions(settings)),
      );
    },
  };
}
