#!/usr/bin/env node
/**
 * Reproduces models/altclip-demo and examples/images from scratch:
 *   npm run build && npm run train -w @altclip/demo-model [-- --steps N --seed S --out DIR]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeExampleImages } from './examples.js';
import { PATCH_SIZE } from './model-config.js';
import { trainDemoModel } from './train-demo.js';

/** The seeds the shipped checkpoint and examples were made with. */
export const TRAINING_SEED = 1;
export const VALIDATION_SEED = 1001;
export const EXAMPLES_SEED = 7;
export const TRAINING_STEPS = 9000;

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: `${repoRoot}models/altclip-demo` },
    examples: { type: 'string', default: `${repoRoot}examples/images` },
    steps: { type: 'string', default: String(TRAINING_STEPS) },
    seed: { type: 'string', default: String(TRAINING_SEED) },
    device: { type: 'string', default: 'wasm' },
    'patch-size': { type: 'string', default: String(PATCH_SIZE) },
  },
});

const device = values.device;
if (device !== 'wasm' && device !== 'cpu') throw new Error(`--device must be wasm or cpu, got ${device}`);
const steps = Number(values.steps);
const seed = Number(values.seed);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer`);
if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer`);

const result = await trainDemoModel({
  outDir: values.out,
  seed,
  steps,
  validationSeed: VALIDATION_SEED,
  device,
  patchSize: Number(values['patch-size']),
  log: (message) => console.log(message),
});
console.log(`trained in ${result.seconds.toFixed(0)} s, final loss ${result.finalLoss.toFixed(4)}`);
for (const { language, accuracy, correct, total } of result.validation) {
  console.log(`validation ${language}: ${(100 * accuracy).toFixed(1)}% (${correct}/${total})`);
}
for (const path of await writeExampleImages(values.examples, EXAMPLES_SEED)) console.log(`wrote ${path}`);
