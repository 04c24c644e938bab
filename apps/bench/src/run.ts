import { fork } from 'node:child_process';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { compareEmbeddings } from '@altclip/core';
import { imageFlops, parameterCount, textFlops } from './flops.js';
import type { GroupOutcome, MeasurePlan, MeasureProgress } from './measure.js';
import { errorMessage, loadFailure } from './measure.js';
import { type GroupJob, runGroup } from './node-group.js';
import { defaultCacheDir, type ModelSpec, resolveModel } from './presets.js';
import type {
  Agreement,
  BenchReport,
  BenchResult,
  MachineInfo,
  PreprocessingResult,
  RooflineInfo,
  Tower,
} from './report.js';
import { REPORT_SCHEMA_VERSION } from './report.js';
import { measureRoofline } from './roofline.js';
import { summarizeLatencies } from './stats.js';
import { sameTarget, type Target, targetLabel } from './targets.js';
import type { WorkerMessage } from './worker.js';

export interface BenchOptions {
  /** A preset (tiny, base, large), a model folder or a hub id. */
  model: string;
  targets: Target[];
  towers: Tower[];
  batchSizes: number[];
  warmup: number;
  repetitions: number;
  threads: number;
  /** Tokens per text, `<s>` and `</s>` included (capped at what the model accepts). */
  sequenceLength: number;
  /** Seed of the random weights of the presets and of the inputs. */
  seed: number;
  /** What every configuration is compared with. */
  reference: Target;
  cacheDir?: string;
  /** One worker process per configuration (peak RSS of its own, crashes contained). */
  isolate: boolean;
  /** Import @altclip/backend-ort and @altclip/backend-tfjs (off only for tests with fake backends). */
  importBackends: boolean;
  roofline: boolean;
  preprocessing: boolean;
  /** The command line, for the report. */
  command: string;
  quick: boolean;
  /** Seconds one target may take (load and every call) before it is stopped and reported as failed. */
  timeoutSeconds: number;
}

export interface BenchProgress {
  /** What is running, e.g. "ort-node/cpu/fp32 image b=8 measure". */
  label: string;
  /** Work units done and planned over the whole run (loads and calls). */
  done: number;
  total: number;
}

/** Measures one Node target; the default forks a worker, tests may run it in-process. */
export type NodeExecutor = (
  job: GroupJob,
  onProgress: (event: MeasureProgress) => void,
) => Promise<GroupOutcome>;

export function machineInfo(): MachineInfo {
  const cpu = cpus();
  return {
    platform: process.platform,
    arch: process.arch,
    cpuModel: cpu[0]?.model?.trim() ?? 'unknown',
    cpuCount: cpu.length,
    totalMemoryBytes: totalmem(),
    node: process.version,
    loadAverageStart: loadavg(),
    loadAverageEnd: loadavg(),
  };
}

/** Runs a GroupJob in a child process of its own and relays its progress. */
export const forkExecutor: NodeExecutor = (job, onProgress) =>
  new Promise((resolve) => {
    const child = fork(new URL('./worker.js', import.meta.url), [], {
      serialization: 'advanced',
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    let settled = false;
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      resolve(loadFailure(message));
    };
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') onProgress(message.event);
      else if (message.type === 'done' && !settled) {
        settled = true;
        resolve(message.outcome);
      } else if (message.type === 'error') fail(message.message);
    });
    child.on('error', (error) => fail(`worker failed: ${error.message}`));
    child.on('exit', (code, signal) => {
      const lastLines = stderr.trim().split('\n').slice(-3).join(' | ');
      fail(
        `worker exited (${signal ?? `code ${code}`}) before finishing${lastLines ? `: ${lastLines}` : ''}`,
      );
    });
    const timer = job.timeoutMs
      ? setTimeout(() => {
          fail(`timed out after ${Math.round(job.timeoutMs! / 1000)} s (--timeout)`);
          child.kill('SIGKILL');
        }, job.timeoutMs)
      : undefined;
    child.on('exit', () => clearTimeout(timer));
    child.send(job);
  });

export const inProcessExecutor: NodeExecutor = (job, onProgress) =>
  runGroup({ ...job, isolated: false }, onProgress);

/** Work units of one target, for the progress total. */
function plannedUnits(plan: MeasurePlan): number {
  const calls = plan.referenceOnly
    ? plan.towers.length
    : plan.towers.length * plan.batchSizes.length * (plan.warmup + plan.repetitions);
  return 1 + calls;
}

function failedResult(
  target: Target,
  tower: Tower,
  batchSize: number,
  error: string,
  status: 'failed' | 'skipped' = 'failed',
): BenchResult {
  return {
    backend: target.backend,
    device: target.device,
    dtype: target.dtype,
    runtime: target.runtime,
    tower,
    batchSize,
    status,
    error,
    ...(tower === 'image' ? { imagesPerSecond: null } : { textsPerSecond: null }),
    latencyMs: null,
    repetitions: 0,
    loadMs: null,
    firstCallMs: null,
    peakRssBytes: null,
    peakHeapBytes: null,
    gflops: null,
    rooflineFraction: null,
    parity: null,
  };
}

interface ReferenceEmbeddings {
  image?: Float32Array;
  text?: Float32Array;
  error?: string;
}

/** Turns a target's outcome into one result per tower × batch size. */
export function resultsOf(
  target: Target,
  outcome: GroupOutcome,
  context: {
    towers: Tower[];
    batchSizes: number[];
    flops: Record<Tower, number>;
    roofline: RooflineInfo;
    reference: ReferenceEmbeddings | null;
    isReference: boolean;
    hasGoldens: boolean;
  },
): BenchResult[] {
  const results: BenchResult[] = [];
  for (const tower of context.towers) {
    for (const batchSize of context.batchSizes) {
      if (outcome.loadError !== undefined) {
        results.push(failedResult(target, tower, batchSize, `load failed: ${outcome.loadError}`));
        continue;
      }
      const measurement = outcome.measurements.find((m) => m.tower === tower && m.batchSize === batchSize);
      if (!measurement || measurement.status === 'failed') {
        results.push({
          ...failedResult(target, tower, batchSize, measurement?.error ?? 'not measured'),
          loadMs: outcome.loadMs,
          peakRssBytes: outcome.peakRssBytes,
          peakHeapBytes: outcome.peakHeapBytes,
        });
        continue;
      }
      const embeddings = measurement.embeddings!;
      if (!embeddings.every(Number.isFinite)) {
        results.push({
          ...failedResult(target, tower, batchSize, 'the embeddings hold NaN or infinite values'),
          loadMs: outcome.loadMs,
          peakRssBytes: outcome.peakRssBytes,
          peakHeapBytes: outcome.peakHeapBytes,
        });
        continue;
      }
      const latencyMs = summarizeLatencies(measurement.latenciesMs);
      const perSecond = batchSize / (latencyMs.p50 / 1000);
      const gflops = (context.flops[tower] * batchSize) / (latencyMs.p50 / 1000) / 1e9;
      const referenceRows = context.reference?.[tower];
      let parity: Agreement | null = null;
      if (!context.isReference && referenceRows) {
        const rowSize = referenceRows.length / Math.max(...context.batchSizes);
        parity = compareEmbeddings(embeddings, referenceRows.subarray(0, rowSize * batchSize), batchSize);
      }
      const golden = outcome.goldens.find((g) => g.tower === tower);
      const notes: string[] = [];
      if (!context.isReference && !referenceRows) {
        notes.push(`no parity: the reference did not run (${context.reference?.error ?? 'not requested'})`);
      }
      if (golden?.error) notes.push(`golden check failed: ${golden.error}`);
      results.push({
        backend: target.backend,
        device: target.device,
        dtype: target.dtype,
        runtime: target.runtime,
        tower,
        batchSize,
        status: 'ok',
        ...(tower === 'image' ? { imagesPerSecond: perSecond } : { textsPerSecond: perSecond }),
        latencyMs,
        repetitions: measurement.latenciesMs.length,
        loadMs: outcome.loadMs,
        firstCallMs: measurement.firstCallMs,
        peakRssBytes: outcome.peakRssBytes,
        peakHeapBytes: outcome.peakHeapBytes,
        gflops,
        rooflineFraction: context.roofline.gflops ? gflops / context.roofline.gflops : null,
        parity,
        ...(context.hasGoldens
          ? {
              golden:
                golden && golden.maxAbsDiff !== undefined
                  ? { case: golden.case, maxAbsDiff: golden.maxAbsDiff, cosine: golden.cosine! }
                  : null,
            }
          : {}),
        ...(notes.length ? { notes } : {}),
      });
    }
  }
  return results;
}

export interface RunHooks {
  onProgress?: (progress: BenchProgress) => void;
  /** Measures the browser targets; absent: the playwright runner (see browser.ts). */
  browserRunner?: BrowserRunner;
}

export interface BrowserJob {
  targets: Target[];
  model: ModelSpec;
  plan: MeasurePlan;
  threads: number;
  timeoutMs: number;
}

export type BrowserRunner = (
  job: BrowserJob,
  onProgress: (target: Target, event: MeasureProgress) => void,
) => Promise<{ outcomes: GroupOutcome[]; browser?: string }>;

/** Runs the whole bench and returns the report (the CLI writes it out). */
export async function runBench(options: BenchOptions, hooks: RunHooks = {}): Promise<BenchReport> {
  const started = performance.now();
  const date = new Date().toISOString();
  const machine = machineInfo();
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const model = await resolveModel(options.model, { seed: options.seed, cacheDir });
  const sequenceLength = Math.min(options.sequenceLength, model.config.textConfig.maxTokens);
  const flops: Record<Tower, number> = {
    image: imageFlops(model.config),
    text: textFlops(model.config, sequenceLength),
  };
  const plan: MeasurePlan = {
    towers: options.towers,
    batchSizes: options.batchSizes,
    warmup: options.warmup,
    repetitions: options.repetitions,
    sequenceLength,
    inputSeed: options.seed,
    referenceOnly: false,
  };
  const referenceTargeted = options.targets.some((t) => sameTarget(t, options.reference));
  const nodeTargets = options.targets.filter((t) => t.runtime === 'node');
  const browserTargets = options.targets.filter((t) => t.runtime === 'browser');

  const total =
    (referenceTargeted ? 0 : plannedUnits({ ...plan, referenceOnly: true })) +
    options.targets.length * plannedUnits(plan);
  let done = 0;
  const report = (label: string) => hooks.onProgress?.({ label, done: Math.min(done, total), total });
  const relay = (target: Target) => (event: MeasureProgress) => {
    if (event.phase === 'load' || event.phase === 'warmup' || event.phase === 'measure') done += 1;
    const where = event.tower ? ` ${event.tower}${event.batchSize ? ` b=${event.batchSize}` : ''}` : '';
    report(`${targetLabel(target)}${where} ${event.phase}`);
  };

  let roofline: RooflineInfo = {
    status: 'skipped',
    error: 'turned off (--no-roofline)',
    gflops: null,
    method: 'none',
  };
  if (options.roofline) {
    report('matmul roofline');
    roofline = await measureRoofline({ threads: options.threads });
  }

  const executor = options.isolate ? forkExecutor : inProcessExecutor;
  const job = (target: Target, targetPlan: MeasurePlan): GroupJob => ({
    backend: target.backend,
    device: target.device,
    dtype: target.dtype,
    threads: options.threads,
    model: { pretrained: model.pretrained, config: model.config.toJSON(), seed: model.seed },
    plan: targetPlan,
    goldenDir: targetPlan.referenceOnly ? undefined : model.goldenDir,
    importBackends: options.importBackends,
    isolated: options.isolate,
    cacheDir,
    timeoutMs: options.timeoutSeconds * 1000,
  });

  // A target counts its planned units once finished, however many calls a failure cut short.
  const measureTarget = async (target: Target, targetPlan: MeasurePlan): Promise<GroupOutcome> => {
    const start = done;
    const outcome = await executor(job(target, targetPlan), relay(target));
    done = start + plannedUnits(targetPlan);
    return outcome;
  };

  const outcomes = new Map<Target, GroupOutcome>();
  // The reference runs first: every other configuration is compared with its embeddings.
  let reference: ReferenceEmbeddings;
  const referenceOutcome = await measureTarget(
    options.reference,
    referenceTargeted ? plan : { ...plan, referenceOnly: true },
  );
  if (referenceTargeted)
    outcomes.set(options.targets.find((t) => sameTarget(t, options.reference))!, referenceOutcome);
  if (referenceOutcome.loadError !== undefined) {
    reference = {
      error: `reference ${targetLabel(options.reference)} failed to load: ${referenceOutcome.loadError}`,
    };
  } else {
    reference = {};
    const maxBatch = Math.max(...options.batchSizes);
    for (const tower of options.towers) {
      const m = referenceOutcome.measurements.find((x) => x.tower === tower && x.batchSize === maxBatch);
      if (m?.embeddings) reference[tower] = m.embeddings;
      else
        reference.error = `reference ${targetLabel(options.reference)} ${tower} failed: ${m?.error ?? 'no output'}`;
    }
  }

  for (const target of nodeTargets) {
    if (outcomes.has(target)) continue;
    outcomes.set(target, await measureTarget(target, plan));
  }
  let browserName: string | undefined;
  if (browserTargets.length > 0) {
    const runner = hooks.browserRunner ?? (await import('./browser.js')).runInBrowser;
    try {
      const browserOutcome = await runner(
        {
          targets: browserTargets,
          model,
          plan,
          threads: options.threads,
          timeoutMs: options.timeoutSeconds * 1000,
        },
        (target, event) => relay(target)(event),
      );
      browserName = browserOutcome.browser;
      done = total; // the browser targets come last
      for (const [i, target] of browserTargets.entries()) outcomes.set(target, browserOutcome.outcomes[i]);
    } catch (error) {
      const message = `browser run failed: ${errorMessage(error)}`;
      for (const target of browserTargets) {
        outcomes.set(target, loadFailure(message));
      }
    }
  }

  const results = options.targets.flatMap((target) =>
    resultsOf(target, outcomes.get(target)!, {
      towers: options.towers,
      batchSizes: options.batchSizes,
      flops,
      roofline,
      reference,
      isReference: sameTarget(target, options.reference),
      hasGoldens: model.goldenDir !== undefined,
    }),
  );

  let preprocessing: PreprocessingResult[] = [];
  if (options.preprocessing) {
    report('preprocessing');
    const { measurePreprocessing } = await import('./preprocessing.js');
    preprocessing = await measurePreprocessing(
      options.quick ? { repetitions: 1, subset: { lines: 2000, images: 12 } } : { repetitions: 5 },
    );
  }
  done = total;
  report('done');
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    date,
    machine: { ...machine, loadAverageEnd: loadavg(), ...(browserName ? { browser: browserName } : {}) },
    command: options.command,
    options: {
      model: options.model,
      targets: options.targets.map(targetLabel),
      towers: options.towers,
      batchSizes: options.batchSizes,
      warmup: options.warmup,
      repetitions: options.repetitions,
      threads: options.threads,
      sequenceLength,
      seed: options.seed,
      reference: targetLabel(options.reference),
      isolate: options.isolate,
      quick: options.quick,
      timeoutSeconds: options.timeoutSeconds,
      freeMemoryBytesAtStart: freemem(),
    },
    model: {
      ref: model.ref,
      preset: model.preset,
      randomWeights: model.seed !== null,
      seed: model.seed,
      imageSize: model.config.visionConfig.imageSize,
      sequenceLength,
      flopsPerImage: flops.image,
      flopsPerText: flops.text,
      parameters: parameterCount(model.config),
    },
    roofline,
    reference: {
      backend: options.reference.backend,
      device: options.reference.device,
      dtype: options.reference.dtype,
      status: reference.error ? 'failed' : 'ok',
      ...(reference.error ? { error: reference.error } : {}),
    },
    results,
    preprocessing,
    durationMs: performance.now() - started,
  };
}
