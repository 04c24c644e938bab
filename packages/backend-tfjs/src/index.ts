import { registerBackend } from '@altclip/core';
import { TfjsBackend } from './backend.js';

export { TfjsBackend, type TfjsBackendOptions } from './backend.js';
export { TfjsModel } from './model.js';
export { configureWasmPaths, configureWasmThreads, type WasmPaths } from './runtime.js';

/** The backend instance registered as `tfjs` on import. */
export const tfjsBackend = new TfjsBackend();
registerBackend('tfjs', tfjsBackend, 10);

export {
  contrastiveLoss,
  createTrainer,
  exportParameters,
  type PairBatch,
  type TrainableModel,
  type TrainableSelection,
  Trainer,
  type TrainerOptions,
} from './training.js';
