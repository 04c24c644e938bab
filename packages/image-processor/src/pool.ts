import { AltCLIPError, ConfigError, InputError, NotSupportedError } from '@altclip/core';
import { ImageDecodeError, ImageTooLargeError } from './errors.js';
import type { ImageInput } from './load.js';
import type { PoolRequest, SerializedError } from './pool-worker.js';
import {
  batchItemName,
  type CLIPImageProcessor,
  type ImageProcessorOutput,
  type PixelValues,
  stackPixelValues,
} from './processor.js';
import { isNode, loadNodeIO } from './runtime.js';

type NodeWorker = import('node:worker_threads').Worker;

export interface ImageProcessorPoolOptions {
  /** Worker threads. Default: the logical CPU count, at most 4. */
  readonly workers?: number;
}

interface Pending {
  resolve(result: PixelValues): void;
  reject(error: Error): void;
}

function reviveError(error: SerializedError): Error {
  const detail =
    error.input && error.message.startsWith(`${error.input}: `)
      ? error.message.slice(error.input.length + 2)
      : error.message;
  switch (error.className) {
    case 'ImageDecodeError':
      return new ImageDecodeError(error.input ?? '', detail);
    case 'ImageTooLargeError':
      return new ImageTooLargeError(error.input ?? '', error.pixels ?? 0, error.maxPixels ?? 0);
    case 'NotSupportedError':
      return new NotSupportedError(error.message);
    case 'InputError':
      return new InputError(error.message);
    case 'ConfigError':
      return new ConfigError(error.field ?? '', error.message);
    default:
      return error.code ? new AltCLIPError(error.code, error.message) : new Error(error.message);
  }
}

/** Where the worker module is: beside this one in the build (tests run the sources, so they use the build). */
function workerUrl(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('../dist/pool-worker.js', import.meta.url)
    : new URL('./pool-worker.js', import.meta.url);
}

/**
 * Preprocesses batches on worker threads (Node): each image is decoded and preprocessed on a worker, results are
 * stacked in order. Same output as `processor.preprocess`, bit for bit. Call `close()` when done.
 */
export class ImageProcessorPool {
  readonly size: number;
  readonly #workers: NodeWorker[];
  readonly #idle: NodeWorker[];
  readonly #queue: { request: PoolRequest; pending: Pending }[] = [];
  readonly #pending = new Map<number, Pending>();
  readonly #busy = new Map<NodeWorker, number>();
  #nextId = 0;
  #closed = false;

  private constructor(workers: NodeWorker[]) {
    this.#workers = workers;
    this.#idle = [...workers];
    this.size = workers.length;
    for (const worker of workers) {
      worker.on('message', (message: { id: number; result?: PixelValues; error?: SerializedError }) => {
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        this.#busy.delete(worker);
        this.#idle.push(worker);
        if (message.error) pending?.reject(reviveError(message.error));
        else if (message.result) pending?.resolve(message.result);
        this.#dispatch();
      });
      worker.on('error', (error) => {
        const id = this.#busy.get(worker);
        if (id !== undefined) this.#pending.get(id)?.reject(error);
      });
    }
  }

  /** Starts the workers with `processor`'s config and options. Node only. */
  static async create(
    processor: CLIPImageProcessor,
    options: ImageProcessorPoolOptions = {},
  ): Promise<ImageProcessorPool> {
    if (!isNode) throw new NotSupportedError('ImageProcessorPool uses worker_threads (Node only)');
    const io = await loadNodeIO();
    const count = options.workers ?? Math.min(io.cpuCount(), 4);
    if (!Number.isInteger(count) || count < 1)
      throw new InputError(`ImageProcessorPool: invalid worker count ${count}`);
    const workerData = { config: processor.config, options: processor.options };
    return new ImageProcessorPool(
      Array.from({ length: count }, () => io.startWorker(workerUrl(), workerData)),
    );
  }

  #dispatch(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const worker = this.#idle.pop() as NodeWorker;
      const { request, pending } = this.#queue.shift() as { request: PoolRequest; pending: Pending };
      this.#pending.set(request.id, pending);
      this.#busy.set(worker, request.id);
      worker.postMessage(request);
    }
  }

  #run(input: ImageInput, name: string): Promise<PixelValues> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ request: { id: this.#nextId++, input, name }, pending: { resolve, reject } });
      this.#dispatch();
    });
  }

  /** Like `CLIPImageProcessor.preprocess`, spread over the workers. */
  async preprocess(images: ImageInput | readonly ImageInput[]): Promise<ImageProcessorOutput> {
    if (this.#closed) throw new InputError('ImageProcessorPool is closed');
    const list = Array.isArray(images) ? (images as readonly ImageInput[]) : [images as ImageInput];
    if (list.length === 0) throw new InputError('preprocess: no images');
    const results = await Promise.all(
      list.map((input, index) =>
        this.#run(
          input,
          list.length > 1 ? batchItemName(input, index) : typeof input === 'string' ? input : 'image',
        ),
      ),
    );
    return stackPixelValues(results);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}
