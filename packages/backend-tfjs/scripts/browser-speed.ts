/**
 * tfjs wasm in headless Chromium (cross-origin isolated, so tfjs loads its threaded SIMD build): a 1024³
 * matMul and one 224×224 image through the BAAI/AltCLIP vision tower (random weights, `--layers` deep),
 * on 1 XNNPACK thread and on as many as tfjs allows (it caps them at half the logical cores). Compare with
 * scripts/speed.ts (same shapes, Node wasm and ort-node).
 * Run: npx vite-node -c vitest.config.ts scripts/browser-speed.ts [--layers 12]
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { launchChromium } from '../../../tools/chromium.js';
import { FIXTURES_DIR } from '../../../tools/fixtures.js';
import { bundle, serve } from '../test/browser/harness.js';

const args = process.argv.slice(2);
const LAYERS = Number(args[args.indexOf('--layers') + 1]) || 12;

const server = await serve(await bundle(join(import.meta.dirname, '..', 'test', 'browser', 'speed.ts')), {
  large: join(FIXTURES_DIR, 'models', 'altclip-large-config'),
});
const browser = await launchChromium({ softwareGL: true });
try {
  const { port } = server.address() as AddressInfo;
  for (const threads of [1, 8]) {
    // A fresh page per thread count: tfjs fixes it when the wasm backend starts.
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => 'measure' in globalThis);
    const result = await page.evaluate(
      ([t, l]) =>
        (globalThis as unknown as { measure: (t: number, l: number) => Promise<unknown> }).measure(t, l),
      [threads, LAYERS] as const,
    );
    console.log(JSON.stringify({ requestedThreads: threads, layers: LAYERS, ...(result as object) }));
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}
