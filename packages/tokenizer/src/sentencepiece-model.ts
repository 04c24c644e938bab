import { CheckpointError } from '@altclip/core';
import protobuf from 'protobufjs/light.js';

/** SentencePiece piece types (`ModelProto.SentencePiece.Type`). */
export const PieceType = {
  normal: 1,
  unknown: 2,
  control: 3,
  userDefined: 4,
  unused: 5,
  byte: 6,
} as const;

export interface NormalizerSpec {
  /** `precompiled_charsmap`: a darts-clone trie plus its replacement strings; empty for the identity. */
  precompiledCharsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

export interface SentencePieceModel {
  pieces: string[];
  scores: Float32Array;
  types: Uint8Array;
  /** `TrainerSpec.model_type`: 1 unigram, 2 bpe, 3 word, 4 char. */
  modelType: number;
  unkId: number;
  byteFallback: boolean;
  treatWhitespaceAsSuffix: boolean;
  normalizer: NormalizerSpec;
}

/**
 * The fields of `sentencepiece_model.proto` (proto2, package `sentencepiece`) that encoding needs, as protobufjs
 * reflection JSON: ModelProto.pieces (1), trainer_spec (2), normalizer_spec (3); SentencePiece.piece/score/type;
 * TrainerSpec.model_type (3), treat_whitespace_as_suffix (24), byte_fallback (35), unk_id (40);
 * NormalizerSpec.name (1), precompiled_charsmap (2), add_dummy_prefix (3), remove_extra_whitespaces (4),
 * escape_whitespaces (5). Defaults are the .proto's. Unknown fields are skipped by the decoder.
 */
const SCHEMA = {
  nested: {
    ModelProto: {
      fields: {
        pieces: { rule: 'repeated', type: 'SentencePiece', id: 1 },
        trainerSpec: { type: 'TrainerSpec', id: 2 },
        normalizerSpec: { type: 'NormalizerSpec', id: 3 },
      },
    },
    SentencePiece: {
      fields: {
        piece: { type: 'string', id: 1 },
        score: { type: 'float', id: 2 },
        type: { type: 'int32', id: 3, options: { default: 1 } },
      },
    },
    TrainerSpec: {
      fields: {
        modelType: { type: 'int32', id: 3, options: { default: 1 } },
        treatWhitespaceAsSuffix: { type: 'bool', id: 24, options: { default: false } },
        byteFallback: { type: 'bool', id: 35, options: { default: false } },
        unkId: { type: 'int32', id: 40, options: { default: 0 } },
      },
    },
    NormalizerSpec: {
      fields: {
        name: { type: 'string', id: 1 },
        precompiledCharsmap: { type: 'bytes', id: 2 },
        addDummyPrefix: { type: 'bool', id: 3, options: { default: true } },
        removeExtraWhitespaces: { type: 'bool', id: 4, options: { default: true } },
        escapeWhitespaces: { type: 'bool', id: 5, options: { default: true } },
      },
    },
  },
};

let modelProtoType: protobuf.Type | undefined;

interface DecodedModel {
  pieces: { piece: string; score: number; type: number }[];
  trainerSpec?: { modelType: number; treatWhitespaceAsSuffix: boolean; byteFallback: boolean; unkId: number };
  normalizerSpec?: {
    precompiledCharsmap: Uint8Array;
    addDummyPrefix: boolean;
    removeExtraWhitespaces: boolean;
    escapeWhitespaces: boolean;
  };
}

/** Parses a `sentencepiece.bpe.model` / `spiece.model` file (a serialized `ModelProto`). */
export function parseSentencePieceModel(
  bytes: Uint8Array,
  file = 'sentencepiece.bpe.model',
): SentencePieceModel {
  modelProtoType ??= protobuf.Root.fromJSON(SCHEMA).lookupType('ModelProto');
  let message: DecodedModel;
  try {
    message = modelProtoType.toObject(modelProtoType.decode(bytes), {
      defaults: true,
      bytes: Uint8Array as unknown as ArrayConstructor,
    }) as DecodedModel;
  } catch (cause) {
    throw new CheckpointError(file, `not a SentencePiece model protobuf (${(cause as Error).message})`, {
      cause,
    });
  }
  if (message.pieces.length === 0) throw new CheckpointError(file, 'the model has no pieces');
  const trainer = message.trainerSpec ?? {
    modelType: 1,
    treatWhitespaceAsSuffix: false,
    byteFallback: false,
    unkId: 0,
  };
  const normalizer = message.normalizerSpec ?? {
    precompiledCharsmap: new Uint8Array(0),
    addDummyPrefix: true,
    removeExtraWhitespaces: true,
    escapeWhitespaces: true,
  };
  const count = message.pieces.length;
  const pieces = new Array<string>(count);
  const scores = new Float32Array(count);
  const types = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const p = message.pieces[i];
    pieces[i] = p.piece;
    scores[i] = p.score;
    types[i] = p.type;
  }
  return {
    pieces,
    scores,
    types,
    modelType: trainer.modelType,
    unkId: trainer.unkId,
    byteFallback: trainer.byteFallback,
    treatWhitespaceAsSuffix: trainer.treatWhitespaceAsSuffix,
    normalizer: {
      precompiledCharsmap: new Uint8Array(normalizer.precompiledCharsmap),
      addDummyPrefix: normalizer.addDummyPrefix,
      removeExtraWhitespaces: normalizer.removeExtraWhitespaces,
      escapeWhitespaces: normalizer.escapeWhitespaces,
    },
  };
}
