import { registerBackend } from '@altclip/core';
import { OrtBackend } from './backend.js';
import { loadNodeRuntime } from './node/runtime-node.js';
import { loadWebRuntime } from './runtime-web.js';

export { OrtBackend, type OrtBackendOptions } from './backend.js';
export { ExportedModel } from './exported-model.js';
export { buildTextGraph, buildVisionGraph, type GraphKind } from './graph/towers.js';
export { quantizeColumns } from './graph/weight-source.js';
export { GraphModel } from './graph-model.js';

/** onnxruntime-node (native, multi-threaded): the preferred backend in Node. */
export const ortNodeBackend = new OrtBackend(loadNodeRuntime);
/** onnxruntime-web (wasm) in Node. */
export const ortWebBackend = new OrtBackend(() => loadWebRuntime());

registerBackend('ort-node', ortNodeBackend, 100);
registerBackend('ort-web', ortWebBackend, 50);
