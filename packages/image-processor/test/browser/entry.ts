// Browser side of browser.test.ts: bundled by esbuild, loaded in headless Chromium.
import { CLIPImageProcessor, type ImageInput, loadImage } from '../../src/index.js';

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

interface Result {
  url: string;
  dims?: readonly number[];
  sha256?: string;
  decodedSha256?: string;
  error?: string;
}

async function preprocessAll(urls: string[], config: unknown, as: 'blob' | 'url'): Promise<Result[]> {
  const processor = CLIPImageProcessor.fromConfig(config);
  const results: Result[] = [];
  for (const url of urls) {
    try {
      const input: ImageInput = as === 'blob' ? await (await fetch(url)).blob() : url;
      const { pixelValues } = await processor.preprocess(input);
      const bytes = new Uint8Array(
        pixelValues.data.buffer,
        pixelValues.data.byteOffset,
        pixelValues.data.byteLength,
      );
      const decoded = await loadImage(
        as === 'blob' ? new Uint8Array(await (await fetch(url)).arrayBuffer()) : url,
      );
      results.push({
        url,
        dims: pixelValues.dims,
        sha256: await sha256Hex(bytes),
        decodedSha256: await sha256Hex(decoded.data),
      });
    } catch (error) {
      results.push({ url, error: String(error) });
    }
  }
  return results;
}

/** Browser-decoded sources go through a canvas: only the shape is comparable with Python. */
async function viaBitmap(url: string): Promise<{ width: number; height: number; channels: number }> {
  const bitmap = await createImageBitmap(await (await fetch(url)).blob());
  const image = await loadImage(bitmap);
  return { width: image.width, height: image.height, channels: image.channels };
}

/** An <img> whose file can be fetched is decoded by this package, exactly. */
async function viaImageElement(url: string): Promise<string> {
  const element = new Image();
  element.src = url;
  await element.decode();
  return sha256Hex((await loadImage(element)).data);
}

Object.assign(globalThis, { altclipTest: { preprocessAll, viaBitmap, viaImageElement } });
