import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const PACKAGE_DIR = join(import.meta.dirname, '..');
const VITE_NODE = join(PACKAGE_DIR, '..', '..', 'node_modules', 'vite-node', 'vite-node.mjs');

/** Runs test/wasm-exit-script.ts in a child process: a wasm matMul, then the process must end by itself. */
async function runChild(env: NodeJS.ProcessEnv = {}) {
  // Without unref'd pthread workers the child would never exit, and the timeout would fail the test.
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [VITE_NODE, '-c', 'vitest.config.ts', 'test/wasm-exit-script.ts'],
    { cwd: PACKAGE_DIR, timeout: 60_000, env: { ...process.env, ...env } },
  );
  return { result: JSON.parse(stdout.trim().split('\n').at(-1) as string), stderr };
}

describe('threaded wasm in Node', () => {
  it('computes with one thread per core and lets the process exit by itself', async () => {
    const { result } = await runChild();
    expect(result).toEqual({ threads: Math.min(availableParallelism(), 8), sum: 256 ** 3 });
  });

  // With one core the threaded build is never tried.
  it.skipIf(availableParallelism() < 2)(
    'falls back to the single-threaded build, with a warning, when threads cannot start',
    async () => {
      // The worker script cannot be written under a file.
      const { result, stderr } = await runChild({ TMPDIR: '/dev/null/no-folder' });
      expect(result).toEqual({ threads: 1, sum: 256 ** 3 });
      expect(stderr).toContain("tfjs' threaded wasm build did not start in Node");
    },
  );
});
