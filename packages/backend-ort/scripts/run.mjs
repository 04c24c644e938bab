// Bundles a TypeScript script of this package (core from source) with esbuild and runs it:
//   node scripts/run.mjs speed [args...]
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const [name, ...args] = process.argv.slice(2);
const here = import.meta.dirname;
const outdir = join(here, '..', '..', '..', 'node_modules', '.cache', 'altclip-backend-ort', name);
execFileSync(
  join(here, '..', '..', '..', 'node_modules', '.bin', 'esbuild'),
  [
    join(here, `${name}.ts`),
    '--bundle',
    '--platform=node',
    '--format=esm',
    // Splitting keeps core's lazy imports as chunks (no lazily initialised module wrappers).
    '--splitting',
    `--outdir=${outdir}`,
    '--out-extension:.js=.mjs',
    `--alias:@altclip/core=${join(here, '..', '..', 'core', 'src', 'index.ts')}`,
    '--external:onnxruntime-node',
    '--external:onnxruntime-web',
    '--external:onnx-proto',
    '--log-level=warning',
    `--banner:js=import { createRequire as bannerCreateRequire } from 'node:module'; const require = bannerCreateRequire(import.meta.url);`,
  ],
  { stdio: 'inherit' },
);
// The bundle lives elsewhere, so the fixtures folder is handed over explicitly.
const fixtures = process.env.ALTCLIP_FIXTURES_DIR ?? join(here, '..', '..', '..', '..', 'shared', 'fixtures');
execFileSync(process.execPath, [join(outdir, `${name}.mjs`), ...args], {
  stdio: 'inherit',
  env: { ...process.env, ALTCLIP_FIXTURES_DIR: fixtures },
});
