import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium } from '../../../tools/chromium.js';
import { goldenSuite } from '../../../tools/goldens.js';

const suite = goldenSuite();

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const ORT_DIST = join(ROOT, 'node_modules', 'onnxruntime-web', 'dist');
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/** Serves a URL prefix from a folder, refusing paths that leave it. */
function serveFrom(folder: string, path: string): { body: Buffer; type: string } | undefined {
  const file = normalize(join(folder, decodeURIComponent(path)));
  if (!file.startsWith(folder) || !existsSync(file) || !statSync(file).isFile()) return undefined;
  return { body: readFileSync(file), type: TYPES[extname(file)] ?? 'application/octet-stream' };
}

describe.skipIf(!suite || !haveChromium())(
  'headless Chromium (ort-web wasm and webgpu, browser entry)',
  () => {
    let server: Server;
    let origin: string;
    let bundleDir: string;

    beforeAll(async () => {
      bundleDir = mkdtempSync(join(tmpdir(), 'altclip-ort-browser-'));
      await build({
        entryPoints: [join(import.meta.dirname, 'browser', 'page.ts')],
        bundle: true,
        format: 'esm',
        platform: 'browser',
        outdir: bundleDir,
        // Core reaches the hub client (Node file APIs) only through lazy imports; splitting keeps them out of the page.
        splitting: true,
        external: [...builtinModules, 'node:*'],
        alias: { '@altclip/core': join(ROOT, 'packages', 'core', 'src', 'index.ts') },
        // The wasm glue is loaded from /ort/ at run time (env.wasm.wasmPaths), not bundled.
        conditions: ['onnxruntime-web-use-extern-wasm'],
        logLevel: 'warning',
      });
      server = createServer((request, response) => {
        const url = new URL(request.url ?? '/', 'http://127.0.0.1');
        const routes: [string, string][] = [
          ['/ort/', ORT_DIST],
          ['/model/', suite!.modelDir],
          ['/', bundleDir],
        ];
        const found =
          url.pathname === '/'
            ? {
                body: Buffer.from('<!doctype html><script type="module" src="/page.js"></script>'),
                type: 'text/html',
              }
            : undefined;
        const route = routes.find(([prefix]) => url.pathname.startsWith(prefix));
        const file = found ?? (route ? serveFrom(route[1], url.pathname.slice(route[0].length)) : undefined);
        if (!file) {
          response.writeHead(404).end();
          return;
        }
        // Cross-origin isolation lets the wasm runtime use threads.
        response.writeHead(200, {
          'content-type': file.type,
          'cross-origin-opener-policy': 'same-origin',
          'cross-origin-embedder-policy': 'require-corp',
        });
        response.end(file.body);
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      const address = server.address();
      origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    });

    afterAll(async () => {
      if (server) await new Promise((done) => server.close(done));
      rmSync(bundleDir, { recursive: true, force: true });
    });

    for (const device of ['wasm', 'webgpu'] as const) {
      it(`full_2x4_no_loss golden through AltCLIPModel on ort-web ${device}`, async () => {
        // WebGPU runs on SwiftShader's Vulkan here (no GPU): slow, but the same WGSL kernels as on a GPU.
        const browser = await launchChromium({ webgpu: device === 'webgpu' });
        try {
          const page = await browser.newPage();
          const errors: string[] = [];
          page.on('pageerror', (error) => errors.push(error.message));
          await page.goto(origin);
          await page.waitForFunction(() => typeof window.runGolden === 'function', undefined, {
            timeout: 30_000,
          });
          const result = await page.evaluate(([file, on]) => window.runGolden(file, on), [
            'full_2x4_no_loss.safetensors',
            device,
          ] as const);
          expect(errors).toEqual([]);
          expect(result.device).toBe(device);
          if (device === 'webgpu') expect(result.gpuAdapter).toBe('google swiftshader');
          for (const [name, error] of Object.entries(result.errors)) expect(error, name).toBeLessThan(1e-4);
          console.log(`ort-web ${device} in Chromium: ${JSON.stringify(result)}`);
        } finally {
          await browser.close();
        }
      });
    }
  },
);
