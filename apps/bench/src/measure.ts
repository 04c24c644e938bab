// The measuring loop, shared by the Node worker and the browser page: nothing here may import Node modules.
import { type AltCLIPConfig, type AltCLIPModel, compareEmbeddings, type Tensor } from '@altclip/core';
import { benchInputIds, benchPixelValues, firstRows, onesMask } from './inputs.js';
import type { Tower } from './report.js';

export interface MeasurePlan {
  towers: Tower[];
  batchSizes: number[];
  warmup: number;
  repetitions: number;
  sequenceLength: number;
  inputSeed: number;
  /** Only compute the embeddings of the largest batch per tower (the parity reference), no timing. */
  referenceOnly: boolean;
}

/** The tiny fixture's golden cases that check features: one text and one image case. */
export const GOLDEN_CASES: readonly { tower: Tower; case: string; output: string }[] = [
  { tower: 'text', case: 'text_right_padded', output: 'text_features' },
  { tower: 'image', case: 'vision_batch2', output: 'image_features' },
];

/** A golden case of the tiny fixture, ready to run: its inputs and the expected features. */
export interface GoldenInputs {
  tower: Tower;
  case: string;
  inputs: { inputIds?: Tensor<'int64'>; attentionMask?: Tensor<'int64'>; pixelValues?: Tensor<'float32'> };
  expected: Float32Array;
  rows: number;
}

/** Memory readings of the runtime; null where the runtime cannot measure them. */
export interface MemoryProbe {
  heapBytes(): number | null;
  rssBytes(): number | null;
}

export interface TowerMeasurement {
  tower: Tower;
  batchSize: number;
  status: 'ok' | 'failed';
  error?: string;
  latenciesMs: number[];
  /** The first call (a warm-up one when there is warm-up): includes lazy setup such as session creation. */
  firstCallMs: number | null;
  /** Features of the measured batch (first call), row-major `[batchSize, projection_dim]`. */
  embeddings: Float32Array | null;
}

export interface GoldenOutcome {
  tower: Tower;
  case: string;
  maxAbsDiff?: number;
  cosine?: number;
  error?: string;
}

export interface GroupOutcome {
  loadMs: number | null;
  loadError?: string;
  peakRssBytes: number | null;
  peakHeapBytes: number | null;
  measurements: TowerMeasurement[];
  goldens: GoldenOutcome[];
}

/** The outcome of a group whose model never loaded (or whose runner died): no numbers, only the reason. */
export function loadFailure(message: string): GroupOutcome {
  return {
    loadMs: null,
    loadError: message,
    peakRssBytes: null,
    peakHeapBytes: null,
    measurements: [],
    goldens: [],
  };
}

export interface MeasureProgress {
  phase: 'load' | 'warmup' | 'measure' | 'golden';
  tower?: Tower;
  batchSize?: number;
  /** Calls done and planned in this phase. */
  done: number;
  total: number;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Loads the model, then times every tower × batch size, collecting embeddings for parity. */
export async function measureGroup(
  load: () => Promise<AltCLIPModel>,
  config: AltCLIPConfig,
  plan: MeasurePlan,
  probe: MemoryProbe,
  goldens: readonly GoldenInputs[],
  onProgress: (event: MeasureProgress) => void = () => {},
): Promise<GroupOutcome> {
  let peakHeap: number | null = null;
  const sample = () => {
    const heap = probe.heapBytes();
    if (heap !== null) peakHeap = Math.max(peakHeap ?? 0, heap);
  };
  const outcome = (fields: Partial<GroupOutcome>): GroupOutcome => ({
    loadMs: null,
    measurements: [],
    goldens: [],
    ...fields,
    peakRssBytes: probe.rssBytes(),
    peakHeapBytes: peakHeap,
  });

  onProgress({ phase: 'load', done: 0, total: 1 });
  sample();
  const started = performance.now();
  let model: AltCLIPModel;
  try {
    model = await load();
  } catch (error) {
    return outcome({ loadError: errorMessage(error) });
  }
  const loadMs = performance.now() - started;
  sample();
  const measurements: TowerMeasurement[] = [];
  const goldenOutcomes: GoldenOutcome[] = [];
  try {
    const maxBatch = Math.max(...plan.batchSizes);
    const batchSizes = plan.referenceOnly ? [maxBatch] : plan.batchSizes;
    for (const tower of plan.towers) {
      // Every batch is a prefix of one pool, so that results of all sizes compare with one reference.
      const pool =
        tower === 'image'
          ? benchPixelValues(config, maxBatch, plan.inputSeed)
          : benchInputIds(config, maxBatch, plan.sequenceLength, plan.inputSeed);
      for (const batchSize of batchSizes) {
        const batch = firstRows(pool, batchSize);
        const call = (): Promise<Tensor<'float32'>> =>
          tower === 'image'
            ? model.getImageFeatures({ pixelValues: batch as Tensor<'float32'> })
            : model.getTextFeatures({
                inputIds: batch as Tensor<'int64'>,
                attentionMask: onesMask(batchSize, plan.sequenceLength),
              });
        measurements.push(await timeCalls(tower, batchSize, call, plan, sample, onProgress));
      }
    }
    for (const golden of goldens) {
      if (!plan.towers.includes(golden.tower)) continue;
      onProgress({ phase: 'golden', tower: golden.tower, done: 0, total: 1 });
      try {
        const features =
          golden.tower === 'image'
            ? await model.getImageFeatures({ pixelValues: golden.inputs.pixelValues! })
            : await model.getTextFeatures({
                inputIds: golden.inputs.inputIds!,
                attentionMask: golden.inputs.attentionMask,
              });
        goldenOutcomes.push({
          tower: golden.tower,
          case: golden.case,
          ...compareEmbeddings(features.data, golden.expected, golden.rows),
        });
      } catch (error) {
        goldenOutcomes.push({ tower: golden.tower, case: golden.case, error: errorMessage(error) });
      }
    }
  } finally {
    await model.dispose();
  }
  return outcome({ loadMs, measurements, goldens: goldenOutcomes });
}

async function timeCalls(
  tower: Tower,
  batchSize: number,
  call: () => Promise<Tensor<'float32'>>,
  plan: MeasurePlan,
  sample: () => void,
  onProgress: (event: MeasureProgress) => void,
): Promise<TowerMeasurement> {
  const latenciesMs: number[] = [];
  let embeddings: Float32Array | null = null;
  let firstCallMs: number | null = null;
  const timed = async (): Promise<{ features: Tensor<'float32'>; ms: number }> => {
    const t0 = performance.now();
    const features = await call();
    const ms = performance.now() - t0;
    firstCallMs ??= ms;
    return { features, ms };
  };
  try {
    // The first call's output is the one compared; in reference-only mode it is the only call.
    const warmup = plan.referenceOnly ? 1 : Math.max(plan.warmup, 0);
    for (let i = 0; i < warmup; i++) {
      onProgress({ phase: 'warmup', tower, batchSize, done: i, total: warmup });
      const { features } = await timed();
      embeddings ??= Float32Array.from(features.data);
      sample();
    }
    if (!plan.referenceOnly) {
      for (let i = 0; i < plan.repetitions; i++) {
        onProgress({ phase: 'measure', tower, batchSize, done: i, total: plan.repetitions });
        const { features, ms } = await timed();
        latenciesMs.push(ms);
        embeddings ??= Float32Array.from(features.data);
        sample();
      }
    }
    return { tower, batchSize, status: 'ok', latenciesMs, firstCallMs, embeddings };
  } catch (error) {
    return {
      tower,
      batchSize,
      status: 'failed',
      error: errorMessage(error),
      latenciesMs: [],
      firstCallMs: null,
      embeddings: null,
    };
  }
}
