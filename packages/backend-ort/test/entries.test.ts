import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('package entries', () => {
  it('the browser entry reaches neither onnxruntime-node nor node:* modules', async () => {
    const result = await build({
      entryPoints: [join(import.meta.dirname, '..', 'src', 'browser.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      metafile: true,
      external: ['onnxruntime-web', 'onnx-proto', '@altclip/core'],
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((path) => path.includes('src/node/'))).toBe(false);
    const imports = Object.values(result.metafile.outputs).flatMap((output) =>
      output.imports.map((i) => i.path),
    );
    expect(imports.filter((path) => path.startsWith('node:') || path === 'onnxruntime-node')).toEqual([]);
    expect(imports).toContain('onnxruntime-web');
  });
});
