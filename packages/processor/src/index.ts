export {
  AltCLIPProcessor,
  type ModelInputs,
  type ProcessedInputs,
  type ProcessOptions,
  type ProcessorFromPretrainedOptions,
} from './processor.js';
export { type LabelScore, type ZeroShotOptions, zeroShotImageClassification } from './zero-shot.js';
