import type { ModelFileAccess, ProgressCallback } from './backend.js';

export interface OpenModelOptions {
  /** Git revision on the hub (branch, tag or commit). Default 'main'. */
  revision?: string;
  /** Hugging Face token for private or gated repos. Default: HF_TOKEN. */
  token?: string;
  /** Cache root (the `hub` folder). Default: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Never touch the network; only the cache. Default: HF_HUB_OFFLINE=1. */
  localFilesOnly?: boolean;
  /** Hub endpoint. Default: HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  onProgress?: ProgressCallback;
}

/**
 * The files of one model reference: a local folder, or a hub id (`org/name`) whose files are downloaded
 * on first use into the standard Hugging Face cache.
 */
export interface ModelFiles extends ModelFileAccess {
  /** The reference as the user gave it. */
  readonly ref: string;
  /** Whether `name` exists in the model (a cheap check: no download). */
  exists(name: string): Promise<boolean>;
  /** The file as UTF-8 text; ModelNotFoundError when missing. */
  readText(name: string): Promise<string>;
  /** The file as parsed JSON; ModelNotFoundError when missing. */
  readJSON<T = unknown>(name: string): Promise<T>;
}
