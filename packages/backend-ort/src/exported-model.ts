import {
  type BackendModel,
  type DType,
  InputError,
  type LoadRequest,
  type ModelFileAccess,
  NotSupportedError,
  Tensor,
  type TextTowerInputs,
  type TextTowerOutputs,
  type TowerRunOptions,
  type VisionTowerInputs,
  type VisionTowerOutputs,
} from '@altclip/core';
import { fromOrtTensor, toOrtTensor } from './graph-model.js';
import type { OrtRuntime, OrtSession, OrtTensor, SessionSettings } from './runtime.js';

/** transformers.js / Optimum file name suffixes per dtype, in the order they are tried. */
const SUFFIXES: Readonly<Record<DType, readonly string[]>> = {
  fp32: [''],
  fp16: ['_fp16'],
  int8: ['_quantized', '_int8'],
};

/** The ready-made file of a tower for a dtype (`onnx/text_model_quantized.onnx`, ...), when the model has one. */
export async function findExport(
  files: ModelFileAccess,
  tower: 'text' | 'vision',
  dtype: DType,
): Promise<string | undefined> {
  for (const suffix of SUFFIXES[dtype]) {
    const name = `onnx/${tower}_model${suffix}.onnx`;
    if ((await files.localPath(name)) !== undefined) return name;
  }
  return undefined;
}

/** Row 0 of each batch item of a `[B, L, D]` tensor, as `[B, D]`. */
function firstToken(tensor: Tensor<'float32'>): Float32Array {
  const [batch, length, width] = tensor.dims;
  const out = new Float32Array(batch * width);
  for (let b = 0; b < batch; b++)
    out.set(tensor.data.subarray(b * length * width, b * length * width + width), b * width);
  return out;
}

function layerNormRows(
  rows: Float32Array,
  width: number,
  weight: Float32Array,
  bias: Float32Array,
  eps: number,
): Float32Array {
  const out = new Float32Array(rows.length);
  for (let r = 0; r < rows.length; r += width) {
    let mean = 0;
    for (let i = 0; i < width; i++) mean += rows[r + i];
    mean /= width;
    let variance = 0;
    for (let i = 0; i < width; i++) variance += (rows[r + i] - mean) ** 2;
    const inv = 1 / Math.sqrt(variance / width + eps);
    for (let i = 0; i < width; i++) out[r + i] = (rows[r + i] - mean) * inv * weight[i] + bias[i];
  }
  return out;
}

/**
 * Ready-made exports in the transformers.js / Optimum layout (`onnx/text_model.onnx`, `onnx/vision_model.onnx`).
 * They take input_ids + attention_mask (position ids computed inside from the pad id) and pixel_values at the
 * native size, and return `*_embeds` and `last_hidden_state` only; the pooled outputs are derived here
 * (text: position 0; vision: `post_layernorm` of the class token, with that LayerNorm from the checkpoint).
 */
export class ExportedModel implements BackendModel {
  readonly #runtime: OrtRuntime;
  readonly #request: LoadRequest;
  readonly #settings: SessionSettings;
  readonly #files: Record<'text' | 'vision', string | undefined>;
  readonly #sessions = new Map<string, Promise<OrtSession>>();

  constructor(
    runtime: OrtRuntime,
    request: LoadRequest,
    files: Record<'text' | 'vision', string | undefined>,
    settings: SessionSettings,
  ) {
    this.#runtime = runtime;
    this.#request = request;
    this.#files = files;
    this.#settings = settings;
  }

  #session(tower: 'text' | 'vision'): Promise<OrtSession> {
    const name = this.#files[tower];
    if (!name)
      throw new NotSupportedError(
        `the model has no ready-made ONNX ${tower} tower for dtype '${this.#request.dtype}'`,
      );
    let session = this.#sessions.get(tower);
    if (!session) {
      session = (async () => {
        const files = this.#request.files!;
        const local = this.#runtime.name === 'ort-node' ? await files.localPath(name) : undefined;
        const source = local ?? (await files.readBytes(name));
        if (!source) throw new NotSupportedError(`cannot read ${name}`);
        return this.#runtime.createSessionFromFile(source, this.#settings);
      })();
      this.#sessions.set(tower, session);
      session.catch(() => this.#sessions.delete(tower));
    }
    return session;
  }

  async #run(session: OrtSession, feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>> {
    const run = () => session.run(feeds) as Promise<Record<string, OrtTensor>>;
    return this.#runtime.queue ? this.#runtime.queue.run(run) : run();
  }

  static #refuse(options: TowerRunOptions): void {
    if (options.outputHiddenStates || options.outputAttentions) {
      throw new NotSupportedError(
        'ready-made ONNX exports do not return hidden states or attentions; load with backendOptions {graph: "fused"} (built from the checkpoint) instead',
      );
    }
  }

  async runText(inputs: TextTowerInputs, options: TowerRunOptions): Promise<TextTowerOutputs> {
    ExportedModel.#refuse(options);
    if (!inputs.inputIds)
      throw new NotSupportedError('ready-made ONNX exports take input_ids, not inputs_embeds');
    if (inputs.explicit.positionIds) {
      throw new NotSupportedError(
        'ready-made ONNX exports compute position ids themselves; explicit position_ids need a built graph',
      );
    }
    if (inputs.explicit.tokenTypeIds && (inputs.tokenTypeIds.data as BigInt64Array).some((v) => v !== 0n)) {
      throw new NotSupportedError(
        'ready-made ONNX exports use token type 0 only; other token_type_ids need a built graph',
      );
    }
    const session = await this.#session('text');
    const feeds: Record<string, OrtTensor> = {
      input_ids: toOrtTensor(this.#runtime, inputs.inputIds),
      attention_mask: toOrtTensor(this.#runtime, inputs.attentionMask),
    };
    if (session.inputNames.includes('token_type_ids'))
      feeds.token_type_ids = toOrtTensor(this.#runtime, inputs.tokenTypeIds);
    const result = await this.#run(session, feeds);
    const last = fromOrtTensor(result.last_hidden_state);
    const [batch, , width] = last.dims;
    return {
      lastHiddenState: last,
      poolerOutput: new Tensor('float32', firstToken(last), [batch, width]),
      features: this.#request.towers.withProjection ? fromOrtTensor(result.text_embeds) : undefined,
    };
  }

  async runVision(inputs: VisionTowerInputs, options: TowerRunOptions): Promise<VisionTowerOutputs> {
    ExportedModel.#refuse(options);
    const vision = this.#request.config.visionConfig;
    const [, , height, width] = inputs.pixelValues.dims;
    if (height !== vision.imageSize || width !== vision.imageSize) {
      const what = inputs.interpolatePosEncoding
        ? 'interpolate_pos_encoding is not available in ready-made ONNX exports'
        : "doesn't match model";
      throw new InputError(
        `Input image size (${height}*${width}): ${what} (${vision.imageSize}*${vision.imageSize}).`,
      );
    }
    const session = await this.#session('vision');
    const result = await this.#run(session, { pixel_values: toOrtTensor(this.#runtime, inputs.pixelValues) });
    const last = fromOrtTensor(result.last_hidden_state);
    const [batch, , hidden] = last.dims;
    const store = this.#request.weights;
    const [weight, bias] = await Promise.all([
      store.getFloat32('vision_model.post_layernorm.weight'),
      store.getFloat32('vision_model.post_layernorm.bias'),
    ]);
    const pooled = layerNormRows(firstToken(last), hidden, weight.data, bias.data, vision.layerNormEps);
    return {
      lastHiddenState: last,
      poolerOutput: new Tensor('float32', pooled, [batch, hidden]),
      features: this.#request.towers.withProjection ? fromOrtTensor(result.image_embeds) : undefined,
    };
  }

  async dispose(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(sessions.map(async (s) => (await s.catch(() => undefined))?.release()));
  }
}
