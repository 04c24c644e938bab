import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join, normalize, resolve } from 'node:path';
import { Tensor } from '@altclip/core';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compare, loadGolden, TINY_DIR } from './golden.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const ROOT = resolve(import.meta.dirname, '..', '..', '..');

/**
 * Bundles test/browser/entry.ts for the browser; core comes from source, Node-only imports stay external.
 * With code splitting, modules core imports both statically and dynamically become chunks instead of
 * lazily initialised wrappers (which left a module constant undefined in a single-file bundle).
 */
async function bundle(): Promise<Map<string, string>> {
  const result = await build({
    entryPoints: { bundle: join(import.meta.dirname, 'browser', 'entry.ts') },
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

/** Serves the bundle and the tiny fixture folder on 127.0.0.1. */
async function serve(scripts: Map<string, string>): Promise<Server> {
  const tiny = TINY_DIR as string;
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    try {
      if (url.pathname === '/') {
        response.setHeader('content-type', 'text/html');
        response.end('<!doctype html><script type="module" src="/bundle.js"></script>');
      } else if (scripts.has(url.pathname)) {
        response.setHeader('content-type', 'text/javascript');
        response.end(scripts.get(url.pathname));
      } else if (url.pathname.startsWith('/tiny/')) {
        const path = normalize(join(tiny, decodeURIComponent(url.pathname.slice('/tiny/'.length))));
        if (!path.startsWith(tiny)) throw new Error('outside the fixture folder');
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

describe.skipIf(!TINY_DIR || !haveChromium)('tiny goldens in headless Chromium', () => {
  let browser: Browser;
  let server: Server;

  beforeAll(async () => {
    server = await serve(await bundle());
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        // Software WebGL (SwiftShader) instead of a GPU.
        '--use-angle=swiftshader',
        '--enable-unsafe-swiftshader',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => server?.close(done));
  });

  it('webgl matches every tower and full-model golden', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => 'runGoldens' in globalThis);
    const run = await page.evaluate(() =>
      (globalThis as unknown as { runGoldens: (device: string) => Promise<unknown> }).runGoldens('webgl'),
    );
    await page.close();
    expect(errors).toEqual([]);
    const { devices, backend, leaked, remaining, results } = run as {
      devices: string[];
      backend: string;
      leaked: number;
      remaining: number;
      results: Record<string, Record<string, { dims: number[]; data: number[] }>>;
    };
    expect(devices).toContain('webgl');
    expect(backend).toBe('webgl');
    expect(leaked).toBe(0);
    expect(remaining).toBe(0);
    const golden = loadGolden();
    const maxErrors: Record<string, number> = {};
    const { readCase } = await import('./golden.js');
    let checked = 0;
    for (const c of golden.cases) {
      const outputs = results[c.name];
      if (!outputs) continue;
      const data = await readCase(c);
      for (const [name, spec] of Object.entries(c.outputs ?? {})) {
        const actual = outputs[name];
        expect(actual, `${c.name} ${name}`).toBeDefined();
        const { atol, rtol } = name.includes('attentions')
          ? golden.attention_tolerance
          : {
              atol: spec.atol ?? golden.default_tolerance.atol,
              rtol: spec.rtol ?? golden.default_tolerance.rtol,
            };
        const tensor = new Tensor('float32', Float32Array.from(actual.data), actual.dims);
        const { maxError, violations } = compare(tensor, data.get(spec.key) as Tensor, atol, rtol);
        const kind = name.replace(/\.\d+$/, '').replace(/^(text|vision)_model_output\./, '');
        maxErrors[kind] = Math.max(maxErrors[kind] ?? 0, maxError);
        expect(violations, `${c.name} ${name}: max error ${maxError}`).toBe(0);
        checked++;
      }
    }
    console.info(
      `[tfjs webgl, headless Chromium] ${checked} outputs, max abs error: ${JSON.stringify(maxErrors)}`,
    );
    expect(checked).toBeGreaterThan(100);
  });
});
