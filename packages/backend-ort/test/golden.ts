// Backend-specific test helpers; the golden readers and checks live in tools/goldens.ts.
import type { AltCLIPConfig, Device, DType, LoadRequest, WeightStore } from '@altclip/core';

export interface LoadOptions {
  device?: Device;
  dtype?: DType;
  weights?: WeightStore;
  backendOptions?: Record<string, unknown>;
  cacheDir?: string;
  towers?: LoadRequest['towers'];
  files?: LoadRequest['files'];
}

export function loadRequest(
  config: AltCLIPConfig,
  weights: WeightStore,
  options: LoadOptions = {},
): LoadRequest {
  return {
    config,
    weights,
    towers: options.towers ?? { text: true, vision: true, withProjection: true },
    device: options.device ?? 'cpu',
    dtype: options.dtype ?? 'fp32',
    cacheDir: options.cacheDir,
    backendOptions: options.backendOptions,
    files: options.files,
  };
}
