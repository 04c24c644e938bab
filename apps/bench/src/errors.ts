import { AltCLIPError } from '@altclip/core';

/** A bench option or setup that cannot work (bad option value, missing model, …). */
export class BenchError extends AltCLIPError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('bench', message, options);
  }
}
