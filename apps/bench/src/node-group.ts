import { join } from 'node:path';
import {
  AltCLIPModel,
  configFromJSON,
  type Device,
  type DType,
  openSafetensors,
  resolveBackend,
  type Tensor,
} from '@altclip/core';
import {
  errorMessage,
  GOLDEN_CASES,
  type GoldenInputs,
  type GroupOutcome,
  type MeasurePlan,
  type MeasureProgress,
  measureGroup,
} from './measure.js';

/** One backend × device × dtype to measure in Node: what a worker process receives. */
export interface GroupJob {
  backend: string;
  device: Device;
  dtype: DType;
  threads: number;
  model: { pretrained?: string; config: Record<string, unknown>; seed: number | null };
  plan: MeasurePlan;
  goldenDir?: string;
  /** Import the project's backend packages first (off in tests that register fake backends). */
  importBackends: boolean;
  /** A separate process: its peak RSS is this group's own. */
  isolated: boolean;
  cacheDir?: string;
  /** A worker still busy after this long is killed and the target reported as failed. */
  timeoutMs?: number;
}

/**
 * Imports the backend packages so that they register themselves; a package that fails to import leaves its
 * backends unregistered, and their configurations fail with core's "not registered" error plus this reason.
 */
export async function importBackendPackages(): Promise<string[]> {
  const problems: string[] = [];
  for (const name of ['@altclip/backend-ort', '@altclip/backend-tfjs']) {
    try {
      await import(name);
    } catch (error) {
      problems.push(`${name} failed to import: ${errorMessage(error)}`);
    }
  }
  return problems;
}

/**
 * Thread settings in the form each backend reads them: onnxruntime-node per session, onnxruntime-web and
 * tfjs-backend-wasm once per process, before their wasm module starts (so before the first model loads).
 */
async function applyThreads(
  backend: string,
  device: Device,
  threads: number,
): Promise<Record<string, unknown>> {
  if (backend === 'ort-node') return { intraOpNumThreads: threads };
  if (backend === 'ort-web') {
    // The backend sets its default when it initialises; the wasm runtime starts with the first session.
    await resolveBackend('ort-web');
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = threads;
  }
  if (backend === 'tfjs' && device === 'wasm') {
    const { setThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
    setThreadsCount(threads);
  }
  return {};
}

/** The tiny fixture's feature goldens (one text and one image case). */
export async function readGoldens(goldenDir: string): Promise<GoldenInputs[]> {
  const goldens: GoldenInputs[] = [];
  for (const { tower, case: name, output } of GOLDEN_CASES) {
    const store = await openSafetensors(join(goldenDir, `${name}.safetensors`));
    try {
      const expected = (await store.getFloat32(output)).data;
      const inputs =
        tower === 'image'
          ? { pixelValues: (await store.getFloat32('pixel_values')) as Tensor<'float32'> }
          : {
              inputIds: (await store.get('input_ids')) as Tensor<'int64'>,
              attentionMask: (await store.get('attention_mask')) as Tensor<'int64'>,
            };
      const rows = (tower === 'image' ? inputs.pixelValues! : inputs.inputIds!).dims[0];
      goldens.push({ tower, case: name, inputs, expected: Float32Array.from(expected), rows });
    } finally {
      await store.close();
    }
  }
  return goldens;
}

/** Runs one group in this process. */
export async function runGroup(
  job: GroupJob,
  onProgress?: (event: MeasureProgress) => void,
): Promise<GroupOutcome> {
  const importProblems = job.importBackends ? await importBackendPackages() : [];
  const config = configFromJSON(job.model.config);
  const goldens = job.goldenDir ? await readGoldens(job.goldenDir) : [];
  const load = async () => {
    try {
      const backendOptions = await applyThreads(job.backend, job.device, job.threads);
      const options = {
        backend: job.backend,
        device: job.device,
        dtype: job.dtype,
        backendOptions,
        cacheDir: job.cacheDir,
      };
      if (job.model.pretrained) return await AltCLIPModel.fromPretrained(job.model.pretrained, options);
      return await AltCLIPModel.fromConfig(config, { ...options, seed: job.model.seed ?? 0 });
    } catch (error) {
      if (importProblems.length === 0) throw error;
      throw new Error(`${errorMessage(error)} (${importProblems.join('; ')})`, { cause: error });
    }
  };
  const probe = {
    heapBytes: () => process.memoryUsage().heapUsed,
    // getrusage's maxrss is the peak of the whole process: this group's own only in a worker of its own.
    rssBytes: () => (job.isolated ? process.resourceUsage().maxRSS * 1024 : null),
  };
  return measureGroup(load, config, job.plan, probe, goldens, onProgress);
}
