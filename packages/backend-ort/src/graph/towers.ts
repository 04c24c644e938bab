import type { Activation, AltCLIPConfig, DType } from '@altclip/core';
import { NotSupportedError } from '@altclip/core';
import { OnnxGraphBuilder } from './onnx-builder.js';
import type { WeightSource } from './weight-source.js';

/**
 * `plain`: the operators torch.onnx.export (opset 17) writes for transformers' modeling code, i.e. what a user
 * who exports by hand gets: each Linear over the token stream is a MatMul by the transposed weight plus an
 * Add, attention is MatMul + Softmax, activations are elementwise operators. The reproducible baseline.
 * `fused`: every Linear is one Gemm over the 2-D token stream, and onnxruntime's com.microsoft
 * `MultiHeadAttention` and `Gelu` / `QuickGelu` / `FastGelu` (`SkipLayerNormalization`, packed `Attention` on
 * request).
 */
export type GraphKind = 'plain' | 'fused';

/** Operator choices of fused graphs, for measurements (see the package README). */
export type GraphTuning = Pick<TowerGraphOptions, 'skipLayerNorm' | 'packedAttention'>;

export interface TowerGraphOptions {
  readonly kind: GraphKind;
  readonly dtype: DType;
  readonly withProjection: boolean;
  readonly outputHiddenStates: boolean;
  /** Attention probabilities; the attention layers then use plain operators (contrib ones do not return them). */
  readonly outputAttentions: boolean;
  /** Fused graphs: com.microsoft SkipLayerNormalization instead of Add + LayerNormalization (slower on CPU). */
  readonly skipLayerNorm?: boolean;
  /**
   * Fused graphs: one com.microsoft `Attention` (int8: `QAttention`) over the concatenated Q/K/V weights
   * instead of three linears and `MultiHeadAttention`.
   */
  readonly packedAttention?: boolean;
}

/** The Linear layers of one self-attention block and its shape. */
interface SelfAttentionLayer {
  readonly query: string;
  readonly key: string;
  readonly value: string;
  readonly heads: number;
  readonly hidden: number;
  readonly scaleBeforeMatMul: boolean;
}

export interface TextGraphOptions extends TowerGraphOptions {
  /** Take `inputs_embeds` `[B, L, hidden]` instead of `input_ids`. */
  readonly inputsEmbeds: boolean;
}

export const OPSET = 17;
/** `torch.finfo(torch.float32).min`, the additive mask value transformers uses. */
const FLOAT32_MIN = -3.4028234663852886e38;

/** Shared layer building blocks over a `[tokens, hidden]` stream. */
class TowerOps {
  readonly g = new OnnxGraphBuilder<WeightSource>();
  readonly #options: TowerGraphOptions;
  readonly #scalars = new Map<string, string>();
  readonly #streamShapes = new Map<number, string>();
  #batchSeq?: string;
  #squareMaskName?: string;

  constructor(options: TowerGraphOptions) {
    this.#options = options;
  }

  /** The int64 `[B, L]` shape of the token stream: set once per tower, before its first layer. */
  setBatchSeq(batchSeq: string): void {
    this.#batchSeq = batchSeq;
  }

  get fused(): boolean {
    return this.#options.kind === 'fused';
  }

  scalar(value: number): string {
    const key = String(value);
    let name = this.#scalars.get(key);
    if (!name) {
      name = this.g.constantFloat32('c', [value], []);
      this.#scalars.set(key, name);
    }
    return name;
  }

  /** A float weight as float32 in the graph (fp16 storage is widened by a Cast that onnxruntime folds at load). */
  float(key: string, dims: readonly number[]): string {
    if (this.#options.dtype !== 'fp16') {
      return this.g.weight(stemOf(key), 'float32', dims, { kind: 'tensor', key, type: 'float32' });
    }
    const half = this.g.weight(stemOf(key), 'float16', dims, { kind: 'tensor', key, type: 'float16' });
    return this.g.op('Cast', [half], { to: { i: 1 } });
  }

  /** `x W^T + b` for a Linear `[out, in]` over a 2-D `[tokens, in]` input; int8 weights in the encoder layers. */
  linear(
    x: string,
    prefix: string,
    inFeatures: number,
    out: number,
    options: { bias?: boolean; quantize?: boolean; pooled?: boolean } = {},
  ): string {
    const bias = options.bias ?? true;
    const key = `${prefix}.weight`;
    if (this.#options.dtype === 'int8' && options.quantize) {
      const { values, scales } = this.#int8Columns(prefix, inFeatures, out);
      const zeros = this.g.constant('zero_point', 'int8', [out], new Uint8Array(out));
      const inputs = [x, values, scales, zeros];
      if (bias) inputs.push(this.float(`${prefix}.bias`, [out]));
      return this.g.contrib('DynamicQuantizeMatMul', inputs)[0];
    }
    if (!this.fused && !options.pooled) return this.#exportedLinear(x, prefix, inFeatures, out, bias);
    const inputs = [x, this.float(key, [out, inFeatures])];
    if (bias) inputs.push(this.float(`${prefix}.bias`, [out]));
    return this.g.op('Gemm', inputs, { transB: { i: 1 } });
  }

  /** A Linear weight `[out, in]` as per-column int8 values `[in, out]` and their scales `[out]`. */
  #int8Columns(prefix: string, inFeatures: number, out: number): { values: string; scales: string } {
    const key = `${prefix}.weight`;
    return {
      values: this.g.weight(`${stemOf(key)}_q`, 'int8', [inFeatures, out], { kind: 'int8Columns', key }),
      scales: this.g.weight(`${stemOf(key)}_scale`, 'float32', [out], { kind: 'int8Scales', key }),
    };
  }

  /**
   * A Linear over the token stream as torch.onnx.export writes it for a 3-D input: MatMul by the transposed
   * weight (a Transpose of the initializer, folded by onnxruntime at load), then Add of the bias.
   */
  #exportedLinear(x: string, prefix: string, inFeatures: number, out: number, bias: boolean): string {
    const g = this.g;
    const weight = g.op('Transpose', [this.float(`${prefix}.weight`, [out, inFeatures])], {
      perm: { ints: [1, 0] },
    });
    let y = g.op('MatMul', [g.op('Reshape', [x, this.#streamShape(inFeatures)]), weight]);
    if (bias) y = g.op('Add', [y, this.float(`${prefix}.bias`, [out])]);
    return g.op('Reshape', [y, g.constantInt64('tokens_width', [-1, out])]);
  }

  /** The int64 `[B, L]` shape given by `setBatchSeq`. */
  get #batchSeqName(): string {
    if (!this.#batchSeq) throw new Error('setBatchSeq must come before the first layer');
    return this.#batchSeq;
  }

  /** The int64 shape `[B, L, width]` of the token stream viewed as 3-D (one Concat per width). */
  #streamShape(width: number): string {
    let name = this.#streamShapes.get(width);
    if (!name) {
      name = this.g.op('Concat', [this.#batchSeqName, this.g.constantInt64('width', [width])], {
        axis: { i: 0 },
      });
      this.#streamShapes.set(width, name);
    }
    return name;
  }

  layerNorm(
    x: string,
    prefix: string,
    width: number,
    epsilon: number,
    names: { weight: string; bias: string } = { weight: 'weight', bias: 'bias' },
  ): string {
    return this.g.op(
      'LayerNormalization',
      [x, this.float(`${prefix}.${names.weight}`, [width]), this.float(`${prefix}.${names.bias}`, [width])],
      {
        axis: { i: -1 },
        epsilon: { f: epsilon },
      },
    );
  }

  /** `LayerNorm(x + skip)`; also returns the sum when asked (`sum` output of SkipLayerNormalization). */
  skipLayerNorm(
    x: string,
    skip: string,
    prefix: string,
    width: number,
    epsilon: number,
    names = { weight: 'weight', bias: 'bias' },
  ): { normed: string; sum: string } {
    // Measured on the full-size vision tower (onnxruntime 1.30, 2 cores, batch 1): 47 SkipLayerNormalization
    // calls took 122 ms against 17 ms for Add + LayerNormalization, so the contrib op is opt-in.
    if (this.fused && this.#options.skipLayerNorm) {
      const gamma = this.float(`${prefix}.${names.weight}`, [width]);
      const beta = this.float(`${prefix}.${names.bias}`, [width]);
      const normed = this.g.fresh('skip_ln');
      const sum = this.g.fresh('skip_sum');
      this.g.contrib('SkipLayerNormalization', [x, skip, gamma, beta], { epsilon: { f: epsilon } }, [
        normed,
        '',
        '',
        sum,
      ]);
      return { normed, sum };
    }
    const sum = this.g.op('Add', [x, skip]);
    return { normed: this.layerNorm(sum, prefix, width, epsilon, names), sum };
  }

  activation(x: string, act: Activation): string {
    const g = this.g;
    if (this.fused && (act === 'gelu' || act === 'quick_gelu')) {
      return act === 'gelu'
        ? g.contrib('Gelu', [x])[0]
        : g.contrib('QuickGelu', [x], { alpha: { f: 1.702 } })[0];
    }
    if (this.fused && (act === 'gelu_new' || act === 'gelu_pytorch_tanh'))
      return g.contrib('FastGelu', [x])[0];
    switch (act) {
      case 'gelu': {
        const erf = g.op('Erf', [g.op('Mul', [x, this.scalar(Math.SQRT1_2)])]);
        return g.op('Mul', [g.op('Mul', [x, this.scalar(0.5)]), g.op('Add', [erf, this.scalar(1)])]);
      }
      case 'gelu_new':
      case 'gelu_pytorch_tanh':
      case 'gelu_fast': {
        // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
        const inner = g.op('Add', [x, g.op('Mul', [cube, this.scalar(0.044715)])]);
        const tanh = g.op('Tanh', [g.op('Mul', [inner, this.scalar(Math.sqrt(2 / Math.PI))])]);
        return g.op('Mul', [g.op('Mul', [x, this.scalar(0.5)]), g.op('Add', [tanh, this.scalar(1)])]);
      }
      case 'quick_gelu':
        return g.op('Mul', [x, g.op('Sigmoid', [g.op('Mul', [x, this.scalar(1.702)])])]);
      case 'relu':
        return g.op('Relu', [x]);
      case 'silu':
      case 'swish':
        return g.op('Mul', [x, g.op('Sigmoid', [x])]);
      case 'tanh':
        return g.op('Tanh', [x]);
      default:
        throw new NotSupportedError(`activation '${act}' is not supported by the onnxruntime backend`);
    }
  }

  /** Self-attention over the `[tokens, hidden]` stream `x`: the context, and the probabilities of plain attention. */
  selfAttention(
    x: string,
    layer: SelfAttentionLayer,
    mask?: { bias: string; int32: string },
  ): { context: string; probabilities?: string } {
    if (this.fused && this.#options.packedAttention && !this.#options.outputAttentions) {
      return { context: this.#packedAttention(x, layer, mask?.int32) };
    }
    const project = (prefix: string) =>
      this.linear(x, prefix, layer.hidden, layer.hidden, { quantize: true });
    return this.attention(project(layer.query), project(layer.key), project(layer.value), layer, mask);
  }

  /** com.microsoft `Attention` / `QAttention`: the Q/K/V projections and attention in one operator. */
  #packedAttention(x: string, layer: SelfAttentionLayer, maskInt32?: string): string {
    const g = this.g;
    const { hidden, heads } = layer;
    const prefixes = [layer.query, layer.key, layer.value];
    const input = g.op('Reshape', [x, this.#streamShape(hidden)]);
    const concat = (parts: string[], axis: number) => g.op('Concat', parts, { axis: { i: axis } });
    const bias = concat(
      prefixes.map((p) => this.float(`${p}.bias`, [hidden])),
      0,
    );
    let context: string;
    if (this.#options.dtype === 'int8') {
      const [quantized, scale, zeroPoint] = g.node('DynamicQuantizeLinear', [input], {}, { outputs: 3 });
      const columns = prefixes.map((p) => this.#int8Columns(p, hidden, hidden));
      const weights = concat(
        columns.map((c) => c.values),
        1,
      );
      const scales = concat(
        columns.map((c) => c.scales),
        0,
      );
      [context] = g.contrib(
        'QAttention',
        [quantized, weights, bias, scale, scales, maskInt32 ?? '', zeroPoint],
        { num_heads: { i: heads } },
      );
    } else {
      const weights = concat(
        prefixes.map((p) =>
          g.op('Transpose', [this.float(`${p}.weight`, [hidden, hidden])], { perm: { ints: [1, 0] } }),
        ),
        1,
      );
      const inputs = [input, weights, bias];
      if (maskInt32) inputs.push(maskInt32);
      [context] = g.contrib('Attention', inputs, {
        num_heads: { i: heads },
        mask_filter_value: { f: FLOAT32_MIN },
      });
    }
    return g.op('Reshape', [context, g.constantInt64('tokens_hidden', [-1, hidden])]);
  }

  /**
   * Multi-head attention over `[tokens, hidden]` projections.
   * `mask.bias` (`[B, 1, 1, L]` additive) masks keys; packed attention takes `mask.int32` (`[B, L]`).
   */
  attention(
    q: string,
    k: string,
    v: string,
    shape: { heads: number; hidden: number; scaleBeforeMatMul: boolean },
    mask?: { bias: string; int32: string },
  ): { context: string; probabilities?: string } {
    const g = this.g;
    const { heads, hidden } = shape;
    const headDim = hidden / heads;
    if (this.fused && !this.#options.outputAttentions) {
      const [q3, k3, v3] = [q, k, v].map((t) => g.op('Reshape', [t, this.#streamShape(hidden)]));
      const inputs = [q3, k3, v3];
      // An additive attention_bias rather than key_padding_mask: onnxruntime-web's WebGPU kernel refuses the latter.
      if (mask) inputs.push('', '', this.#squareMask(mask.bias, heads));
      const [context] = g.contrib('MultiHeadAttention', inputs, {
        num_heads: { i: heads },
        mask_filter_value: { f: FLOAT32_MIN },
      });
      return { context: g.op('Reshape', [context, g.constantInt64('tokens_hidden', [-1, hidden])]) };
    }
    const to4d = g.op('Concat', [this.#batchSeqName, g.constantInt64('heads_dim', [heads, headDim])], {
      axis: { i: 0 },
    });
    const split = (t: string, perm: number[]) =>
      g.op('Transpose', [g.op('Reshape', [t, to4d])], { perm: { ints: perm } });
    const scale = 1 / Math.sqrt(headDim);
    // CLIP scales the queries before the product, BERT divides the scores: the same up to rounding, kept as each does it.
    const q4 = shape.scaleBeforeMatMul
      ? split(g.op('Mul', [q, this.scalar(scale)]), [0, 2, 1, 3])
      : split(q, [0, 2, 1, 3]);
    let scores = g.op('MatMul', [q4, split(k, [0, 2, 3, 1])]);
    if (!shape.scaleBeforeMatMul) scores = g.op('Div', [scores, this.scalar(Math.sqrt(headDim))]);
    if (mask) scores = g.op('Add', [scores, mask.bias]);
    const probabilities = g.op('Softmax', [scores], { axis: { i: -1 } });
    const context4 = g.op('MatMul', [probabilities, split(v, [0, 2, 1, 3])]);
    const merged = g.op('Transpose', [context4], { perm: { ints: [0, 2, 1, 3] } });
    return {
      context: g.op('Reshape', [merged, g.constantInt64('tokens_hidden', [-1, hidden])]),
      probabilities,
    };
  }

  /**
   * The additive key mask `[B, 1, 1, L]` expanded to `[B, heads, L, L]`: MultiHeadAttention's attention_bias
   * (the WebGPU kernel wants every dimension in full). A tower has one mask and one head count, so it is built
   * once and shared by every layer.
   */
  #squareMask(bias: string, heads: number): string {
    if (!this.#squareMaskName) {
      const g = this.g;
      const length = g.op('Slice', [
        this.#batchSeqName,
        g.constantInt64('start', [1]),
        g.constantInt64('end', [2]),
      ]);
      const target = g.op(
        'Concat',
        [g.constantInt64('heads', [1, heads]), length, g.constantInt64('one', [1])],
        { axis: { i: 0 } },
      );
      this.#squareMaskName = g.op('Expand', [bias, target]);
    }
    return this.#squareMaskName;
  }

  /** Reshapes `[tokens, width]` back to `[B, L, width]`. */
  to3d(x: string, width: number): string {
    return this.g.op('Reshape', [x, this.#streamShape(width)]);
  }
}

function stemOf(key: string): string {
  return key
    .replace(/^(text_model\.roberta\.|text_model\.|vision_model\.)/, '')
    .replace(/[^A-Za-z0-9]+/g, '_');
}

export interface BuiltGraph {
  readonly builder: OnnxGraphBuilder<WeightSource>;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}

/**
 * The text tower: XLM-RoBERTa (post-LN) + `pre_LN` + `transformation`, and `text_projection` on position 0.
 * Inputs `input_ids` (or `inputs_embeds`), `attention_mask`, `position_ids`, `token_type_ids`, all `[B, L]`
 * int64; position ids come from the caller (core computes transformers' defaults).
 */
export function buildTextGraph(config: AltCLIPConfig, options: TextGraphOptions): BuiltGraph {
  const t = config.textConfig;
  const ops = new TowerOps(options);
  const g = ops.g;
  const H = t.hiddenSize;
  const eps = t.layerNormEps;
  const base = 'text_model.roberta';

  const ids = options.inputsEmbeds ? undefined : g.input('input_ids', 'int64', ['batch', 'sequence']);
  const embeds = options.inputsEmbeds
    ? g.input('inputs_embeds', 'float32', ['batch', 'sequence', H])
    : undefined;
  const mask = g.input('attention_mask', 'int64', ['batch', 'sequence']);
  const positions = g.input('position_ids', 'int64', ['batch', 'sequence']);
  const tokenTypes = g.input('token_type_ids', 'int64', ['batch', 'sequence']);
  ops.setBatchSeq(g.op('Shape', [positions]));
  const flat = (x: string) => g.op('Reshape', [x, g.constantInt64('flat', [-1])]);
  const lookup = (key: string, rows: number, index: string) =>
    g.op('Gather', [ops.float(key, [rows, H]), flat(index)], { axis: { i: 0 } });

  const words = ids
    ? lookup(`${base}.embeddings.word_embeddings.weight`, t.vocabSize, ids)
    : g.op('Reshape', [embeds!, g.constantInt64('tokens_hidden', [-1, H])]);
  const sum = g.op('Add', [
    g.op('Add', [
      words,
      lookup(`${base}.embeddings.token_type_embeddings.weight`, t.typeVocabSize, tokenTypes),
    ]),
    lookup(`${base}.embeddings.position_embeddings.weight`, t.maxPositionEmbeddings, positions),
  ]);
  let x = ops.layerNorm(sum, `${base}.embeddings.LayerNorm`, H, eps);

  const maskFloat = g.op('Cast', [mask], { to: { i: 1 } });
  const maskBias = g.op('Unsqueeze', [
    g.op('Mul', [g.op('Sub', [ops.scalar(1), maskFloat]), ops.scalar(FLOAT32_MIN)]),
    g.constantInt64('axes', [1, 2]),
  ]);
  const maskInt32 = g.op('Cast', [mask], { to: { i: 6 } });

  const hidden: string[] = [x];
  const attentions: string[] = [];
  for (let i = 0; i < t.numHiddenLayers; i++) {
    const p = `${base}.encoder.layer.${i}`;
    const { context, probabilities } = ops.selfAttention(
      x,
      {
        query: `${p}.attention.self.query`,
        key: `${p}.attention.self.key`,
        value: `${p}.attention.self.value`,
        heads: t.numAttentionHeads,
        hidden: H,
        scaleBeforeMatMul: false,
      },
      { bias: maskBias, int32: maskInt32 },
    );
    if (probabilities) attentions.push(probabilities);
    const attended = ops.linear(context, `${p}.attention.output.dense`, H, H, { quantize: true });
    const a = ops.skipLayerNorm(attended, x, `${p}.attention.output.LayerNorm`, H, eps).normed;
    const inner = ops.activation(
      ops.linear(a, `${p}.intermediate.dense`, H, t.intermediateSize, { quantize: true }),
      t.hiddenAct,
    );
    const out = ops.linear(inner, `${p}.output.dense`, t.intermediateSize, H, { quantize: true });
    x = ops.skipLayerNorm(out, a, `${p}.output.LayerNorm`, H, eps).normed;
    hidden.push(x);
  }

  const P = t.projectDim;
  const projected = ops.linear(
    ops.layerNorm(x, 'text_model.pre_LN', H, eps),
    'text_model.transformation',
    H,
    P,
  );
  const last = ops.to3d(projected, P);
  const pooled = g.op('Gather', [last, g.constantInt64('zero', [0], [])], { axis: { i: 1 } });
  const outputNames = addOutputs(ops, options, config.projectionDim, {
    last,
    pooled,
    width: P,
    seq: 'sequence',
    embeds: { name: 'text_embeds', projection: 'text_projection' },
    hidden,
    hiddenWidth: H,
    attentions,
    heads: t.numAttentionHeads,
  });
  const inputNames = [
    options.inputsEmbeds ? 'inputs_embeds' : 'input_ids',
    'attention_mask',
    'position_ids',
    'token_type_ids',
  ];
  return { builder: g, inputNames, outputNames };
}

/**
 * The tower's outputs, in the order sessions return them: last hidden state, pooler output, the projected
 * embeddings (with a projection), then hidden states and attentions when asked for.
 */
function addOutputs(
  ops: TowerOps,
  options: TowerGraphOptions,
  projectionDim: number,
  s: {
    last: string;
    pooled: string;
    width: number;
    seq: string;
    embeds: { name: string; projection: string };
    hidden: string[];
    hiddenWidth: number;
    attentions: string[];
    heads: number;
  },
): string[] {
  const { g } = ops;
  const outputNames = ['last_hidden_state', 'pooler_output'];
  g.output('last_hidden_state', s.last, 'float32', ['batch', s.seq, s.width]);
  g.output('pooler_output', s.pooled, 'float32', ['batch', s.width]);
  if (options.withProjection) {
    const embeds = ops.linear(s.pooled, s.embeds.projection, s.width, projectionDim, {
      bias: false,
      pooled: true,
    });
    g.output(s.embeds.name, embeds, 'float32', ['batch', projectionDim]);
    outputNames.push(s.embeds.name);
  }
  if (options.outputHiddenStates || options.outputAttentions) {
    s.hidden.forEach((h, i) => {
      g.output(`hidden_states.${i}`, ops.to3d(h, s.hiddenWidth), 'float32', ['batch', s.seq, s.hiddenWidth]);
      outputNames.push(`hidden_states.${i}`);
    });
  }
  // Plain attention always has the probabilities; they are outputs only when asked for.
  if (options.outputAttentions) {
    s.attentions.forEach((a, i) => {
      g.output(`attentions.${i}`, a, 'float32', ['batch', s.heads, s.seq, s.seq]);
      outputNames.push(`attentions.${i}`);
    });
  }
  return outputNames;
}

/**
 * The vision tower: CLIP ViT (pre-LN) with `post_layernorm` on the class token, and `visual_projection`.
 * Inputs `pixel_values` `[B, C, H, W]` (any size: the grid is floor(H / patch) x floor(W / patch)) and
 * `position_embedding` `[1 + gh * gw, D]`, the table for that grid (the checkpoint's at the native size,
 * a bicubic resize of it otherwise), so one session serves every image size.
 */
export function buildVisionGraph(config: AltCLIPConfig, options: TowerGraphOptions): BuiltGraph {
  const v = config.visionConfig;
  const ops = new TowerOps(options);
  const g = ops.g;
  const D = v.hiddenSize;
  const P = v.patchSize;
  const eps = v.layerNormEps;
  const base = 'vision_model';

  const pixels = g.input('pixel_values', 'float32', ['batch', v.numChannels, 'height', 'width']);
  const table = g.input('position_embedding', 'float32', ['tokens', D]);
  const kernel = ops.float(`${base}.embeddings.patch_embedding.weight`, [D, v.numChannels, P, P]);
  const patches = g.op('Conv', [pixels, kernel], {
    kernel_shape: { ints: [P, P] },
    strides: { ints: [P, P] },
  });
  const tokens = g.op(
    'Transpose',
    [g.op('Reshape', [patches, g.constantInt64('flatten_grid', [0, 0, -1])])],
    { perm: { ints: [0, 2, 1] } },
  );
  const batch = g.op('Shape', [pixels], { end: { i: 1 } });
  const classShape = g.op('Concat', [batch, g.constantInt64('one_hidden', [1, D])], { axis: { i: 0 } });
  const classToken = g.op('Expand', [
    g.op('Reshape', [
      ops.float(`${base}.embeddings.class_embedding`, [D]),
      g.constantInt64('class_shape', [1, 1, D]),
    ]),
    classShape,
  ]);
  const embeddings = g.op('Add', [g.op('Concat', [classToken, tokens], { axis: { i: 1 } }), table]);
  ops.setBatchSeq(g.op('Shape', [embeddings], { end: { i: 2 } }));
  let x = ops.layerNorm(
    g.op('Reshape', [embeddings, g.constantInt64('tokens_hidden', [-1, D])]),
    `${base}.pre_layrnorm`,
    D,
    eps,
  );

  const hidden: string[] = [x];
  const attentions: string[] = [];
  let normed = ops.layerNorm(x, `${base}.encoder.layers.0.layer_norm1`, D, eps);
  for (let i = 0; i < v.numHiddenLayers; i++) {
    const p = `${base}.encoder.layers.${i}`;
    const { context, probabilities } = ops.selfAttention(normed, {
      query: `${p}.self_attn.q_proj`,
      key: `${p}.self_attn.k_proj`,
      value: `${p}.self_attn.v_proj`,
      heads: v.numAttentionHeads,
      hidden: D,
      scaleBeforeMatMul: true,
    });
    if (probabilities) attentions.push(probabilities);
    const attended = ops.linear(context, `${p}.self_attn.out_proj`, D, D, { quantize: true });
    const mid = ops.skipLayerNorm(attended, x, `${p}.layer_norm2`, D, eps);
    const inner = ops.activation(
      ops.linear(mid.normed, `${p}.mlp.fc1`, D, v.intermediateSize, { quantize: true }),
      v.hiddenAct,
    );
    const out = ops.linear(inner, `${p}.mlp.fc2`, v.intermediateSize, D, { quantize: true });
    if (i + 1 < v.numHiddenLayers) {
      const next = ops.skipLayerNorm(out, mid.sum, `${base}.encoder.layers.${i + 1}.layer_norm1`, D, eps);
      x = next.sum;
      normed = next.normed;
    } else {
      x = g.op('Add', [out, mid.sum]);
    }
    hidden.push(x);
  }

  const last = ops.to3d(x, D);
  const pooled = ops.layerNorm(
    g.op('Gather', [last, g.constantInt64('zero', [0], [])], { axis: { i: 1 } }),
    `${base}.post_layernorm`,
    D,
    eps,
  );
  const outputNames = addOutputs(ops, options, config.projectionDim, {
    last,
    pooled,
    width: D,
    seq: 'tokens',
    embeds: { name: 'image_embeds', projection: 'visual_projection' },
    hidden,
    hiddenWidth: D,
    attentions,
    heads: v.numAttentionHeads,
  });
  return { builder: g, inputNames: ['pixel_values', 'position_embedding'], outputNames };
}
