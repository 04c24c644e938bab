import type { AltCLIPConfig } from '@altclip/core';

export interface TowerSelection {
  readonly text: boolean;
  readonly vision: boolean;
  readonly withProjection: boolean;
}

/**
 * The Hugging Face `AltCLIPModel` state-dict keys (and shapes) a selection of towers needs, derived from the
 * config, so that a missing or mis-shaped checkpoint tensor is reported instead of computing garbage.
 */
export function parameterShapes(config: AltCLIPConfig, towers: TowerSelection): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  if (towers.text) {
    const t = config.textConfig;
    const [H, I] = [t.hiddenSize, t.intermediateSize];
    const e = 'text_model.roberta.embeddings.';
    shapes.set(`${e}word_embeddings.weight`, [t.vocabSize, H]);
    shapes.set(`${e}token_type_embeddings.weight`, [t.typeVocabSize, H]);
    shapes.set(`${e}position_embeddings.weight`, [t.maxPositionEmbeddings, H]);
    shapes.set(`${e}LayerNorm.weight`, [H]);
    shapes.set(`${e}LayerNorm.bias`, [H]);
    for (let i = 0; i < t.numHiddenLayers; i++) {
      const l = `text_model.roberta.encoder.layer.${i}.`;
      for (const name of ['query', 'key', 'value']) {
        shapes.set(`${l}attention.self.${name}.weight`, [H, H]);
        shapes.set(`${l}attention.self.${name}.bias`, [H]);
      }
      shapes.set(`${l}attention.output.dense.weight`, [H, H]);
      shapes.set(`${l}attention.output.dense.bias`, [H]);
      shapes.set(`${l}attention.output.LayerNorm.weight`, [H]);
      shapes.set(`${l}attention.output.LayerNorm.bias`, [H]);
      shapes.set(`${l}intermediate.dense.weight`, [I, H]);
      shapes.set(`${l}intermediate.dense.bias`, [I]);
      shapes.set(`${l}output.dense.weight`, [H, I]);
      shapes.set(`${l}output.dense.bias`, [H]);
      shapes.set(`${l}output.LayerNorm.weight`, [H]);
      shapes.set(`${l}output.LayerNorm.bias`, [H]);
    }
    shapes.set('text_model.pre_LN.weight', [H]);
    shapes.set('text_model.pre_LN.bias', [H]);
    shapes.set('text_model.transformation.weight', [t.projectDim, H]);
    shapes.set('text_model.transformation.bias', [t.projectDim]);
    if (towers.withProjection) shapes.set('text_projection.weight', [config.projectionDim, t.projectDim]);
  }
  if (towers.vision) {
    const v = config.visionConfig;
    const [D, I, P] = [v.hiddenSize, v.intermediateSize, v.patchSize];
    const e = 'vision_model.embeddings.';
    shapes.set(`${e}class_embedding`, [D]);
    shapes.set(`${e}patch_embedding.weight`, [D, v.numChannels, P, P]);
    shapes.set(`${e}position_embedding.weight`, [v.numPositions, D]);
    shapes.set('vision_model.pre_layrnorm.weight', [D]);
    shapes.set('vision_model.pre_layrnorm.bias', [D]);
    for (let i = 0; i < v.numHiddenLayers; i++) {
      const l = `vision_model.encoder.layers.${i}.`;
      for (const name of ['k_proj', 'v_proj', 'q_proj', 'out_proj']) {
        shapes.set(`${l}self_attn.${name}.weight`, [D, D]);
        shapes.set(`${l}self_attn.${name}.bias`, [D]);
      }
      shapes.set(`${l}layer_norm1.weight`, [D]);
      shapes.set(`${l}layer_norm1.bias`, [D]);
      shapes.set(`${l}mlp.fc1.weight`, [I, D]);
      shapes.set(`${l}mlp.fc1.bias`, [I]);
      shapes.set(`${l}mlp.fc2.weight`, [D, I]);
      shapes.set(`${l}mlp.fc2.bias`, [D]);
      shapes.set(`${l}layer_norm2.weight`, [D]);
      shapes.set(`${l}layer_norm2.bias`, [D]);
    }
    shapes.set('vision_model.post_layernorm.weight', [D]);
    shapes.set('vision_model.post_layernorm.bias', [D]);
    if (towers.withProjection) shapes.set('visual_projection.weight', [config.projectionDim, D]);
  }
  if (towers.text && towers.vision && towers.withProjection) shapes.set('logit_scale', []);
  return shapes;
}

/**
 * How a parameter is held on the device. Linear weights are kept as `[in, out]` and the patch kernel as
 * `[C*P*P, D]` so that every product is a plain `x @ W`: the wasm backend runs matMul with `transposeB`
 * (and batched matMul) on a slow generic path, ten times slower than XNNPACK's plain 2-D product.
 * Checkpoints and exports use the Hugging Face layout.
 */
export type ParameterLayout = 'transposed' | 'patch' | 'plain';

export function parameterLayout(key: string, hfShape: readonly number[]): ParameterLayout {
  if (hfShape.length === 4) return 'patch';
  if (hfShape.length === 2 && key.endsWith('.weight') && !key.includes('embedding')) return 'transposed';
  return 'plain';
}
