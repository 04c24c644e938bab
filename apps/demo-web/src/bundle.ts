// Builds the page into dist/www: src/page/app.ts (compiled to dist/page/app.js by tsc) bundled for browsers with
// esbuild, index.html, and the wasm files of the image decoders.
import { copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';

const distDir = import.meta.dirname;
const packageDir = join(distDir, '..');
/** Where the served bundle and the image decoders' wasm files go. */
export const PAGE_DIR = join(distDir, 'www');

/**
 * Modules core imports lazily on paths the page never takes (reading `.bin` zips from disk, hub downloads; the
 * page fetches its model files itself): replaced by a module that throws, so their Node built-ins stay out.
 */
const NODE_ONLY_MODULES = ['yauzl', '@huggingface/hub'];

function stubModules(names: readonly string[]): Plugin {
  const filter = new RegExp(`^(${names.map((n) => n.replace(/[/.]/g, '\\$&')).join('|')})$`);
  return {
    name: 'altclip-demo-stubs',
    setup(builder) {
      builder.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'altclip-stub' }));
      builder.onLoad({ filter: /.*/, namespace: 'altclip-stub' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(`${args.path} is not available in the demo page`)});`,
      }));
    },
  };
}

export async function bundlePage(): Promise<void> {
  await build({
    entryPoints: [join(distDir, 'page', 'app.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(PAGE_DIR, 'app.js'),
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
    // Node-only code paths are behind run-time checks and never load in the page.
    external: ['node:*', 'onnxruntime-node', 'sharp'],
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [stubModules(NODE_ONLY_MODULES)],
  });
  copyFileSync(join(packageDir, 'src', 'page', 'index.html'), join(PAGE_DIR, 'index.html'));
  // The image decoders fetch their wasm beside the module that loads them (new URL('…', import.meta.url)).
  const fromImageProcessor = createRequire(import.meta.resolve('@altclip/image-processor'));
  copyFileSync(
    fromImageProcessor.resolve('@cwasm/jpeg-turbo/jpeg-turbo.wasm'),
    join(PAGE_DIR, 'jpeg-turbo.wasm'),
  );
  copyFileSync(
    fromImageProcessor.resolve('@jsquash/webp/codec/dec/webp_dec.wasm'),
    join(PAGE_DIR, 'webp_dec.wasm'),
  );
}

if (process.argv[1] === import.meta.filename) await bundlePage();
