// Runs inside a worker_threads Worker started by ImageProcessorPool (Node only).
import { parentPort, workerData } from 'node:worker_threads';
import { AltCLIPError } from '@altclip/core';
import type { ImageProcessorConfig } from './config.js';
import type { DecodeOptions } from './decode/index.js';
import type { ImageInput } from './load.js';
import { CLIPImageProcessor } from './processor.js';

export interface PoolRequest {
  readonly id: number;
  readonly input: ImageInput;
  readonly name: string;
}

export interface SerializedError {
  readonly className: string;
  readonly message: string;
  readonly code?: string;
  readonly input?: string;
  readonly pixels?: number;
  readonly maxPixels?: number;
  readonly field?: string;
}

const { config, options } = workerData as { config: ImageProcessorConfig; options: DecodeOptions };
const processor = new CLIPImageProcessor(config, options);
const port = parentPort;
if (!port) throw new Error('pool-worker.js must run in a worker thread');

port.on('message', async ({ id, input, name }: PoolRequest) => {
  try {
    const result = await processor.preprocessImage(input, name);
    port.postMessage({ id, result }, [result.data.buffer as ArrayBuffer]);
  } catch (error) {
    const e = error as AltCLIPError & Partial<SerializedError>;
    const serialized: SerializedError = {
      className: error instanceof AltCLIPError ? e.constructor.name : 'Error',
      message: e?.message ?? String(error),
      code: e?.code,
      input: e?.input,
      pixels: e?.pixels,
      maxPixels: e?.maxPixels,
      field: e?.field,
    };
    port.postMessage({ id, error: serialized });
  }
});
