// Bundled by esbuild and run in the headless browser page (see browser.ts): measures one target per page.
import { ortWebBackend } from '@altclip/backend-ort';
import { tfjsBackend } from '@altclip/backend-tfjs';
import {
  AltCLIPModel,
  configFromJSON,
  type Device,
  type DType,
  readSafetensors,
  registerBackend,
  resolveBackend,
  type Tensor,
} from '@altclip/core';
import type { GoldenInputs, GroupOutcome, MeasurePlan, MeasureProgress } from './measure.js';
import { errorMessage, loadFailure, measureGroup } from './measure.js';
import type { Tower } from './report.js';

export interface BrowserTargetJob {
  backend: string;
  device: Device;
  dtype: DType;
  threads: number;
  plan: MeasurePlan;
  config: Record<string, unknown>;
  /** URL of model.safetensors on the bench's server, or undefined for in-memory random weights. */
  weightsUrl?: string;
  seed: number | null;
  /** URLs of the tiny fixture's golden cases. */
  goldens?: { tower: Tower; case: string; url: string; output: string }[];
}

/** What the page returns: typed arrays become plain arrays to cross the page boundary. */
export type SerializedOutcome = Omit<GroupOutcome, 'measurements'> & {
  measurements: (Omit<GroupOutcome['measurements'][number], 'embeddings'> & {
    embeddings: number[] | null;
  })[];
};

declare global {
  interface Window {
    benchProgress?: (event: MeasureProgress) => void;
    altclipBench: { runTarget(job: BrowserTargetJob): Promise<SerializedOutcome> };
  }
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function readGoldens(specs: NonNullable<BrowserTargetJob['goldens']>): Promise<GoldenInputs[]> {
  const goldens: GoldenInputs[] = [];
  for (const spec of specs) {
    const store = readSafetensors(await fetchBytes(spec.url), spec.case);
    const inputs =
      spec.tower === 'image'
        ? { pixelValues: (await store.getFloat32('pixel_values')) as Tensor<'float32'> }
        : {
            inputIds: (await store.get('input_ids')) as Tensor<'int64'>,
            attentionMask: (await store.get('attention_mask')) as Tensor<'int64'>,
          };
    const rows = (spec.tower === 'image' ? inputs.pixelValues! : inputs.inputIds!).dims[0];
    goldens.push({
      tower: spec.tower,
      case: spec.case,
      inputs,
      expected: Float32Array.from((await store.getFloat32(spec.output)).data),
      rows,
    });
  }
  return goldens;
}

/** Thread counts and wasm file locations, set before the runtimes start their wasm modules. */
async function prepareRuntime(job: BrowserTargetJob): Promise<Record<string, unknown>> {
  if (job.backend === 'ort-web') {
    await resolveBackend('ort-web');
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = job.threads;
    ort.env.wasm.wasmPaths = new URL('/ort/', location.href).href;
    return {};
  }
  if (job.backend === 'tfjs') {
    // tfjs' webgpu backend registers itself on import, as in an application that uses it.
    if (job.device === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
    const { setThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
    setThreadsCount(job.threads);
    return { wasmPaths: new URL('/tfjs-wasm/', location.href).href };
  }
  return {};
}

async function runTarget(job: BrowserTargetJob): Promise<SerializedOutcome> {
  const config = configFromJSON(job.config);
  const goldens = job.goldens ? await readGoldens(job.goldens) : [];
  const load = async () => {
    const backendOptions = await prepareRuntime(job);
    const options = { backend: job.backend, device: job.device, dtype: job.dtype, backendOptions };
    if (job.weightsUrl) {
      const weights = readSafetensors(await fetchBytes(job.weightsUrl), 'model.safetensors');
      return AltCLIPModel.fromWeights(config, weights, options);
    }
    return AltCLIPModel.fromConfig(config, { ...options, seed: job.seed ?? 0 });
  };
  const memory = () => (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
  const probe = { heapBytes: () => memory()?.usedJSHeapSize ?? null, rssBytes: () => null };
  let outcome: GroupOutcome;
  try {
    outcome = await measureGroup(load, config, job.plan, probe, goldens, (event) =>
      window.benchProgress?.(event),
    );
  } catch (error) {
    outcome = loadFailure(errorMessage(error));
  }
  return {
    ...outcome,
    measurements: outcome.measurements.map((m) => ({
      ...m,
      embeddings: m.embeddings ? Array.from(m.embeddings) : null,
    })),
  };
}

// The packages register themselves on import, but @altclip/backend-tfjs declares `"sideEffects": false`, so a
// bundler drops a bare `import '…'` of it; registering the imported instances again (same name, same priority)
// keeps both backends whatever their package.json says.
registerBackend('ort-web', ortWebBackend, 50);
registerBackend('tfjs', tfjsBackend, 10);

window.altclipBench = { runTarget };
