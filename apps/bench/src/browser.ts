import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import type { Plugin } from 'esbuild';
import type { CDPSession } from 'playwright-core';
import type { BrowserTargetJob, SerializedOutcome } from './browser-entry.js';
import { BenchError } from './errors.js';
import type { GroupOutcome } from './measure.js';
import { errorMessage, GOLDEN_CASES, loadFailure } from './measure.js';
import type { BrowserRunner } from './run.js';

const require = createRequire(import.meta.url);

/** Debian's Chromium; the bench never downloads a browser. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  // WebGL without a GPU: ANGLE on SwiftShader (software), which Chromium only allows when asked to.
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  // WebGPU without a GPU: Dawn on SwiftShader's Vulkan (pages are served from 127.0.0.1, a secure context).
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  // performance.memory rounds heavily unless asked for precise figures.
  '--enable-precise-memory-info',
];

const MIME: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.safetensors': 'application/octet-stream',
};

/**
 * Packages that core imports lazily on paths the page never takes (reading `.bin` zips from disk, hub downloads;
 * the page gets its weights over HTTP) and that pull in Node built-ins: replaced by a module that throws.
 */
const NODE_ONLY_MODULES = ['yauzl', '@huggingface/hub'];

function stubModules(names: readonly string[]): Plugin {
  const filter = new RegExp(`^(${names.map((n) => n.replace(/[/.]/g, '\\$&')).join('|')})$`);
  return {
    name: 'altclip-bench-stubs',
    setup(build) {
      build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'altclip-stub' }));
      build.onLoad({ filter: /.*/, namespace: 'altclip-stub' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(`${args.path} is not available in the bench page`)});`,
      }));
    },
  };
}

/** Bundles browser-entry.js (next to this file) with the backends for the browser. */
async function bundle(outDir: string): Promise<string> {
  const entry = join(import.meta.dirname, 'browser-entry.js');
  if (!existsSync(entry)) throw new BenchError(`${entry} is missing: build the bench first (npm run build)`);
  const esbuild = await import('esbuild');
  const outfile = join(outDir, 'bench.js');
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile,
    logLevel: 'silent',
    // Node-only code paths are behind run-time checks; their modules never load in the page.
    external: ['node:*', 'onnxruntime-node', 'sharp'],
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [stubModules(NODE_ONLY_MODULES)],
  });
  return outfile;
}

/** Files the page may fetch: the bundle, the runtimes' wasm files, the model and its goldens. */
function serve(routes: Record<string, string>): Promise<{ server: Server; origin: string }> {
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(url.pathname);
    const prefix = Object.keys(routes)
      .filter((p) => path === p || (p.endsWith('/') && path.startsWith(p)))
      .sort((a, b) => b.length - a.length)[0];
    // Cross-origin isolation: SharedArrayBuffer, hence multi-threaded wasm, needs these two headers.
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    };
    if (!prefix) {
      response.writeHead(404, headers).end();
      return;
    }
    const base = routes[prefix];
    const file = prefix.endsWith('/') ? normalize(join(base, path.slice(prefix.length))) : base;
    if (prefix.endsWith('/') && !file.startsWith(resolve(base))) {
      response.writeHead(403, headers).end();
      return;
    }
    try {
      const body = await readFile(file);
      response
        .writeHead(200, { ...headers, 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' })
        .end(body);
    } catch {
      response.writeHead(404, headers).end();
    }
  });
  return new Promise((resolvePromise) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolvePromise({ server, origin: `http://127.0.0.1:${port}` });
    });
  });
}

/**
 * Peak resident memory (Linux VmHWM) of the largest renderer process, read while the target's page is the only
 * page open: that renderer holds the page's JS heap and wasm memory. The GPU process (WebGL) is shared by all pages
 * and not counted. Null where /proc is not available.
 */
async function rendererPeakRss(cdp: CDPSession): Promise<number | null> {
  try {
    const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as {
      processInfo: { type: string; id: number }[];
    };
    let peak: number | null = null;
    for (const { type, id } of processInfo) {
      if (type !== 'renderer') continue;
      const status = await readFile(`/proc/${id}/status`, 'utf8').catch(() => '');
      const kilobytes = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
      if (kilobytes) peak = Math.max(peak ?? 0, Number(kilobytes) * 1024);
    }
    return peak;
  } catch {
    return null;
  }
}

function deserialize(outcome: SerializedOutcome): GroupOutcome {
  return {
    ...outcome,
    measurements: outcome.measurements.map((m) => ({
      ...m,
      embeddings: m.embeddings ? Float32Array.from(m.embeddings) : null,
    })),
  };
}

/**
 * Measures the browser targets in headless Chromium (playwright-core driving the system browser), one fresh
 * page per target so that runtimes and memory do not carry over.
 */
export const runInBrowser: BrowserRunner = async (job, onProgress) => {
  const executablePath = process.env.ALTCLIP_CHROMIUM ?? DEFAULT_CHROMIUM;
  if (!existsSync(executablePath)) {
    throw new BenchError(
      `no Chromium at ${executablePath} (install Debian's chromium, or set ALTCLIP_CHROMIUM)`,
    );
  }
  const workDir = await mkdtemp(join(tmpdir(), 'altclip-bench-'));
  const { chromium } = await import('playwright-core');
  let server: Server | undefined;
  let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined;
  try {
    const bundleFile = await bundle(workDir);
    const routes: Record<string, string> = {
      '/': join(workDir, 'index.html'),
      '/bench.js': bundleFile,
      // Both packages keep their wasm files in dist/, beside their main files.
      '/ort/': `${dirname(require.resolve('onnxruntime-web'))}/`,
      '/tfjs-wasm/': `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`,
    };
    if (job.model.pretrained && existsSync(job.model.pretrained))
      routes['/model/'] = `${job.model.pretrained}/`;
    if (job.model.goldenDir) routes['/golden/'] = `${job.model.goldenDir}/`;
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      routes['/'],
      '<!doctype html><meta charset="utf-8"><script type="module" src="/bench.js"></script>',
    );
    const served = await serve(routes);
    server = served.server;
    browser = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS, headless: true });
    const cdp = await browser.newBrowserCDPSession();
    const outcomes: GroupOutcome[] = [];
    for (const target of job.targets) {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      try {
        await page.exposeFunction('benchProgress', (event: Parameters<typeof onProgress>[1]) =>
          onProgress(target, event),
        );
        await page.goto(`${served.origin}/`);
        await page.waitForFunction(() => 'altclipBench' in window, undefined, { timeout: 60_000 });
        const targetJob: BrowserTargetJob = {
          backend: target.backend,
          device: target.device,
          dtype: target.dtype,
          threads: job.threads,
          plan: job.plan,
          config: job.model.config.toJSON(),
          weightsUrl: routes['/model/'] ? `${served.origin}/model/model.safetensors` : undefined,
          seed: job.model.seed,
          goldens: job.model.goldenDir
            ? GOLDEN_CASES.map((g) => ({ ...g, url: `${served.origin}/golden/${g.case}.safetensors` }))
            : undefined,
        };
        // Random presets: the page draws the same weights from the seed instead of fetching gigabytes.
        if (job.model.seed !== null) targetJob.weightsUrl = undefined;
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`timed out after ${Math.round(job.timeoutMs / 1000)} s (--timeout)`)),
            job.timeoutMs,
          );
        });
        try {
          const result = await Promise.race([
            page.evaluate((j) => window.altclipBench.runTarget(j), targetJob),
            timeout,
          ]);
          outcomes.push({ ...deserialize(result), peakRssBytes: await rendererPeakRss(cdp) });
        } finally {
          clearTimeout(timer);
        }
      } catch (error) {
        const detail = pageErrors.length ? ` (page errors: ${pageErrors.join('; ')})` : '';
        outcomes.push(loadFailure(`${errorMessage(error)}${detail}`));
      } finally {
        await page.close().catch(() => undefined);
      }
    }
    return { outcomes, browser: `Chromium ${browser.version()} (headless)` };
  } finally {
    await browser?.close().catch(() => undefined);
    server?.close();
    await rm(workDir, { recursive: true, force: true });
  }
};
