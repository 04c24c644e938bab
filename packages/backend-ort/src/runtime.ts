import type { Device, ProgressCallback, WeightStore } from '@altclip/core';
import type * as ortCommon from 'onnxruntime-common';
import type { GraphWeight, PlacedWeights } from './graph/weight-source.js';

export type Ort = typeof ortCommon;
export type OrtSession = ortCommon.InferenceSession;
export type OrtTensor = ortCommon.Tensor;

/** What differs between onnxruntime-node and onnxruntime-web; the rest of the backend is shared. */
export interface OrtRuntime {
  readonly name: 'ort-node' | 'ort-web';
  readonly ort: Ort;
  /** Devices this runtime can try, best first. */
  readonly devices: readonly Device[];
  /**
   * Set when calls into the runtime must not overlap (onnxruntime-web's wasm instance is shared by all
   * its sessions): session creation and runs then go through this one queue.
   */
  readonly queue?: RunQueue;
  /** The device sessions asked for `device` really use (the CPU after a failed provider). */
  effectiveDevice?(device: Device): Device;
  /** Puts the weights of a graph where the runtime can read them as external data. */
  placeWeights(
    store: WeightStore,
    weights: readonly GraphWeight[],
    options: { cacheDir?: string; onProgress?: ProgressCallback; label: string },
  ): Promise<PlacedWeights>;
  /** Creates a session for a serialised model whose external data was placed by `placeWeights`. */
  createSession(
    model: Uint8Array,
    placed: PlacedWeights | undefined,
    options: SessionSettings,
  ): Promise<OrtSession>;
  /** Creates a session for a ready-made ONNX file (a local path, or its bytes). */
  createSessionFromFile(file: string | Uint8Array, options: SessionSettings): Promise<OrtSession>;
}

export interface SessionSettings {
  readonly device: Device;
  /** Threads for one operator; default: every core. */
  readonly intraOpNumThreads?: number;
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** onnxruntime-node: let idle worker threads spin (default true). */
  readonly allowSpinning?: boolean;
  /** Fail instead of falling back to the CPU when the device's provider cannot start. */
  readonly strictDevice?: boolean;
}

/** Serialises calls to one session for runtimes that cannot run them concurrently. */
export class RunQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
