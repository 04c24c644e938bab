export * from './backend.js';
export * from './config.js';
export * from './errors.js';
export * from './model-files.js';
export * from './tensor.js';
export * from './weights.js';
