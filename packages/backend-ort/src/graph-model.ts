import {
  type BackendModel,
  type Device,
  InputError,
  interpolatePositionTable,
  type LoadRequest,
  Tensor,
  type TextTowerInputs,
  type TextTowerOutputs,
  type TowerRunOptions,
  type VisionTowerInputs,
  type VisionTowerOutputs,
} from '@altclip/core';
import {
  type BuiltGraph,
  buildTextGraph,
  buildVisionGraph,
  type GraphKind,
  type GraphTuning,
  OPSET,
} from './graph/towers.js';
import type { PlacedWeights } from './graph/weight-source.js';
import type { OrtRuntime, OrtSession, OrtTensor, SessionSettings } from './runtime.js';

type Tower = 'text' | 'vision';
/** Graph variants: `base` has the three main outputs, `hidden` adds hidden states, `attentions` adds both. */
type Variant = 'base' | 'hidden' | 'attentions';

interface SessionEntry {
  readonly session: OrtSession;
}

function variantOf(options: TowerRunOptions): Variant {
  return options.outputAttentions ? 'attentions' : options.outputHiddenStates ? 'hidden' : 'base';
}

export function toOrtTensor(runtime: OrtRuntime, tensor: Tensor): OrtTensor {
  return new runtime.ort.Tensor(tensor.type as 'float32', tensor.data as Float32Array, [...tensor.dims]);
}

export function fromOrtTensor(tensor: OrtTensor): Tensor<'float32'> {
  return new Tensor('float32', tensor.data as Float32Array, tensor.dims);
}

/** Collects `<stem>.0`, `<stem>.1`, ... from a result. */
function numbered(result: Record<string, OrtTensor>, stem: string): Tensor<'float32'>[] {
  const out: Tensor<'float32'>[] = [];
  for (let i = 0; result[`${stem}.${i}`]; i++) out.push(fromOrtTensor(result[`${stem}.${i}`]));
  return out;
}

/** A tower's outputs from a session result (the graphs name them as `addOutputs` in graph/towers.ts does). */
function towerOutputs(
  result: Record<string, OrtTensor>,
  embedsName: 'text_embeds' | 'image_embeds',
  options: TowerRunOptions,
): TextTowerOutputs & VisionTowerOutputs {
  return {
    lastHiddenState: fromOrtTensor(result.last_hidden_state),
    poolerOutput: fromOrtTensor(result.pooler_output),
    features: result[embedsName] ? fromOrtTensor(result[embedsName]) : undefined,
    hiddenStates: options.outputHiddenStates ? numbered(result, 'hidden_states') : undefined,
    attentions: options.outputAttentions ? numbered(result, 'attentions') : undefined,
  };
}

/**
 * A model whose ONNX graphs are built here from the config and the checkpoint. Sessions are created on
 * first use per tower and variant, then reused; the weights are placed once per tower and shared by the
 * variants' graphs (each session still holds its own copy in memory).
 */
export class GraphModel implements BackendModel {
  readonly #runtime: OrtRuntime;
  readonly #request: LoadRequest;
  readonly #kind: GraphKind;
  readonly #settings: SessionSettings;
  readonly #sessions = new Map<string, Promise<SessionEntry>>();
  readonly #placed = new Map<Tower, Promise<PlacedWeights>>();
  readonly #positionTables = new Map<string, Promise<Float32Array>>();
  #disposed = false;

  readonly #tuning: GraphTuning;

  constructor(
    runtime: OrtRuntime,
    request: LoadRequest,
    kind: GraphKind,
    settings: SessionSettings,
    tuning: GraphTuning = {},
  ) {
    this.#runtime = runtime;
    this.#request = request;
    this.#kind = kind;
    this.#settings = settings;
    this.#tuning = tuning;
  }

  get device(): Device {
    return this.#runtime.effectiveDevice?.(this.#settings.device) ?? this.#settings.device;
  }

  /** The serialised graph of a tower variant (for inspection and export), with where its weights are. */
  async buildGraph(
    tower: Tower,
    variant: Variant = 'base',
    inputsEmbeds = false,
  ): Promise<{ model: Uint8Array; placed: PlacedWeights; graph: BuiltGraph }> {
    const { config, towers, dtype } = this.#request;
    const options = {
      kind: this.#kind,
      dtype,
      withProjection: towers.withProjection,
      outputHiddenStates: variant !== 'base',
      outputAttentions: variant === 'attentions',
      ...this.#tuning,
    };
    const graph =
      tower === 'text'
        ? buildTextGraph(config, { ...options, inputsEmbeds })
        : buildVisionGraph(config, options);
    let placed = this.#placed.get(tower);
    if (!placed) {
      // Placed once per tower for every variant: the input_ids graph uses every weight of the tower (the
      // inputs_embeds one lacks the word embeddings), and the variants differ only in outputs.
      const all = inputsEmbeds ? buildTextGraph(config, { ...options, inputsEmbeds: false }) : graph;
      placed = this.#runtime.placeWeights(this.#request.weights, all.builder.weights(), {
        cacheDir: this.#request.cacheDir,
        onProgress: this.#request.onProgress,
        label: `${tower} ${dtype}`,
      });
      this.#placed.set(tower, placed);
      placed.catch(() => this.#placed.delete(tower));
    }
    const located = await placed;
    const model = graph.builder.serialize(`altclip_${tower}_${this.#kind}_${variant}`, located.locate, {
      opset: OPSET,
    });
    return { model, placed: located, graph };
  }

  #session(tower: Tower, variant: Variant, inputsEmbeds = false): Promise<SessionEntry> {
    if (this.#disposed) throw new InputError('the model was disposed');
    const key = `${tower}/${variant}/${inputsEmbeds}`;
    let entry = this.#sessions.get(key);
    if (!entry) {
      entry = (async () => {
        this.#request.onProgress?.({ stage: 'build', item: key, loaded: 0 });
        const { model, placed } = await this.buildGraph(tower, variant, inputsEmbeds);
        this.#request.onProgress?.({ stage: 'load', item: key, loaded: 0 });
        const session = await this.#runtime.createSession(model, placed, this.#settings);
        return { session };
      })();
      this.#sessions.set(key, entry);
      entry.catch(() => this.#sessions.delete(key));
    }
    return entry;
  }

  async #run(
    entry: SessionEntry,
    feeds: Record<string, OrtTensor>,
    fetches: string[],
  ): Promise<Record<string, OrtTensor>> {
    const run = () => entry.session.run(feeds, fetches) as Promise<Record<string, OrtTensor>>;
    return this.#runtime.queue ? this.#runtime.queue.run(run) : run();
  }

  async runText(inputs: TextTowerInputs, options: TowerRunOptions): Promise<TextTowerOutputs> {
    const variant = variantOf(options);
    const embeds = inputs.inputsEmbeds !== undefined;
    const entry = await this.#session('text', variant, embeds);
    const rt = this.#runtime;
    const feeds: Record<string, OrtTensor> = {
      attention_mask: toOrtTensor(rt, inputs.attentionMask),
      position_ids: toOrtTensor(rt, inputs.positionIds),
      token_type_ids: toOrtTensor(rt, inputs.tokenTypeIds),
    };
    if (embeds) feeds.inputs_embeds = toOrtTensor(rt, inputs.inputsEmbeds!);
    else if (inputs.inputIds) feeds.input_ids = toOrtTensor(rt, inputs.inputIds);
    else throw new InputError('text inputs need input_ids or inputs_embeds');
    return towerOutputs(
      await this.#run(entry, feeds, [...entry.session.outputNames]),
      'text_embeds',
      options,
    );
  }

  /** The position table for a grid: the checkpoint's at the native size, a bicubic resize otherwise. */
  #positionTable(gridHeight: number, gridWidth: number, resize: boolean): Promise<Float32Array> {
    const key = resize ? `${gridHeight}x${gridWidth}` : 'native';
    let table = this.#positionTables.get(key);
    if (!table) {
      table = (async () => {
        if (!resize) {
          const weights = await this.#request.weights.getFloat32(
            'vision_model.embeddings.position_embedding.weight',
          );
          return weights.data;
        }
        const native = await this.#positionTable(0, 0, false);
        return interpolatePositionTable(
          native,
          this.#request.config.visionConfig.hiddenSize,
          gridHeight,
          gridWidth,
        );
      })();
      this.#positionTables.set(key, table);
      table.catch(() => this.#positionTables.delete(key));
    }
    return table;
  }

  async runVision(inputs: VisionTowerInputs, options: TowerRunOptions): Promise<VisionTowerOutputs> {
    const vision = this.#request.config.visionConfig;
    const [, , height, width] = inputs.pixelValues.dims;
    const native = height === vision.imageSize && width === vision.imageSize;
    if (!native && !inputs.interpolatePosEncoding) {
      throw new InputError(
        `Input image size (${height}*${width}) doesn't match model (${vision.imageSize}*${vision.imageSize}).`,
      );
    }
    const gridHeight = Math.floor(height / vision.patchSize);
    const gridWidth = Math.floor(width / vision.patchSize);
    // transformers keeps the table unchanged when the patch count matches and the image is square.
    const resize = !(gridHeight * gridWidth === vision.gridSize ** 2 && height === width);
    const table = await this.#positionTable(gridHeight, gridWidth, resize);
    const entry = await this.#session('vision', variantOf(options));
    const feeds = {
      pixel_values: toOrtTensor(this.#runtime, inputs.pixelValues),
      position_embedding: new this.#runtime.ort.Tensor('float32', table, [
        table.length / vision.hiddenSize,
        vision.hiddenSize,
      ]),
    };
    return towerOutputs(
      await this.#run(entry, feeds, [...entry.session.outputNames]),
      'image_embeds',
      options,
    );
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    const entries = [...this.#sessions.values()];
    this.#sessions.clear();
    // onnxruntime-web's placement holds the weights in memory.
    this.#placed.clear();
    this.#positionTables.clear();
    await Promise.all(entries.map(async (entry) => (await entry.catch(() => undefined))?.session.release()));
  }
}
