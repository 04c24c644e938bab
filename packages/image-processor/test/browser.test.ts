import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium } from '../../../tools/chromium.js';
import { CLIPImageProcessor, loadImage } from '../src/index.js';
import { floatBytes, IMAGES_DIR, type ImageEntry, imagesPath, readJSON, sha256 } from './helpers.js';

const hasChromium = haveChromium();
const root = resolve(import.meta.dirname, '..', '..', '..');
const require = createRequire(import.meta.url);

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
};

interface BrowserResult {
  url: string;
  dims?: number[];
  sha256?: string;
  decodedSha256?: string;
  error?: string;
}

describe.skipIf(!hasChromium || !IMAGES_DIR)('headless Chromium', () => {
  let browser: Browser;
  let server: Server;
  let base: string;
  let dir: string;
  const entries = IMAGES_DIR ? readJSON<{ images: ImageEntry[] }>('index.json').images : [];
  const config = IMAGES_DIR ? readJSON<unknown>('golden', 'preprocessor_config.json') : {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'altclip-image-browser-'));
    await build({
      entryPoints: [join(import.meta.dirname, 'browser', 'entry.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile: join(dir, 'bundle.js'),
      // Dynamic imports in core's Node paths (hub download and cache, torch zip reader) are never reached here.
      external: ['node:*', 'yauzl', '@huggingface/hub'],
      alias: { '@altclip/core': join(root, 'packages', 'core', 'src', 'index.ts') },
      logLevel: 'error',
    });
    // The decoders fetch their .wasm beside the bundle (new URL('…', import.meta.url)), as an app would serve them.
    copyFileSync(require.resolve('@cwasm/jpeg-turbo/jpeg-turbo.wasm'), join(dir, 'jpeg-turbo.wasm'));
    copyFileSync(require.resolve('@jsquash/webp/codec/dec/webp_dec.wasm'), join(dir, 'webp_dec.wasm'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/bundle.js"></script>');
    server = createServer((request, response) => {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
      const file = path.startsWith('/inputs/') ? imagesPath(path.slice(1)) : join(dir, path.slice(1));
      if ((!file.startsWith(dir) && !file.startsWith(imagesPath('inputs'))) || !existsSync(file)) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      response.end(readFileSync(file));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    if (server) await new Promise((done) => server.close(done));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function runInPage(files: string[], as: 'blob' | 'url'): Promise<BrowserResult[]> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(`${base}/index.html`);
    await page.waitForFunction(() => 'altclipTest' in globalThis);
    const urls = files.map((file) => `${base}/${file}`);
    const results = await page.evaluate(
      ([urls, config, as]) =>
        (
          globalThis as unknown as {
            altclipTest: { preprocessAll: (u: string[], c: unknown, a: string) => Promise<BrowserResult[]> };
          }
        ).altclipTest.preprocessAll(urls, config, as),
      [urls, config, as] as const,
    );
    await page.close();
    expect(errors).toEqual([]);
    return results;
  }

  it('gives the same pixelValues as Node for every PNG fixture (Blob input)', async () => {
    const pngs = entries.filter((entry) => entry.file.endsWith('.png'));
    expect(pngs.length).toBeGreaterThanOrEqual(15);
    const results = await runInPage(
      pngs.map((entry) => entry.file),
      'blob',
    );
    const processor = CLIPImageProcessor.fromConfig(config);
    for (const [i, entry] of pngs.entries()) {
      const { pixelValues } = await processor.preprocess(imagesPath(entry.file));
      expect(results[i].error, entry.file).toBeUndefined();
      expect(results[i].dims).toEqual(pixelValues.dims);
      expect(results[i].sha256, entry.file).toBe(sha256(floatBytes(pixelValues.data)));
      expect(results[i].decodedSha256, entry.file).toBe(entry.decoded_sha256);
    }
  });

  it('decodes JPEG (libjpeg-turbo wasm), WebP, GIF and BMP from URLs exactly as in Node', async () => {
    const others = entries.filter((entry) => !entry.file.endsWith('.png') && !entry.file.includes('arith'));
    const results = await runInPage(
      others.map((entry) => entry.file),
      'url',
    );
    for (const [i, entry] of others.entries()) {
      expect(results[i].error, entry.file).toBeUndefined();
      expect(results[i].decodedSha256, entry.file).toBe(entry.decoded_sha256);
      expect(results[i].sha256, entry.file).toBe(entry.pixel_values_sha256);
    }
  });

  it('decodes an <img> element from its file, exactly', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/index.html`);
    await page.waitForFunction(() => 'altclipTest' in globalThis);
    const entry = entries.find((e) => e.file === 'inputs/rgba_motorcycle.png') as ImageEntry;
    const hash = await page.evaluate(
      (url) =>
        (
          globalThis as unknown as { altclipTest: { viaImageElement: (u: string) => Promise<string> } }
        ).altclipTest.viaImageElement(url),
      `${base}/${entry.file}`,
    );
    await page.close();
    expect(hash).toBe(entry.decoded_sha256);
  });

  it('accepts an ImageBitmap (browser-decoded, shape only)', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/index.html`);
    await page.waitForFunction(() => 'altclipTest' in globalThis);
    const shape = await page.evaluate(
      (url) =>
        (
          globalThis as unknown as { altclipTest: { viaBitmap: (u: string) => Promise<unknown> } }
        ).altclipTest.viaBitmap(url),
      `${base}/inputs/skimage_chelsea_rgb.png`,
    );
    await page.close();
    const node = await loadImage(imagesPath('inputs/skimage_chelsea_rgb.png'));
    expect(shape).toEqual({ width: node.width, height: node.height, channels: 3 });
  });
});
