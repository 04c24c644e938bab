// Runs in headless Chromium: the browser entry of this package (ort-web, wasm or webgpu) through core's
// AltCLIPModel, on the tiny fixture fetched over HTTP, checked against a full-model golden.
import { AltCLIPModel, configFromJSON, type Device, readSafetensors, type Tensor } from '@altclip/core';
import * as ort from 'onnxruntime-web';
import '../../src/browser.js';

declare global {
  interface Window {
    runGolden(
      file: string,
      device: Device,
    ): Promise<{ errors: Record<string, number>; device: Device; gpuAdapter?: string }>;
  }
}

ort.env.wasm.wasmPaths = '/ort/';

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

window.runGolden = async (file, device) => {
  const config = configFromJSON(await (await fetch('/model/config.json')).json());
  const weights = readSafetensors(await fetchBytes('/model/model.safetensors'), 'model.safetensors');
  const golden = readSafetensors(await fetchBytes(`/model/golden/${file}`), file);
  const model = await AltCLIPModel.fromWeights(config, weights, { backend: 'ort-web', device });
  const get = (key: string) => golden.get(key);
  const output = await model.forward({
    inputIds: (await get('input_ids')) as Tensor<'int64'>,
    attentionMask: (await get('attention_mask')) as Tensor<'int64'>,
    pixelValues: (await get('pixel_values')) as Tensor<'float32'>,
  });
  const maxError = async (actual: Tensor, name: string) => {
    const expected = (await get(name)).data as Float32Array;
    let worst = 0;
    actual.data.forEach((v, i) => {
      worst = Math.max(worst, Math.abs((v as number) - expected[i]));
    });
    return worst;
  };
  const errors = {
    logits_per_image: await maxError(output.logitsPerImage, 'logits_per_image'),
    text_embeds: await maxError(output.textEmbeds, 'text_embeds'),
    image_embeds: await maxError(output.imageEmbeds, 'image_embeds'),
  };
  // onnxruntime-web sets its WebGPU adapter once the WebGPU execution provider has started.
  const adapter = (ort.env.webgpu as { adapter?: { info?: { vendor: string; architecture: string } } })
    .adapter;
  const result = {
    errors,
    device: model.device,
    gpuAdapter: adapter?.info ? `${adapter.info.vendor} ${adapter.info.architecture}` : undefined,
  };
  await model.dispose();
  return result;
};
