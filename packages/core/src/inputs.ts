import type { TextTowerInputs, VisionTowerInputs } from './backend.js';
import type { AltCLIPTextConfig, AltCLIPVisionConfig } from './config.js';
import { InputError } from './errors.js';
import { int64From2d, Tensor } from './tensor.js';

/** Token ids as an int64 (or int32) `[batch, length]` Tensor, or plain rows of numbers. */
export type IdsInput = Tensor | readonly (readonly number[])[];

export interface TextInputs {
  inputIds?: IdsInput;
  /** float32 `[batch, length, hidden_size]`, instead of `inputIds`. */
  inputsEmbeds?: Tensor<'float32'>;
  attentionMask?: IdsInput;
  positionIds?: IdsInput;
  tokenTypeIds?: IdsInput;
}

export interface VisionInputs {
  /** float32 `[batch, channels, height, width]`, as the image processor makes it. */
  pixelValues: Tensor<'float32'>;
  /** Accept other image sizes by resizing the position table (bicubic), as transformers does. */
  interpolatePosEncoding?: boolean;
}

function toInt64Matrix(value: IdsInput, name: string): Tensor<'int64'> {
  if (value instanceof Tensor) {
    if (value.dims.length !== 2) {
      throw new InputError(`${name} must be 2-D [batch, length], got dims [${value.dims.join(', ')}]`);
    }
    if (value.type === 'int64') return value as Tensor<'int64'>;
    if (value.type === 'int32') {
      return new Tensor(
        'int64',
        BigInt64Array.from(value.data as Int32Array, (v) => BigInt(v)),
        value.dims,
      );
    }
    throw new InputError(`${name} must be an int64 or int32 tensor, got ${value.type}`);
  }
  if (!Array.isArray(value) || !value.every((row) => Array.isArray(row))) {
    throw new InputError(`${name} must be a Tensor or an array of number arrays`);
  }
  return int64From2d(value, name);
}

function checkRange(tensor: Tensor<'int64'>, name: string, low: number, high: number, hint: string): void {
  const data = tensor.data;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < BigInt(low) || v >= BigInt(high)) {
      const cols = tensor.dims[1];
      throw new InputError(
        `${name}[${Math.floor(i / cols)}][${i % cols}] = ${v} is outside [${low}, ${high}) ${hint}`,
      );
    }
  }
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * transformers' `create_position_ids_from_input_ids`: real tokens count up from pad+1 skipping pads; every pad
 * id gets pad_token_id itself, wherever it stands. The attention mask plays no part.
 */
export function defaultPositionIds(inputIds: Tensor<'int64'>, padTokenId: number): Tensor<'int64'> {
  const [batch, length] = inputIds.dims;
  const pad = BigInt(padTokenId);
  const out = new BigInt64Array(batch * length);
  for (let b = 0; b < batch; b++) {
    let count = 0n;
    for (let t = 0; t < length; t++) {
      const i = b * length + t;
      if (inputIds.data[i] === pad) out[i] = pad;
      else out[i] = pad + ++count;
    }
  }
  return new Tensor('int64', out, [batch, length]);
}

/** Validates user inputs of the text tower and fills the defaults transformers uses. */
export function prepareTextInputs(config: AltCLIPTextConfig, inputs: TextInputs): TextTowerInputs {
  if ((inputs.inputIds === undefined) === (inputs.inputsEmbeds === undefined)) {
    throw new InputError('give exactly one of inputIds and inputsEmbeds');
  }
  let inputIds: Tensor<'int64'> | undefined;
  let batch: number;
  let length: number;
  if (inputs.inputIds !== undefined) {
    inputIds = toInt64Matrix(inputs.inputIds, 'inputIds');
    [batch, length] = inputIds.dims;
    checkRange(inputIds, 'inputIds', 0, config.vocabSize, `(vocab_size ${config.vocabSize})`);
  } else {
    const embeds = inputs.inputsEmbeds!;
    if (!(embeds instanceof Tensor) || embeds.type !== 'float32' || embeds.dims.length !== 3) {
      throw new InputError('inputsEmbeds must be a float32 Tensor [batch, length, hidden_size]');
    }
    if (embeds.dims[2] !== config.hiddenSize) {
      throw new InputError(
        `inputsEmbeds has width ${embeds.dims[2]}, the model's hidden_size is ${config.hiddenSize}`,
      );
    }
    [batch, length] = embeds.dims;
  }
  if (batch === 0 || length === 0) throw new InputError(`empty text batch: dims [${batch}, ${length}]`);
  const dims = [batch, length];

  const matrix = (value: IdsInput | undefined, name: string): Tensor<'int64'> | undefined => {
    if (value === undefined) return undefined;
    const tensor = toInt64Matrix(value, name);
    if (!sameDims(tensor.dims, dims)) {
      throw new InputError(
        `${name} has dims [${tensor.dims.join(', ')}], expected [${dims.join(', ')}] like the ids`,
      );
    }
    return tensor;
  };

  const givenMask = matrix(inputs.attentionMask, 'attentionMask');
  if (givenMask) checkRange(givenMask, 'attentionMask', 0, 2, '(use 1 to attend, 0 to mask)');
  const attentionMask = givenMask ?? new Tensor('int64', new BigInt64Array(batch * length).fill(1n), dims);

  const givenTokenTypes = matrix(inputs.tokenTypeIds, 'tokenTypeIds');
  if (givenTokenTypes) {
    checkRange(
      givenTokenTypes,
      'tokenTypeIds',
      0,
      config.typeVocabSize,
      `(type_vocab_size ${config.typeVocabSize})`,
    );
  } else if (length > config.maxPositionEmbeddings) {
    // transformers slices a [1, max_position_embeddings] zeros buffer here and fails; say why instead.
    throw new InputError(
      `sequence length ${length} exceeds max_position_embeddings (${config.maxPositionEmbeddings}); ` +
        'shorten or truncate the batch (explicit tokenTypeIds lift only this check)',
    );
  }
  const tokenTypeIds = givenTokenTypes ?? new Tensor('int64', new BigInt64Array(batch * length), dims);

  const givenPositions = matrix(inputs.positionIds, 'positionIds');
  let positionIds: Tensor<'int64'>;
  if (givenPositions) {
    checkRange(
      givenPositions,
      'positionIds',
      0,
      config.maxPositionEmbeddings,
      `(max_position_embeddings ${config.maxPositionEmbeddings})`,
    );
    positionIds = givenPositions;
  } else if (inputIds) {
    positionIds = defaultPositionIds(inputIds, config.padTokenId);
    for (let b = 0; b < batch; b++) {
      let tokens = 0;
      for (let t = 0; t < length; t++)
        if (inputIds.data[b * length + t] !== BigInt(config.padTokenId)) tokens++;
      if (tokens > config.maxTokens) {
        throw new InputError(
          `text ${b} has ${tokens} tokens; this model accepts at most ${config.maxTokens} including <s> and </s> ` +
            '(tokenize with truncation: true)',
        );
      }
    }
  } else {
    // transformers' create_position_ids_from_inputs_embeds: sequential from pad+1.
    if (length > config.maxTokens) {
      throw new InputError(
        `inputsEmbeds has ${length} positions; this model accepts at most ${config.maxTokens}`,
      );
    }
    const data = new BigInt64Array(batch * length);
    for (let i = 0; i < data.length; i++) data[i] = BigInt(config.padTokenId + 1 + (i % length));
    positionIds = new Tensor('int64', data, dims);
  }

  return {
    inputIds,
    inputsEmbeds: inputs.inputsEmbeds,
    attentionMask,
    positionIds,
    tokenTypeIds,
    explicit: {
      positionIds: givenPositions !== undefined,
      tokenTypeIds: givenTokenTypes !== undefined,
      attentionMask: givenMask !== undefined,
    },
  };
}

/** Validates pixel values for the vision tower. */
export function prepareVisionInputs(config: AltCLIPVisionConfig, inputs: VisionInputs): VisionTowerInputs {
  const { pixelValues } = inputs;
  if (!(pixelValues instanceof Tensor) || pixelValues.type !== 'float32' || pixelValues.dims.length !== 4) {
    throw new InputError('pixelValues must be a float32 Tensor [batch, channels, height, width]');
  }
  const [batch, channels, height, width] = pixelValues.dims;
  if (batch === 0) throw new InputError('empty image batch');
  if (channels !== config.numChannels) {
    throw new InputError(`pixelValues has ${channels} channels, the model expects ${config.numChannels}`);
  }
  const interpolatePosEncoding = inputs.interpolatePosEncoding ?? false;
  if (!interpolatePosEncoding && (height !== config.imageSize || width !== config.imageSize)) {
    throw new InputError(
      `Input image size (${height}*${width}) doesn't match model (${config.imageSize}*${config.imageSize}); ` +
        'resize the image or pass interpolatePosEncoding: true',
    );
  }
  if (height < config.patchSize || width < config.patchSize) {
    throw new InputError(
      `image ${height}x${width} is smaller than one ${config.patchSize}x${config.patchSize} patch`,
    );
  }
  return { pixelValues, interpolatePosEncoding };
}
