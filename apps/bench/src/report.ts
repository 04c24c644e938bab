// The report a bench run produces: the TypeScript side of report.schema.json (keep the two in step).

export const REPORT_SCHEMA_VERSION = 1;

export type Tower = 'image' | 'text';
export type Runtime = 'node' | 'browser';
/** `ok`: measured; `failed`: tried and did not work (see `error`); `skipped`: not tried (see `error`). */
export type Status = 'ok' | 'failed' | 'skipped';

export interface Agreement {
  /** Largest |a - b| over every element of the compared embeddings. */
  maxAbsDiff: number;
  /** The smallest cosine similarity between corresponding rows (the worst embedding of the batch). */
  cosine: number;
}

export interface GoldenAgreement extends Agreement {
  /** The golden case of the tiny fixture the embeddings were compared with. */
  case: string;
}

export interface LatencySummary {
  p50: number;
  p95: number;
  mean: number;
  min: number;
  max: number;
}

/** One measured (or failed) configuration: a backend × device × dtype, one tower, one batch size. */
export interface BenchResult {
  backend: string;
  device: string;
  dtype: string;
  runtime: Runtime;
  tower: Tower;
  batchSize: number;
  status: Status;
  error?: string;
  imagesPerSecond?: number | null;
  textsPerSecond?: number | null;
  /** Milliseconds per batch (one call of getImageFeatures / getTextFeatures). */
  latencyMs: LatencySummary | null;
  repetitions: number;
  /** Milliseconds from the start of `fromPretrained` to a ready model (both towers). */
  loadMs: number | null;
  /**
   * Milliseconds of the first call of this tower and batch size (the first warm-up call, when there is warm-up).
   * For a tower's first batch size it includes lazy setup such as onnxruntime building its session, so
   * loadMs + firstCallMs of that row is the time to the first embedding.
   */
  firstCallMs: number | null;
  /**
   * Peak resident set size of the process that ran this backend × device × dtype (all its towers and batches): the
   * Node worker, or the page's renderer process in Chromium.
   */
  peakRssBytes: number | null;
  /** Peak JS heap in use, sampled after the load and after every call. */
  peakHeapBytes: number | null;
  /** Analytic FLOPs of one batch divided by the median latency, in 1e9 FLOP/s. */
  gflops: number | null;
  /** gflops / the matmul roofline of this run. */
  rooflineFraction: number | null;
  /** Agreement with the reference (ort-node fp32) on the same inputs; null for the reference itself. */
  parity: Agreement | null;
  /** Agreement with the tiny fixture's goldens, when the tiny fixture is the model. */
  golden?: GoldenAgreement | null;
  /** Why a figure is missing from an otherwise measured result (e.g. no parity because the reference failed). */
  notes?: string[];
}

export interface PreprocessingResult {
  task: 'tokenizer' | 'image-processor';
  /** `@altclip/tokenizer`, `@huggingface/transformers`, ... */
  implementation: string;
  status: Status;
  error?: string;
  tokensPerSecond?: number | null;
  textsPerSecond?: number | null;
  imagesPerSecond?: number | null;
  /** What was measured (inputs, sizes), as the measuring helper describes it. */
  details?: Record<string, unknown>;
}

export interface MachineInfo {
  platform: string;
  arch: string;
  cpuModel: string;
  cpuCount: number;
  totalMemoryBytes: number;
  node: string;
  /** 1, 5 and 15 minute load averages when the run started and ended (other work on the machine shows here). */
  loadAverageStart: number[];
  loadAverageEnd: number[];
  browser?: string;
}

export interface RooflineInfo {
  status: Status;
  error?: string;
  /** Best float32 matmul throughput measured, 1e9 FLOP/s. */
  gflops: number | null;
  /** Which kernel defines the roofline, e.g. "onnxruntime-node MatMul 1024x1024x1024 float32, 2 threads". */
  method: string;
}

export interface ModelInfo {
  ref: string;
  preset: string | null;
  /** Deterministic random weights (presets other than the tiny fixture). */
  randomWeights: boolean;
  seed: number | null;
  imageSize: number;
  sequenceLength: number;
  /** Analytic FLOPs (2 per multiply-accumulate) of one image / one text of `sequenceLength` tokens. */
  flopsPerImage: number;
  flopsPerText: number;
  parameters: number;
}

export interface BenchReport {
  schemaVersion: number;
  date: string;
  machine: MachineInfo;
  command: string;
  options: Record<string, unknown>;
  model: ModelInfo;
  roofline: RooflineInfo;
  reference: { backend: string; device: string; dtype: string; status: Status; error?: string };
  results: BenchResult[];
  preprocessing: PreprocessingResult[];
  durationMs: number;
}
