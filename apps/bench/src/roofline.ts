import onnxProto from 'onnx-proto';
import type { RooflineInfo } from './report.js';

const { onnx } = onnxProto;
const FLOAT = 1;

/** A one-node ONNX model `C = A × B` with float32 `[n, n]` inputs. */
function matmulModel(n: number): Uint8Array {
  const square = (name: string) => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimValue: n }, { dimValue: n }] } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: '@altclip/bench',
    graph: {
      name: 'roofline',
      node: [{ opType: 'MatMul', input: ['a', 'b'], output: ['c'] }],
      input: [square('a'), square('b')],
      output: [square('c')],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

export interface RooflineOptions {
  threads: number;
  /** Matrix side; 1024 keeps one product at 2.1 GFLOP (tens of ms on a laptop core). */
  size?: number;
  /** Stop after this many milliseconds of products (at least `minRuns`). */
  budgetMs?: number;
  minRuns?: number;
}

/**
 * The float32 matmul peak of this machine in this run: onnxruntime-node (MLAS sgemm) on one square product,
 * best of several runs, with the thread count the bench uses. Achieved model GFLOP/s are shown as a fraction
 * of it, which says how much of the machine's dense-math speed each backend turns into model throughput.
 */
export async function measureRoofline(options: RooflineOptions): Promise<RooflineInfo> {
  const size = options.size ?? 1024;
  const method = `onnxruntime-node MatMul ${size}x${size}x${size} float32, ${options.threads} thread(s), best run`;
  try {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(matmulModel(size), {
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
    });
    try {
      const data = new Float32Array(size * size).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
      const a = new ort.Tensor('float32', data, [size, size]);
      const b = new ort.Tensor('float32', data.slice().reverse(), [size, size]);
      const flops = 2 * size ** 3;
      let best = Number.POSITIVE_INFINITY;
      const started = performance.now();
      const budget = options.budgetMs ?? 1500;
      const minRuns = options.minRuns ?? 5;
      await session.run({ a, b }); // warm-up: first-run allocations and thread-pool start
      for (let run = 0; run < minRuns || performance.now() - started < budget; run++) {
        const t0 = performance.now();
        await session.run({ a, b });
        best = Math.min(best, performance.now() - t0);
      }
      return { status: 'ok', gflops: flops / (best / 1000) / 1e9, method };
    } finally {
      await session.release();
    }
  } catch (error) {
    return { status: 'failed', error: (error as Error).message ?? String(error), gflops: null, method };
  }
}
