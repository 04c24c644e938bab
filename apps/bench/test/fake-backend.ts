// A deterministic stand-in backend: features are a fixed function of the inputs, so parity is exact unless a
// backend is told to add noise. Lets the harness be tested without onnxruntime or tfjs.
import {
  type Backend,
  type BackendModel,
  type LoadRequest,
  registerBackend,
  Tensor,
  type TextTowerInputs,
  type VisionTowerInputs,
} from '@altclip/core';

export interface FakeBackendOptions {
  /** Added to every feature, to produce a known parity difference. */
  offset?: number;
  /** Thrown from loadModel. */
  loadError?: string;
  /** Thrown from the text tower. */
  textError?: string;
  /** Milliseconds each call takes. */
  delayMs?: number;
}

function rowFeatures(
  values: ArrayLike<number | bigint>,
  rows: number,
  width: number,
  offset: number,
): Float32Array {
  const perRow = values.length / rows;
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < width; j++) {
      let sum = 0;
      for (let i = j; i < perRow; i += width) sum += Number(values[r * perRow + i]) * (1 + ((i * 7) % 5));
      out[r * width + j] = Math.sin(sum / 97 + j) + offset;
    }
  }
  return out;
}

class FakeModel implements BackendModel {
  constructor(
    private readonly request: LoadRequest,
    private readonly options: FakeBackendOptions,
  ) {}

  async #wait(): Promise<void> {
    if (this.options.delayMs) await new Promise((resolve) => setTimeout(resolve, this.options.delayMs));
  }

  async runText(inputs: TextTowerInputs) {
    await this.#wait();
    if (this.options.textError) throw new Error(this.options.textError);
    const rows = inputs.inputIds!.dims[0];
    const width = this.request.config.projectionDim;
    const features = new Tensor(
      'float32',
      rowFeatures(inputs.inputIds!.data, rows, width, this.options.offset ?? 0),
      [rows, width],
    );
    return { lastHiddenState: features, poolerOutput: features, features };
  }

  async runVision(inputs: VisionTowerInputs) {
    await this.#wait();
    const rows = inputs.pixelValues.dims[0];
    const width = this.request.config.projectionDim;
    const features = new Tensor(
      'float32',
      rowFeatures(inputs.pixelValues.data, rows, width, this.options.offset ?? 0),
      [rows, width],
    );
    return { lastHiddenState: features, poolerOutput: features, features };
  }

  async dispose(): Promise<void> {}
}

export function fakeBackend(options: FakeBackendOptions = {}): Backend {
  return {
    async init() {},
    capabilities: () => ({ devices: ['cpu', 'wasm'], dtypes: ['fp32', 'int8'], gradients: false }),
    async loadModel(request) {
      if (options.loadError) throw new Error(options.loadError);
      return new FakeModel(request, options);
    },
  };
}

export function registerFakeBackends(backends: Record<string, FakeBackendOptions>): void {
  for (const [name, options] of Object.entries(backends)) registerBackend(name, fakeBackend(options), 1000);
}
