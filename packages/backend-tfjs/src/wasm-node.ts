/**
 * Node only (package.json `browser` maps it to nothing): starts tfjs' threaded SIMD wasm build with
 * worker_threads. tfjs 4.22 never does in Node (its WASM_HAS_MULTITHREAD_SUPPORT flag is false there, and
 * its init hands emscripten Blob URLs, which worker_threads cannot load), although emscripten's pthread
 * worker code runs in Node. So this file instantiates the threaded build itself: the worker script is
 * written once to a cache folder, the main script is the package's own file, and the result is handed to
 * tfjs' `BackendWasm`, as tfjs' init does.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import { BackendWasm, setThreadsCount, version_wasm } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);
const PACKAGE = '@tensorflow/tfjs-backend-wasm';
/** tfjs-backend-wasm's own priority for 'wasm'. */
const WASM_PRIORITY = 2;

type BackendFactory = () => tf.KernelBackend | Promise<tf.KernelBackend>;

/** The emscripten module of the threaded build, as far as it is used here. */
interface ThreadedModule {
  cwrap(name: string, returns: string | null, args: string[]): (...args: number[]) => number;
  tfjs?: Record<string, (...args: number[]) => number>;
  PThread: { runningWorkers: { unref(): void }[]; unusedWorkers: { terminate(): unknown }[] };
}

type ThreadedFactory = (config: Record<string, unknown>) => Promise<ThreadedModule>;

/** tfjs' own factory (the single-threaded SIMD build in Node), kept as the fallback. */
let tfjsFactory: BackendFactory | undefined;

/** tfjs' thread pool holds at most 8 threads (it pre-starts 8 pthread workers). */
const MAX_WASM_THREADS = 8;

/** The default thread count in Node: the logical cores, at most 8. */
export function defaultWasmThreads(): number {
  return Math.min(availableParallelism(), MAX_WASM_THREADS);
}

/**
 * Registers the 'wasm' backend so that it starts with `threads` XNNPACK threads (the threaded build;
 * tfjs' single-threaded build when `threads` is 1). A wasm backend already started is stopped first,
 * which disposes its tensors.
 */
export function registerNodeWasm(threads: number): void {
  tfjsFactory ??= tf.findBackendFactory('wasm') as BackendFactory;
  const fallback = tfjsFactory;
  if (tf.findBackendFactory('wasm')) tf.removeBackend('wasm');
  if (threads <= 1) {
    tf.registerBackend('wasm', fallback, WASM_PRIORITY);
    return;
  }
  tf.registerBackend(
    'wasm',
    async () => {
      try {
        return await startThreaded(threads);
      } catch (error) {
        console.warn(
          `@altclip/backend-tfjs: tfjs' threaded wasm build did not start in Node (${(error as Error).message ?? error}); using its single-threaded SIMD build`,
        );
        return fallback();
      }
    },
    WASM_PRIORITY,
  );
}

async function startThreaded(threads: number): Promise<tf.KernelBackend> {
  const mainScript = require.resolve(`${PACKAGE}/wasm-out/tfjs-backend-wasm-threaded-simd.js`);
  const factory = require(mainScript) as ThreadedFactory;
  const wasmBinary = readFileSync(require.resolve(`${PACKAGE}/dist/tfjs-backend-wasm-threaded-simd.wasm`));
  const workerScript = cachedWorkerScript();
  let failInstantiation: (error: unknown) => void = () => undefined;
  const instantiationFailed = new Promise<never>((_, reject) => {
    failInstantiation = reject;
  });
  const starting = factory({
    locateFile: (path: string) => (path.endsWith('.worker.js') ? workerScript : path),
    // Each pthread worker evaluates this file (emscripten's Node branch reads it with fs).
    mainScriptUrlOrBlob: mainScript,
    instantiateWasm(
      imports: { env: Record<string, unknown> },
      receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
    ) {
      // tfjs caps its thread pool at this count / 2 (it assumes two hyperthreads per core), read once
      // when the module starts; reporting twice the wanted threads lets setThreadsCount have them all.
      imports.env.emscripten_num_logical_cores = () => 2 * threads;
      WebAssembly.instantiate(wasmBinary, imports as WebAssembly.Imports).then(
        ({ instance, module: compiled }) => receive(instance, compiled),
        (error) => failInstantiation(error),
      );
      return {};
    },
  });
  const module = await Promise.race([starting, instantiationFailed]);
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  setThreadsCount(threads);
  // Starts the XNNPACK thread pool (threads - 1 pthreads; the calling thread is the other one).
  const backend = new BackendWasm(module as never);
  // emscripten keeps a running pthread's worker referenced, which would keep Node alive forever; the
  // pool's workers only ever wait for work, so they must not. The 8 idle workers emscripten pre-starts are
  // not needed any more (the pool is fixed): free their isolates.
  for (const worker of module.PThread.runningWorkers) worker.unref();
  for (const worker of module.PThread.unusedWorkers) worker.terminate();
  module.PThread.unusedWorkers.length = 0;
  return backend;
}

/**
 * emscripten's pthread worker script (tfjs ships it as a string), written once per user and tfjs version,
 * since worker_threads needs a file. Written to a temporary name and renamed, so that concurrent processes
 * never see a partial file.
 */
function cachedWorkerScript(): string {
  const { wasmWorkerContents } = require(`${PACKAGE}/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js`) as {
    wasmWorkerContents: string;
  };
  // As tfjs does for its Blob: the string's own newline escapes were turned into newlines by the template.
  const contents = wasmWorkerContents.replace(/\n/g, '\\n');
  // A syntax error would surface as an uncaught error in a worker, not as a rejection: check it first.
  new Script(contents, { filename: 'tfjs-backend-wasm-threaded-simd.worker.cjs' });
  // Per user, private: other users cannot swap the script the workers run.
  const folder = join(tmpdir(), `altclip-tfjs-wasm-${process.getuid?.() ?? 'user'}`, version_wasm);
  const file = join(folder, 'tfjs-backend-wasm-threaded-simd.worker.cjs');
  let current: string | undefined;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    current = undefined;
  }
  if (current !== contents) {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, contents);
    renameSync(partial, file);
  }
  return file;
}
