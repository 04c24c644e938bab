import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  AltCLIPError,
  AltCLIPModel,
  type Device,
  type DType,
  ModelNotFoundError,
  openModel,
  type ProgressEvent,
  resolveBackend,
  type Tensor,
} from '@altclip/core';
import { AltCLIPProcessor } from '@altclip/processor';
import { CliError, ExitCode } from './exit-codes.js';
import type { Progress } from './progress.js';

/** The demo checkpoint shipped in the repository (apps/cli/dist → repository root). */
export const DEMO_MODEL = fileURLToPath(new URL('../../../models/altclip-demo', import.meta.url));

export interface ModelOptions {
  model?: string;
  backend?: string;
  device?: Device;
  dtype?: DType;
  revision?: string;
  offline?: boolean;
}

/** `--model`, else ALTCLIP_MODEL, else the repository's demo checkpoint. */
export function modelRef(options: ModelOptions): string {
  const ref = options.model ?? process.env.ALTCLIP_MODEL;
  if (ref) return ref;
  if (!existsSync(DEMO_MODEL)) {
    throw new ModelNotFoundError(
      `no --model given and the demo model ${DEMO_MODEL} is missing (it ships with the repository only); pass --model BAAI/AltCLIP or a model folder`,
    );
  }
  return DEMO_MODEL;
}

/**
 * Imports (hence registers) the backend packages a run needs: importing TensorFlow.js costs about a second, so it
 * is only loaded when asked for by name or when no onnxruntime backend can serve the device / dtype.
 */
export async function registerBackends(options: ModelOptions): Promise<void> {
  const { backend, device, dtype } = options;
  if (backend === 'tfjs') {
    await import('@altclip/backend-tfjs');
    return;
  }
  await import('@altclip/backend-ort');
  if (backend !== undefined) return;
  const usable = await resolveBackend(undefined, { device, dtype }).then(
    () => true,
    () => false,
  );
  if (!usable) await import('@altclip/backend-tfjs');
}

/** A loaded model with its processor, and the embedding helpers every command uses. */
export class Encoder {
  private constructor(
    readonly ref: string,
    readonly model: AltCLIPModel,
    readonly processor: AltCLIPProcessor,
  ) {}

  static async load(options: ModelOptions, progress: Progress): Promise<Encoder> {
    const ref = modelRef(options);
    await registerBackends(options);
    const onProgress = (event: ProgressEvent) => progress.download(event);
    const hub = { revision: options.revision, localFilesOnly: options.offline || undefined, onProgress };
    // One opening (one revision look-up on the hub) serves both the processor and the model.
    const files = await openModel(ref, hub);
    const processor = await AltCLIPProcessor.fromFiles(files);
    const model = await AltCLIPModel.fromFiles(files, {
      backend: options.backend,
      device: options.device,
      dtype: options.dtype,
    });
    progress.downloadsDone();
    return new Encoder(ref, model, processor);
  }

  /** Width of every embedding (the top-level `projection_dim`). */
  get dimension(): number {
    return this.model.config.projectionDim;
  }

  /** `get_text_features` rows (unnormalised, as transformers returns them). */
  async textFeatures(texts: readonly string[]): Promise<Float32Array[]> {
    const inputs = await this.processor.process({ text: texts, padding: 'longest', truncation: true });
    return rows(
      await this.model.getTextFeatures({ inputIds: inputs.inputIds!, attentionMask: inputs.attentionMask }),
    );
  }

  /** `get_image_features` rows (unnormalised); images are file paths. */
  async imageFeatures(images: readonly string[]): Promise<Float32Array[]> {
    const inputs = await this.processor.process({ images }).catch((error: unknown) => {
      // Whatever the image processor rejects (undecodable, unsupported format, too large) is a bad input file.
      if (error instanceof AltCLIPError)
        throw new CliError(ExitCode.input, error.code, error.message, { cause: error });
      throw error;
    });
    return rows(await this.model.getImageFeatures({ pixelValues: inputs.pixelValues! }));
  }

  dispose(): Promise<void> {
    return this.model.dispose();
  }
}

function rows(features: Tensor<'float32'>): Float32Array[] {
  const [count, width] = features.dims;
  return Array.from({ length: count }, (_, i) => features.data.slice(i * width, (i + 1) * width));
}

/** The row divided by its L2 norm (transformers divides without an epsilon too). */
export function normalize(row: Float32Array): Float32Array {
  let sum = 0;
  for (const value of row) sum += value * value;
  const norm = Math.sqrt(sum);
  return row.map((value) => value / norm);
}

export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}
