import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { basename, dirname, join, normalize, resolve } from 'node:path';
import { build } from 'esbuild';

// Node-side helpers for the headless Chromium runs: bundle an entry, serve it, launch the browser.

const ROOT = resolve(import.meta.dirname, '..', '..', '..', '..');
const WASM_DIST = dirname(
  createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'),
);

/**
 * Bundles a browser entry (as `/bundle.js` plus chunks); core comes from source, Node-only imports stay
 * external. With code splitting, modules core imports both statically and dynamically become chunks
 * instead of lazily initialised wrappers (which left a module constant undefined in a single-file bundle).
 */
export async function bundle(entry: string): Promise<Map<string, string>> {
  const result = await build({
    entryPoints: { bundle: entry },
    bundle: true,
    write: false,
    splitting: true,
    outdir: '/',
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // Dynamically imported by core on Node only (hub downloads, .bin reading).
    external: ['node:*', '@huggingface/hub', 'yauzl'],
    alias: { '@altclip/core': join(ROOT, 'packages', 'core', 'src', 'index.ts') },
    logLevel: 'error',
  });
  return new Map(result.outputFiles.map((file) => [`/${basename(file.path)}`, file.text]));
}

/**
 * Serves the bundle, tfjs' wasm binaries under `/wasm/`, and each folder of `folders` under `/<name>/`,
 * on 127.0.0.1, cross-origin isolated.
 */
export async function serve(scripts: Map<string, string>, folders: Record<string, string>): Promise<Server> {
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    try {
      // Cross-origin isolation gives the page SharedArrayBuffer, so tfjs picks its threaded SIMD wasm build.
      response.setHeader('cross-origin-opener-policy', 'same-origin');
      response.setHeader('cross-origin-embedder-policy', 'require-corp');
      const [, first = '', ...rest] = url.pathname.split('/');
      if (url.pathname === '/') {
        response.setHeader('content-type', 'text/html');
        response.end('<!doctype html><script type="module" src="/bundle.js"></script>');
      } else if (scripts.has(url.pathname)) {
        response.setHeader('content-type', 'text/javascript');
        response.end(scripts.get(url.pathname));
      } else if (first === 'wasm' && url.pathname.endsWith('.wasm')) {
        response.setHeader('content-type', 'application/wasm');
        response.end(await readFile(join(WASM_DIST, basename(url.pathname))));
      } else if (folders[first]) {
        const path = normalize(join(folders[first], decodeURIComponent(rest.join('/'))));
        if (!path.startsWith(folders[first])) throw new Error('outside the served folder');
        response.end(await readFile(path));
      } else {
        response.statusCode = 404;
        response.end();
      }
    } catch {
      response.statusCode = 404;
      response.end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return server;
}
