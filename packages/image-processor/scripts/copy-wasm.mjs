// Puts libjpeg-turbo's wasm beside dist/decode/jpeg.js, where browsers (and bundlers that follow
// `new URL('./jpeg-turbo.wasm', import.meta.url)`) look for it. Node reads it from the dependency directly.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const target = join(import.meta.dirname, '..', 'dist', 'decode', 'jpeg-turbo.wasm');
mkdirSync(dirname(target), { recursive: true });
copyFileSync(createRequire(import.meta.url).resolve('@cwasm/jpeg-turbo/jpeg-turbo.wasm'), target);
