import {
  type AltCLIPConfig,
  computeHead,
  prepareTextInputs,
  prepareVisionInputs,
  type Tensor,
} from '@altclip/core';
import type { TfjsModel } from '../src/index.js';

/** What a golden case needs from cases.json (browser-safe: no Node imports here). */
export interface CaseSpec {
  name: string;
  entry: string;
  inputs: Record<string, { key: string }>;
  options: Record<string, boolean>;
}

export const isTextCase = (c: CaseSpec) => c.entry.startsWith('AltCLIPModel.text_model');
export const isVisionCase = (c: CaseSpec) => c.entry.startsWith('AltCLIPModel.vision_model');

function named(
  prefix: string,
  result: {
    lastHiddenState: Tensor;
    poolerOutput: Tensor;
    hiddenStates?: readonly Tensor[];
    attentions?: readonly Tensor[];
  },
): [string, Tensor][] {
  return [
    [`${prefix}last_hidden_state`, result.lastHiddenState],
    [`${prefix}pooler_output`, result.poolerOutput],
    ...(result.hiddenStates ?? []).map((t, i): [string, Tensor] => [`${prefix}hidden_states.${i}`, t]),
    ...(result.attentions ?? []).map((t, i): [string, Tensor] => [`${prefix}attentions.${i}`, t]),
  ];
}

/** Runs one golden case through the backend model (and core's head for full-model cases). */
export async function runCase(
  model: TfjsModel,
  config: AltCLIPConfig,
  c: CaseSpec,
  data: Map<string, Tensor>,
) {
  const out = new Map<string, Tensor>();
  const options = {
    outputHiddenStates: c.options.output_hidden_states ?? false,
    outputAttentions: c.options.output_attentions ?? false,
  };
  const text = () =>
    model.runText(
      prepareTextInputs(config.textConfig, {
        inputIds: data.get(c.inputs.input_ids.key),
        attentionMask: c.inputs.attention_mask && data.get(c.inputs.attention_mask.key),
        positionIds: c.inputs.position_ids && data.get(c.inputs.position_ids.key),
        tokenTypeIds: c.inputs.token_type_ids && data.get(c.inputs.token_type_ids.key),
      }),
      options,
    );
  const vision = () =>
    model.runVision(
      prepareVisionInputs(config.visionConfig, {
        pixelValues: data.get(c.inputs.pixel_values.key) as Tensor<'float32'>,
        interpolatePosEncoding: c.options.interpolate_pos_encoding ?? false,
      }),
      options,
    );
  if (c.name === 'onnx_io') {
    const t = await text();
    const v = await vision();
    out.set('text_embeds', t.features as Tensor);
    out.set('text_last_hidden_state', t.lastHiddenState);
    out.set('image_embeds', v.features as Tensor);
    out.set('vision_last_hidden_state', v.lastHiddenState);
  } else if (isTextCase(c)) {
    const t = await text();
    for (const [k, v] of named('', t)) out.set(k, v);
    out.set('text_features', t.features as Tensor);
  } else if (isVisionCase(c)) {
    const v = await vision();
    for (const [k, value] of named('', v)) out.set(k, value);
    out.set('image_features', v.features as Tensor);
    const [, , height, width] = (data.get(c.inputs.pixel_values.key) as Tensor).dims;
    const table = await model.positionEmbeddings(height, width, c.options.interpolate_pos_encoding ?? false);
    out.set('debug.position_embeddings', table.reshape([1, ...table.dims]));
  } else {
    const t = await text();
    const v = await vision();
    for (const [k, value] of named('text_model_output.', t)) out.set(k, value);
    for (const [k, value] of named('vision_model_output.', v)) out.set(k, value);
    const head = computeHead(
      t.features as Tensor<'float32'>,
      v.features as Tensor<'float32'>,
      (await model.logitScale()) as number,
      c.options.return_loss ?? false,
    );
    out.set('text_embeds', head.textEmbeds);
    out.set('image_embeds', head.imageEmbeds);
    out.set('logits_per_text', head.logitsPerText);
    out.set('logits_per_image', head.logitsPerImage);
    if (head.loss) out.set('loss', head.loss);
  }
  return out;
}
