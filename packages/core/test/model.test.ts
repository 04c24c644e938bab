import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AltCLIPConfig,
  AltCLIPModel,
  AltCLIPTextConfig,
  AltCLIPTextModel,
  AltCLIPVisionConfig,
  AltCLIPVisionModel,
  type Backend,
  type BackendModel,
  CheckpointError,
  expectedWeightShapes,
  type LoadRequest,
  NotSupportedError,
  openModel,
  readSafetensors,
  registerBackend,
  serializeSafetensors,
  Tensor,
  type TextTowerInputs,
  unregisterBackend,
} from '../src/index.js';

const config = new AltCLIPConfig({
  projectionDim: 2,
  textConfig: new AltCLIPTextConfig({
    vocabSize: 10,
    hiddenSize: 4,
    numAttentionHeads: 1,
    numHiddenLayers: 1,
    intermediateSize: 4,
    maxPositionEmbeddings: 12,
    projectDim: 3,
  }),
  visionConfig: new AltCLIPVisionConfig({
    hiddenSize: 4,
    numAttentionHeads: 1,
    numHiddenLayers: 1,
    intermediateSize: 4,
    imageSize: 4,
    patchSize: 2,
  }),
});

/** The tensors of `zeroCheckpoint`. */
function zeroEntries(options: { textOnly?: boolean } = {}): [string, Tensor][] {
  const towers = options.textOnly
    ? { text: true, vision: false, withProjection: false }
    : { text: true, vision: true, withProjection: true };
  const entries: [string, Tensor][] = [...expectedWeightShapes(config, towers)].map(([key, shape]) => {
    const stored = options.textOnly ? key.replace(/^text_model\./, '') : key;
    return [stored, new Tensor('float32', new Float32Array(shape.reduce((a, b) => a * b, 1)), shape)];
  });
  entries.push([
    'text_model.roberta.embeddings.position_ids',
    new Tensor('int64', new BigInt64Array(12), [1, 12]),
  ]);
  return entries;
}

/** A checkpoint with every key the config needs, filled with zeros, saved under the given key prefix style. */
function zeroCheckpoint(options: { textOnly?: boolean } = {}) {
  return readSafetensors(serializeSafetensors(zeroEntries(options)));
}

/** Records what core hands to a backend and answers with features chosen by the test. */
function recordingBackend() {
  const seen: { requests: LoadRequest[]; text: TextTowerInputs[]; disposed: number } = {
    requests: [],
    text: [],
    disposed: 0,
  };
  const features = (rows: number, values: number[]) =>
    new Tensor(
      'float32',
      Float32Array.from({ length: rows * 2 }, (_, i) => values[i % values.length]),
      [rows, 2],
    );
  const model: BackendModel = {
    async runText(inputs) {
      seen.text.push(inputs);
      const [b, l] = inputs.attentionMask.dims;
      const hidden = new Tensor('float32', new Float32Array(b * l * 3), [b, l, 3]);
      return {
        lastHiddenState: hidden,
        poolerOutput: new Tensor('float32', new Float32Array(b * 3), [b, 3]),
        features: features(b, [1, 0]),
      };
    },
    async runVision(inputs) {
      const b = inputs.pixelValues.dims[0];
      return {
        lastHiddenState: new Tensor('float32', new Float32Array(b * 5 * 4), [b, 5, 4]),
        poolerOutput: new Tensor('float32', new Float32Array(b * 4), [b, 4]),
        features: features(b, [1, 0, 0, 1]),
      };
    },
    async dispose() {
      seen.disposed += 1;
    },
  };
  const backend: Backend = {
    init: async () => {},
    capabilities: () => ({ devices: ['cpu'], dtypes: ['fp32'], gradients: false }),
    loadModel: async (request) => {
      seen.requests.push(request);
      return model;
    },
  };
  return { backend, seen };
}

afterEach(() => {
  unregisterBackend('recording');
});

describe('model classes', () => {
  it('AltCLIPModel.forward runs both towers through the backend and the shared head', async () => {
    const { backend, seen } = recordingBackend();
    registerBackend('recording', backend, 1000);
    const model = await AltCLIPModel.fromWeights(config, zeroCheckpoint());
    expect(model.backend).toBe('recording');
    expect(model.device).toBe('cpu');
    const pixelValues = new Tensor('float32', new Float32Array(2 * 3 * 16), [2, 3, 4, 4]);
    const output = await model.forward({
      inputIds: [
        [0, 5, 2],
        [0, 6, 2],
      ],
      pixelValues,
      returnLoss: true,
    });
    expect(output.logitsPerImage.dims).toEqual([2, 2]);
    // logit_scale is 0 in the zero checkpoint: logits are plain cosines.
    expect(output.logitsPerText.to2d()).toEqual([
      [1, 0],
      [1, 0],
    ]);
    expect(output.loss!.dims).toEqual([]);
    expect(output.textModelOutput.projectionState).toBe(output.textModelOutput.lastHiddenState);
    expect(seen.requests[0].towers).toEqual({ text: true, vision: true, withProjection: true });
    expect(seen.requests[0].weights.keys()).not.toContain('text_model.roberta.embeddings.position_ids');
    expect(seen.text[0].positionIds.to2d()).toEqual([
      [2, 3, 4],
      [2, 3, 4],
    ]);
    await model.dispose();
    expect(seen.disposed).toBe(1);
  });

  it('AltCLIPTextModel loads a text-only checkpoint (no text_model. prefix) and a full one', async () => {
    const { backend, seen } = recordingBackend();
    registerBackend('recording', backend, 1000);
    const own = await AltCLIPTextModel.fromWeights(config.textConfig, zeroCheckpoint({ textOnly: true }));
    const fromFull = await AltCLIPTextModel.fromWeights(config.textConfig, zeroCheckpoint());
    for (const request of seen.requests) {
      expect(request.weights.keys().every((key) => key.startsWith('text_model.'))).toBe(true);
      expect(request.weights.keys()).toContain('text_model.roberta.embeddings.word_embeddings.weight');
    }
    const output = await own.forward({ inputIds: [[0, 2]] });
    expect(output.poolerOutput.dims).toEqual([1, 3]);
    await Promise.all([own.dispose(), fromFull.dispose()]);
  });

  it('fromFiles loads from model files opened once (shared with a processor), as fromPretrained does', async () => {
    const { backend, seen } = recordingBackend();
    registerBackend('recording', backend, 1000);
    const folder = await mkdtemp(join(tmpdir(), 'altclip-from-files-'));
    try {
      await writeFile(join(folder, 'config.json'), JSON.stringify(config.toJSON()));
      await writeFile(join(folder, 'model.safetensors'), serializeSafetensors(zeroEntries()));
      const files = await openModel(folder);
      const full = await AltCLIPModel.fromFiles(files);
      const vision = await AltCLIPVisionModel.fromFiles(files);
      const pretrained = await AltCLIPModel.fromPretrained(folder);
      expect(seen.requests.map((r) => r.files)).toEqual([files, files, expect.anything()]);
      expect(seen.requests.map((r) => r.towers)).toEqual([
        AltCLIPModel.towers,
        AltCLIPVisionModel.towers,
        AltCLIPModel.towers,
      ]);
      expect(full.config.toJSON()).toEqual(pretrained.config.toJSON());
      expect(seen.requests[0].weights.keys()).toEqual(seen.requests[2].weights.keys());
      await Promise.all([full.dispose(), vision.dispose(), pretrained.dispose()]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('reports missing tensors by name', async () => {
    const { backend } = recordingBackend();
    registerBackend('recording', backend, 1000);
    await expect(AltCLIPModel.fromWeights(config, zeroCheckpoint({ textOnly: true }))).rejects.toThrow(
      CheckpointError,
    );
    await expect(AltCLIPModel.fromWeights(config, zeroCheckpoint({ textOnly: true }))).rejects.toThrow(
      /vision_model\./,
    );
  });

  it('closes the checkpoint when loading fails', async () => {
    const checkpoint = zeroCheckpoint();
    let closed = 0;
    const close = checkpoint.close.bind(checkpoint);
    checkpoint.close = () => {
      closed += 1;
      return close();
    };
    await expect(AltCLIPModel.fromWeights(config, checkpoint, { backend: 'not-registered' })).rejects.toThrow(
      /not registered/,
    );
    expect(closed).toBe(1);
  });

  it('refuses relative position embeddings with a typed error', async () => {
    const { backend } = recordingBackend();
    registerBackend('recording', backend, 1000);
    const relative = AltCLIPConfig.fromJSON({
      ...config.toJSON(),
      text_config: { ...config.textConfig.toJSON(), position_embedding_type: 'relative_key' },
    });
    await expect(AltCLIPModel.fromWeights(relative, zeroCheckpoint())).rejects.toThrow(NotSupportedError);
  });
});
