import { InputError, type ModelFiles, type OpenModelOptions, openModel, type Tensor } from '@altclip/core';
import { CLIPImageProcessor, type ImageInput, type ImageProcessorOptions } from '@altclip/image-processor';
import {
  type BatchEncodeOptions,
  type DecodeOptions,
  type FromFilesOptions,
  type TokenIds,
  XLMRobertaTokenizer,
} from '@altclip/tokenizer';

export interface ProcessOptions {
  /** One text or a batch. */
  text?: string | readonly string[];
  /** One image or a batch (paths, bytes, raw pixels, browser images, …). */
  images?: ImageInput | readonly ImageInput[];
  /** Default 'longest', so that a batch forms a tensor. */
  padding?: BatchEncodeOptions['padding'];
  truncation?: BatchEncodeOptions['truncation'];
  maxLength?: number;
  /** int64 / float32 Tensors (default) or, for the text part, plain arrays. */
  returnTensors?: boolean;
}

export interface ProcessedInputs {
  inputIds?: Tensor<'int64'> | number[][];
  attentionMask?: Tensor<'int64'> | number[][];
  pixelValues?: Tensor<'float32'>;
}

/** What `process` returns when it returns tensors: ready for `AltCLIPModel.forward`. */
export interface ModelInputs {
  inputIds?: Tensor<'int64'>;
  attentionMask?: Tensor<'int64'>;
  pixelValues?: Tensor<'float32'>;
}

export type ProcessorFromPretrainedOptions = OpenModelOptions & FromFilesOptions & ImageProcessorOptions;

/** transformers' `AltCLIPProcessor`: the XLM-R tokenizer and the CLIP image processor behind one call. */
export class AltCLIPProcessor {
  constructor(
    readonly imageProcessor: CLIPImageProcessor,
    readonly tokenizer: XLMRobertaTokenizer,
  ) {}

  /** From a local folder or hub id holding the tokenizer files and `preprocessor_config.json`. */
  static async fromPretrained(
    ref: string,
    options: ProcessorFromPretrainedOptions = {},
  ): Promise<AltCLIPProcessor> {
    return AltCLIPProcessor.fromFiles(await openModel(ref, options), options);
  }

  static async fromFiles(
    files: ModelFiles,
    options: FromFilesOptions & ImageProcessorOptions = {},
  ): Promise<AltCLIPProcessor> {
    const [imageProcessor, tokenizer] = await Promise.all([
      CLIPImageProcessor.fromFiles(files, options),
      XLMRobertaTokenizer.fromFiles(files, options),
    ]);
    return new AltCLIPProcessor(imageProcessor, tokenizer);
  }

  process(options: ProcessOptions & { returnTensors?: true }): Promise<ModelInputs>;
  process(options: ProcessOptions): Promise<ProcessedInputs>;
  async process(options: ProcessOptions): Promise<ProcessedInputs> {
    const { text, images } = options;
    if (text === undefined && images === undefined) {
      throw new InputError('AltCLIPProcessor.process needs text, images, or both');
    }
    const returnTensors = options.returnTensors ?? true;
    const result: ProcessedInputs = {};
    if (text !== undefined) {
      const texts = typeof text === 'string' ? [text] : text;
      if (!Array.isArray(texts)) throw new InputError('text must be a string or an array of strings');
      const encoded = this.tokenizer.batchEncode(texts, {
        padding: options.padding ?? 'longest',
        truncation: options.truncation,
        maxLength: options.maxLength,
        returnTensors,
      });
      result.inputIds = encoded.inputIds;
      result.attentionMask = encoded.attentionMask;
    }
    if (images !== undefined) {
      result.pixelValues = (await this.imageProcessor.preprocess(images)).pixelValues;
    }
    return result;
  }

  decode(ids: TokenIds, options?: DecodeOptions): string {
    return this.tokenizer.decode(ids, options);
  }

  batchDecode(rows: readonly TokenIds[] | Tensor, options?: DecodeOptions): string[] {
    return this.tokenizer.batchDecode(rows, options);
  }
}
