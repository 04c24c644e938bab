import { registerBackend } from '@altclip/core';
import { OrtBackend } from './backend.js';
import { loadWebRuntime } from './runtime-web.js';

export { OrtBackend, type OrtBackendOptions } from './backend.js';
export { ExportedModel } from './exported-model.js';
export { buildTextGraph, buildVisionGraph, type GraphKind } from './graph/towers.js';
export { quantizeColumns } from './graph/weight-source.js';
export { GraphModel } from './graph-model.js';

/** onnxruntime-web: wasm everywhere, WebGPU where the browser has it. */
export const ortWebBackend = new OrtBackend(() => loadWebRuntime());

registerBackend('ort-web', ortWebBackend, 50);
