export type { TokenizerConfigFiles } from './config.js';
export {
  type BatchEncodeOptions,
  type BatchEncoding,
  type DecodeOptions,
  type EncodeOptions,
  type FromFilesOptions,
  type FromPretrainedOptions,
  type TokenIds,
  type TokenizerFileSource,
  type TokenizerOptions,
  type TruncationStrategy,
  XLMRobertaTokenizer,
} from './tokenizer.js';
