import { type ModelFiles, ModelNotFoundError } from '@altclip/core';

/**
 * A model folder served over HTTP (`<base>/config.json`, …) as core's ModelFiles. Core's openModel takes a
 * local folder or a hub id, not an arbitrary URL, so the page reads the files itself.
 */
export class HttpModelFiles implements ModelFiles {
  private readonly base: URL;

  constructor(base: string | URL) {
    this.base = new URL(base, globalThis.location?.href);
    if (!this.base.pathname.endsWith('/')) this.base.pathname += '/';
  }

  get ref(): string {
    return this.base.href;
  }

  private url(name: string): URL {
    if (name.startsWith('/') || name.split('/').includes('..')) {
      throw new ModelNotFoundError(`${this.ref}: '${name}' is not a file name inside the model`);
    }
    return new URL(name, this.base);
  }

  async exists(name: string): Promise<boolean> {
    const response = await this.fetch(name, 'HEAD');
    return response.ok;
  }

  async localPath(): Promise<undefined> {
    return undefined;
  }

  async readBytes(name: string): Promise<Uint8Array | undefined> {
    const response = await this.fetch(name, 'GET');
    if (response.status === 404) return undefined;
    if (!response.ok) throw new ModelNotFoundError(`${this.url(name).href}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  async readText(name: string): Promise<string> {
    const bytes = await this.readBytes(name);
    if (bytes === undefined) throw new ModelNotFoundError(`${this.url(name).href} does not exist (HTTP 404)`);
    return new TextDecoder().decode(bytes);
  }

  async readJSON<T = unknown>(name: string): Promise<T> {
    return JSON.parse(await this.readText(name)) as T;
  }

  private async fetch(name: string, method: 'GET' | 'HEAD'): Promise<Response> {
    try {
      return await fetch(this.url(name), { method });
    } catch (error) {
      throw new ModelNotFoundError(`${this.url(name).href}: ${(error as Error).message}`, { cause: error });
    }
  }
}
