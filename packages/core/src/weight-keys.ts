import type { AltCLIPConfig } from './config.js';
import { CheckpointError } from './errors.js';
import type { Tensor } from './tensor.js';
import type { TensorInfo, TensorLocation, WeightStore } from './weights.js';

/** Which parts of AltCLIPModel a model class uses. */
export interface Towers {
  readonly text: boolean;
  readonly vision: boolean;
  /** The projections and logit_scale of the dual encoder. */
  readonly withProjection: boolean;
}

/** Every state-dict key of the requested parts with its shape, named as in an `AltCLIPModel` checkpoint. */
export function expectedWeightShapes(config: AltCLIPConfig, towers: Towers): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const t = config.textConfig;
  const v = config.visionConfig;
  const linear = (prefix: string, out: number, inp: number) => {
    shapes.set(`${prefix}.weight`, [out, inp]);
    shapes.set(`${prefix}.bias`, [out]);
  };
  const norm = (prefix: string, width: number) => {
    shapes.set(`${prefix}.weight`, [width]);
    shapes.set(`${prefix}.bias`, [width]);
  };
  if (towers.text) {
    const e = 'text_model.roberta.embeddings';
    shapes.set(`${e}.word_embeddings.weight`, [t.vocabSize, t.hiddenSize]);
    shapes.set(`${e}.position_embeddings.weight`, [t.maxPositionEmbeddings, t.hiddenSize]);
    shapes.set(`${e}.token_type_embeddings.weight`, [t.typeVocabSize, t.hiddenSize]);
    norm(`${e}.LayerNorm`, t.hiddenSize);
    for (let i = 0; i < t.numHiddenLayers; i++) {
      const l = `text_model.roberta.encoder.layer.${i}`;
      for (const p of ['query', 'key', 'value'])
        linear(`${l}.attention.self.${p}`, t.hiddenSize, t.hiddenSize);
      linear(`${l}.attention.output.dense`, t.hiddenSize, t.hiddenSize);
      norm(`${l}.attention.output.LayerNorm`, t.hiddenSize);
      linear(`${l}.intermediate.dense`, t.intermediateSize, t.hiddenSize);
      linear(`${l}.output.dense`, t.hiddenSize, t.intermediateSize);
      norm(`${l}.output.LayerNorm`, t.hiddenSize);
    }
    norm('text_model.pre_LN', t.hiddenSize);
    linear('text_model.transformation', t.projectDim, t.hiddenSize);
  }
  if (towers.vision) {
    const e = 'vision_model.embeddings';
    shapes.set(`${e}.class_embedding`, [v.hiddenSize]);
    shapes.set(`${e}.patch_embedding.weight`, [v.hiddenSize, v.numChannels, v.patchSize, v.patchSize]);
    shapes.set(`${e}.position_embedding.weight`, [v.numPositions, v.hiddenSize]);
    norm('vision_model.pre_layrnorm', v.hiddenSize);
    for (let i = 0; i < v.numHiddenLayers; i++) {
      const l = `vision_model.encoder.layers.${i}`;
      for (const p of ['k_proj', 'v_proj', 'q_proj', 'out_proj'])
        linear(`${l}.self_attn.${p}`, v.hiddenSize, v.hiddenSize);
      norm(`${l}.layer_norm1`, v.hiddenSize);
      linear(`${l}.mlp.fc1`, v.intermediateSize, v.hiddenSize);
      linear(`${l}.mlp.fc2`, v.hiddenSize, v.intermediateSize);
      norm(`${l}.layer_norm2`, v.hiddenSize);
    }
    norm('vision_model.post_layernorm', v.hiddenSize);
  }
  if (towers.withProjection) {
    if (towers.text) shapes.set('text_projection.weight', [config.projectionDim, t.projectDim]);
    if (towers.vision) shapes.set('visual_projection.weight', [config.projectionDim, v.hiddenSize]);
    if (towers.text && towers.vision) shapes.set('logit_scale', []);
  }
  return shapes;
}

/** `AltCLIPTextModel` checkpoints store the text tower without the `text_model.` prefix. */
const TEXT_MODEL_ROOTS = ['roberta.', 'transformation.', 'pre_LN.'];

/** Buffers that older transformers versions saved and that carry no weights. */
const isIgnoredBuffer = (key: string) =>
  key.endsWith('.position_ids') || key.endsWith('embeddings.token_type_ids');

/**
 * A view of a checkpoint under the full `AltCLIPModel` key names, whatever class saved it, limited to the parts
 * a model class uses. Missing or misshapen tensors are reported at once, naming the keys.
 */
export function remapCheckpoint(store: WeightStore, towers: Towers, config?: AltCLIPConfig): WeightStore {
  const nameMap = new Map<string, string>();
  for (const key of store.keys()) {
    if (isIgnoredBuffer(key)) continue;
    const full = TEXT_MODEL_ROOTS.some((root) => key.startsWith(root)) ? `text_model.${key}` : key;
    const wanted =
      (towers.text && full.startsWith('text_model.')) ||
      (towers.vision && full.startsWith('vision_model.')) ||
      (towers.withProjection && !full.startsWith('text_model.') && !full.startsWith('vision_model.'));
    if (wanted) nameMap.set(full, key);
  }
  if (config) {
    const expected = expectedWeightShapes(config, towers);
    const missing = [...expected.keys()].filter((key) => !nameMap.has(key));
    if (missing.length > 0) {
      throw new CheckpointError(
        'checkpoint',
        `missing ${missing.length} tensor(s) the config needs, e.g. ${missing.slice(0, 5).join(', ')}`,
      );
    }
    for (const [key, shape] of expected) {
      const info = store.info(nameMap.get(key)!)!;
      if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
        throw new CheckpointError(
          'checkpoint',
          `${key} has shape [${info.shape.join(', ')}], the config implies [${shape.join(', ')}]`,
        );
      }
    }
  }
  const source = (key: string): string => {
    const stored = nameMap.get(key);
    if (stored === undefined) throw new CheckpointError('checkpoint', `no tensor '${key}'`);
    return stored;
  };
  return {
    keys: () => [...nameMap.keys()],
    info: (key: string): TensorInfo | undefined => {
      const stored = nameMap.get(key);
      return stored === undefined ? undefined : store.info(stored);
    },
    get: (key: string): Promise<Tensor> => store.get(source(key)),
    getFloat32: (key: string) => store.getFloat32(source(key)),
    location: (key: string): TensorLocation | undefined => {
      const stored = nameMap.get(key);
      return stored === undefined ? undefined : store.location(stored);
    },
    close: () => store.close(),
  };
}
