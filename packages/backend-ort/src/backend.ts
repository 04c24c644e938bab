import {
  type Backend,
  type BackendCapabilities,
  BackendError,
  type BackendModel,
  type Device,
  type LoadRequest,
  NotSupportedError,
} from '@altclip/core';
import { ExportedModel, findExport } from './exported-model.js';
import type { GraphKind } from './graph/towers.js';
import { GraphModel } from './graph-model.js';
import type { OrtRuntime, SessionSettings } from './runtime.js';

/**
 * `backendOptions` this backend understands (all optional):
 * - `graph`: `'fused'` (default; onnxruntime contrib operators), `'plain'` (standard ONNX operators only),
 *   or `'export'` (the model's ready-made `onnx/*_model*.onnx` files);
 * - `intraOpNumThreads`: threads per operator (default: every core; onnxruntime-node only);
 * - `graphOptimizationLevel`: onnxruntime's, default `'all'`;
 * - `strictDevice`: fail instead of falling back to the CPU when the device's provider is missing;
 * - `allowSpinning`: onnxruntime-node's worker threads spin while waiting (default true; false suits
 *   machines shared with other work);
 * - `skipLayerNorm`: fused graphs use com.microsoft SkipLayerNormalization (off: slower than
 *   Add + LayerNormalization on onnxruntime-node's CPU provider, kept for measurements);
 * - `packedAttention`: fused graphs use com.microsoft `Attention` / `QAttention` over concatenated Q/K/V
 *   weights instead of three linears and `MultiHeadAttention` (default: on for int8, where `QAttention`
 *   measured 6-12 % faster on the image tower; off otherwise, where it made no difference).
 */
export interface OrtBackendOptions {
  readonly graph?: GraphKind | 'export';
  readonly intraOpNumThreads?: number;
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  readonly strictDevice?: boolean;
  readonly skipLayerNorm?: boolean;
  readonly packedAttention?: boolean;
  readonly allowSpinning?: boolean;
}

/** The onnxruntime backend, over onnxruntime-node or onnxruntime-web (given by `load`). */
export class OrtBackend implements Backend {
  readonly #load: () => Promise<OrtRuntime>;
  #runtime?: OrtRuntime;

  constructor(load: () => Promise<OrtRuntime>) {
    this.#load = load;
  }

  async init(): Promise<void> {
    this.#runtime ??= await this.#load();
  }

  get runtime(): OrtRuntime {
    if (!this.#runtime)
      throw new BackendError('the onnxruntime backend is not initialised: call init() first');
    return this.#runtime;
  }

  capabilities(): BackendCapabilities {
    return { devices: this.runtime.devices, dtypes: ['fp32', 'fp16', 'int8'], gradients: false };
  }

  /** The device to use: the requested one when its provider is here, else the CPU with a warning. */
  #device(requested: Device, strict: boolean): Device {
    const runtime = this.runtime;
    const cpu: Device = runtime.name === 'ort-node' ? 'cpu' : 'wasm';
    const device = requested === 'cpu' || requested === 'wasm' ? cpu : requested;
    if (runtime.devices.includes(device)) return device;
    const message = `${runtime.name}: device '${requested}' is not available here (available: ${runtime.devices.join(', ')})`;
    if (strict) throw new BackendError(message);
    console.warn(`${message}; running on '${cpu}' instead`);
    return cpu;
  }

  async loadModel(request: LoadRequest): Promise<BackendModel> {
    await this.init();
    const options = (request.backendOptions ?? {}) as OrtBackendOptions;
    const strictDevice = options.strictDevice ?? false;
    const settings: SessionSettings = {
      device: this.#device(request.device, strictDevice),
      strictDevice,
      allowSpinning: options.allowSpinning,
      intraOpNumThreads: options.intraOpNumThreads,
      graphOptimizationLevel: options.graphOptimizationLevel,
    };
    const graph = options.graph ?? 'fused';
    if (graph === 'export') {
      if (!request.files)
        throw new NotSupportedError(
          "backendOptions.graph 'export' needs a model folder or hub id with onnx/ files",
        );
      const files = {
        text: request.towers.text ? await findExport(request.files, 'text', request.dtype) : undefined,
        vision: request.towers.vision ? await findExport(request.files, 'vision', request.dtype) : undefined,
      };
      for (const tower of ['text', 'vision'] as const) {
        if (request.towers[tower] && !files[tower]) {
          throw new NotSupportedError(
            `the model has no onnx/${tower}_model*.onnx for dtype '${request.dtype}'`,
          );
        }
      }
      return new ExportedModel(this.runtime, request, files, settings);
    }
    if (graph !== 'fused' && graph !== 'plain') {
      throw new NotSupportedError(
        `backendOptions.graph must be 'fused', 'plain' or 'export', got ${JSON.stringify(graph)}`,
      );
    }
    return new GraphModel(this.runtime, request, graph, settings, {
      skipLayerNorm: options.skipLayerNorm,
      packedAttention: options.packedAttention ?? request.dtype === 'int8',
    });
  }
}
