import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { openSafetensors, Tensor } from '@altclip/core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium } from '../../../tools/chromium.js';
import {
  expectClose,
  type GoldenCase,
  goldenSuite,
  readGoldenTensors,
  tinyConfig,
  toleranceOf,
} from '../../../tools/goldens.js';
import { createTrainer, TfjsModel } from '../src/index.js';
import { bundle, serve } from './browser/harness.js';

const suite = goldenSuite();

describe.skipIf(!suite || !haveChromium())('tiny goldens in headless Chromium', () => {
  let browser: Browser;
  let server: Server;

  beforeAll(async () => {
    server = await serve(await bundle(join(import.meta.dirname, 'browser', 'entry.ts')), {
      tiny: suite!.modelDir,
    });
    // WebGL and WebGPU both run on SwiftShader here (no GPU).
    browser = await launchChromium({ softwareGL: true, webgpu: true });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => server?.close(done));
  });

  it.each(['webgl', 'wasm', 'webgpu'])('%s matches every tower and full-model golden', async (device) => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => 'runGoldens' in globalThis);
    const run = await page.evaluate(
      (name) => (globalThis as unknown as { runGoldens: (d: string) => Promise<unknown> }).runGoldens(name),
      device,
    );
    await page.close();
    expect(errors).toEqual([]);
    const {
      devices,
      backend,
      leaked,
      remaining,
      wasmThreads,
      multithreadBuild,
      cores,
      crossOriginIsolated,
      results,
    } = run as {
      devices: string[];
      backend: string;
      leaked: number;
      remaining: number;
      wasmThreads?: number;
      multithreadBuild: boolean;
      cores: number;
      crossOriginIsolated: boolean;
      results: Record<string, Record<string, { dims: number[]; data: number[] }>>;
    };
    expect(devices).toContain(device);
    expect(backend).toBe(device);
    expect(crossOriginIsolated).toBe(true);
    // Cross-origin isolated, tfjs loads its threaded SIMD build (one pthread per core).
    expect(multithreadBuild).toBe(true);
    if (device === 'wasm')
      console.info(`[tfjs wasm] ${cores} cores, XNNPACK threads reported: ${wasmThreads}`);
    expect(leaked).toBe(0);
    expect(remaining).toBe(0);
    const maxErrors: Record<string, number> = {};
    let checked = 0;
    for (const c of suite!.cases) {
      const outputs = results[c.name];
      if (!outputs) continue;
      const data = await readGoldenTensors(suite!, c);
      for (const [name, spec] of Object.entries(c.outputs ?? {})) {
        const actual = outputs[name];
        expect(actual, `${c.name} ${name}`).toBeDefined();
        const tensor = new Tensor('float32', Float32Array.from(actual.data), actual.dims);
        const maxError = expectClose(
          tensor,
          data.get(spec.key) as Tensor,
          toleranceOf(suite!, c, name),
          `${c.name} ${name}`,
        );
        const kind = name.replace(/\.\d+$/, '').replace(/^(text|vision)_model_output\./, '');
        maxErrors[kind] = Math.max(maxErrors[kind] ?? 0, maxError);
        checked++;
      }
    }
    console.info(
      `[tfjs ${device}${wasmThreads ? ` (${wasmThreads} threads)` : ''}, headless Chromium] ${checked} outputs, max abs error: ${JSON.stringify(maxErrors)}`,
    );
    expect(checked).toBeGreaterThan(100);
  });

  it.each(['webgl', 'webgpu'])(
    '%s trains: the loss and gradients of the cpu backend, and Adam steps lower the loss',
    async (device) => {
      const page = await browser.newPage();
      const { port } = server.address() as AddressInfo;
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => 'train' in globalThis);
      const run = (await page.evaluate(
        (on) => (globalThis as unknown as { train: (device: string) => Promise<unknown> }).train(on),
        device,
      )) as { losses: number[]; grad: number[]; remaining: number };
      await page.close();
      // The same computation in Node on the cpu backend.
      const data = await readGoldenTensors(
        suite!,
        suite!.cases.find((c) => c.name === 'full_3x3_loss') as GoldenCase,
      );
      const weights = await openSafetensors(join(suite!.modelDir, 'model.safetensors'));
      const model = await TfjsModel.load({
        config: tinyConfig(suite!),
        weights,
        towers: { text: true, vision: true, withProjection: true },
        device: 'cpu',
      });
      await weights.close();
      const trainer = createTrainer(model, { training: false });
      const batch = {
        inputIds: data.get('input_ids') as Tensor,
        attentionMask: data.get('attention_mask') as Tensor,
        pixelValues: data.get('pixel_values') as Tensor<'float32'>,
      };
      const { loss, grads } = await trainer.lossAndGrads(batch);
      trainer.dispose();
      await model.dispose();
      expect(run.losses[0]).toBeCloseTo(loss, 4);
      const expected = grads.get('text_model.roberta.encoder.layer.0.attention.self.query.weight') as Tensor;
      expectClose(
        new Tensor('float32', Float32Array.from(run.grad), expected.dims),
        expected,
        { atol: 1e-5, rtol: 1e-3 },
        `${device} gradient`,
      );
      expect(run.losses[1]).toBeLessThan(run.losses[0]);
      expect(run.remaining).toBe(0);
      console.info(
        `[tfjs ${device} training] loss ${run.losses[0].toFixed(4)} -> ${run.losses[1].toFixed(4)} after 5 Adam steps`,
      );
    },
  );
});
