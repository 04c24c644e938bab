import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import '@altclip/backend-ort';
import { AltCLIPModel } from '@altclip/core';
import { AltCLIPProcessor, zeroShotImageClassification } from '@altclip/processor';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium } from '../../../tools/chromium.js';
import { fixturePath } from '../../../tools/fixtures.js';
import type { DemoServer } from '../src/server.js';

const hasChromium = haveChromium();
const packageDir = resolve(import.meta.dirname, '..');
const repoRoot = resolve(packageDir, '..', '..');
const modelDir = fixturePath('models', 'tiny-altclip');
const image = fixturePath('images', 'inputs', 'skimage_chelsea_rgb.png');
const man = fixturePath('images', 'inputs', 'altclip_man.jpg');

const demoModel = join(repoRoot, 'models', 'altclip-demo');
const demoImage = join(repoRoot, 'examples', 'images', 'green-triangle.png');
const hasDemo = existsSync(join(demoModel, 'config.json')) && existsSync(demoImage);
if (!hasDemo && process.env.CI)
  throw new Error(`the demo model ${demoModel} or ${demoImage} is missing under CI`);

function buildPage(): void {
  // The page as users get it: tsc, then the esbuild bundle (sibling packages from their builds).
  execFileSync(
    process.execPath,
    [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(packageDir, 'tsconfig.json')],
    { stdio: 'inherit' },
  );
  execFileSync(process.execPath, [join(packageDir, 'dist', 'bundle.js')], { stdio: 'inherit' });
}

async function startServer(model: string, examplesDir?: string): Promise<DemoServer> {
  const { startDemoServer } = (await import(
    join(packageDir, 'dist', 'server.js')
  )) as typeof import('../src/server.js');
  return startDemoServer({ port: 0, modelDir: model, examplesDir });
}

/** Clicks through the page as a user: waits for the model, picks the image, types the labels, presses Classify. */
async function classifyInPage(
  browser: Browser,
  url: string,
  pick: string | ((page: Page) => Promise<void>),
  labels: string[],
): Promise<{ label: string; score: number }[]> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  try {
    await page.goto(url);
    await page.waitForSelector('body[data-state=ready]', { timeout: 120_000 });
    expect(await page.textContent('#status')).toMatch(/ort-web, wasm/);
    if (typeof pick === 'string') await page.setInputFiles('#image', pick);
    else await pick(page);
    await page.fill('#labels', labels.join(', '));
    await page.click('#classify');
    await page.waitForSelector('body[data-state=done], body[data-state=error]', { timeout: 120_000 });
    const screenshot = join(tmpdir(), `altclip-demo-web-${Date.now()}.png`);
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`demo page screenshot: ${screenshot}`);
    expect(await page.getAttribute('body', 'data-state'), (await page.textContent('#status')) ?? '').toBe(
      'done',
    );
    expect(errors).toEqual([]);
    return await page.$$eval('#results li', (items) =>
      items.map((item) => ({
        label: (item as HTMLElement).dataset.label!,
        score: Number((item as HTMLElement).dataset.score),
      })),
    );
  } finally {
    await page.close();
  }
}

describe.skipIf(!hasChromium || !modelDir || !image || !man)(
  'demo page in headless Chromium (tiny-altclip fixture)',
  () => {
    let browser: Browser;
    let served: DemoServer;
    let examplesDir: string;

    beforeAll(async () => {
      buildPage();
      examplesDir = mkdtempSync(join(tmpdir(), 'altclip-demo-examples-'));
      symlinkSync(image!, join(examplesDir, 'cat.png'));
      symlinkSync(man!, join(examplesDir, 'man.jpg'));
      served = await startServer(modelDir!, examplesDir);
      browser = await launchChromium();
    });

    afterAll(async () => {
      await browser?.close();
      await served?.close();
      if (examplesDir) rmSync(examplesDir, { recursive: true, force: true });
    });

    it('serves the page, its bundle, the ort-web wasm and the model, and nothing outside them', async () => {
      const get = (path: string) => fetch(new URL(path, served.url));
      const page = await get('/');
      expect(page.status).toBe(200);
      expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect(await page.text()).toContain('<script type="module" src="/app.js">');
      expect((await get('/app.js')).status).toBe(200);
      expect((await get('/ort/ort-wasm-simd-threaded.jsep.wasm')).headers.get('content-type')).toBe(
        'application/wasm',
      );
      expect((await get('/model/config.json')).status).toBe(200);
      expect(
        (await fetch(new URL('/model/preprocessor_config.json', served.url), { method: 'HEAD' })).status,
      ).toBe(200);
      expect(await (await get('/examples/index.json')).json()).toEqual(['cat.png', 'man.jpg']);
      expect((await get('/model/missing.json')).status).toBe(404);
      expect((await get('/model/%2e%2e/%2e%2e/README.md')).status).toBe(404);
    });

    it('classifies a picked file and a clicked example with multilingual labels like the Node pipeline', async () => {
      const labels = ['一只猫', 'a dog', 'un oiseau', 'قطة', 'ein Auto'];
      const picked = await classifyInPage(browser, served.url, image!, labels);
      const clicked = await classifyInPage(
        browser,
        served.url,
        (page) => page.click('button[data-example="man.jpg"]'),
        labels,
      );
      const model = await AltCLIPModel.fromPretrained(modelDir!, { backend: 'ort-node' });
      const processor = await AltCLIPProcessor.fromPretrained(modelDir!);
      const expected = await zeroShotImageClassification(model, processor, [image!, man!], labels);
      await model.dispose();
      [picked, clicked].forEach((shown, n) => {
        expect(shown.map((s) => s.label)).toEqual(expected[n].map((s) => s.label));
        shown.forEach((s, i) => {
          expect(Math.abs(s.score - expected[n][i].score)).toBeLessThan(1e-4);
        });
      });
    });
  },
);

describe.skipIf(!hasChromium || !hasDemo)('demo page on the demo model (the default)', () => {
  it('names the shape of a bundled example among labels in four languages', async () => {
    buildPage();
    const served = await startServer(demoModel);
    const browser = await launchChromium();
    try {
      const labels = ['红色圆形', 'blue square', 'un triangle vert', 'una estrella amarilla'];
      const picked = await classifyInPage(browser, served.url, demoImage, labels);
      expect(picked[0].label).toBe('un triangle vert');
      // The same through the page's example thumbnails (the server lists examples/images).
      const clicked = await classifyInPage(
        browser,
        served.url,
        (page) => page.click('button[data-example="red-circle.png"]'),
        labels,
      );
      expect(clicked[0].label).toBe('红色圆形');
    } finally {
      await browser.close();
      await served.close();
    }
  });
});
