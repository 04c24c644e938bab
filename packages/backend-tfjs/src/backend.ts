import type { Backend, BackendCapabilities, BackendModel, Device, LoadRequest } from '@altclip/core';
import { BackendError, NotSupportedError } from '@altclip/core';
import { TfjsModel } from './model.js';
import { configureWasmPaths, configureWasmThreads, detectDevices, type WasmPaths } from './runtime.js';

/** `LoadRequest.backendOptions` understood by the tfjs backend. */
export interface TfjsBackendOptions {
  /** Where tfjs-backend-wasm finds its `.wasm` files (browsers; Node finds them itself). */
  readonly wasmPaths?: WasmPaths;
  /**
   * XNNPACK threads of the threaded SIMD wasm build, fixed when the wasm backend starts. Node: default the
   * logical cores (at most 8), 1 = the single-threaded build. Browsers (cross-origin isolated only): tfjs
   * caps it at half the logical cores.
   */
  readonly wasmThreads?: number;
}

/** The `tfjs` backend: AltCLIP built from TensorFlow.js ops, on cpu / wasm (Node) and webgl / webgpu (browsers). */
export class TfjsBackend implements Backend {
  #devices: Device[] = [];

  async init(): Promise<void> {
    this.#devices = detectDevices();
  }

  capabilities(): BackendCapabilities {
    return { devices: this.#devices, dtypes: ['fp32'], gradients: true };
  }

  async loadModel(request: LoadRequest): Promise<BackendModel> {
    if (!this.#devices.includes(request.device)) {
      throw new BackendError(
        `the tfjs backend has no '${request.device}' device here (devices: ${this.#devices.join(', ')})`,
      );
    }
    if (request.dtype !== 'fp32') {
      throw new NotSupportedError(`the tfjs backend computes in fp32 only, not '${request.dtype}'`);
    }
    const options = (request.backendOptions ?? {}) as TfjsBackendOptions;
    if (options.wasmPaths !== undefined) configureWasmPaths(options.wasmPaths);
    if (options.wasmThreads !== undefined) configureWasmThreads(options.wasmThreads);
    return TfjsModel.load(request);
  }
}
