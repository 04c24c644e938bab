// The demo page: loads the model served under /model/ on onnxruntime-web (wasm), then classifies the picked
// image against the typed labels with the zero-shot pipeline. `document.body.dataset.state` tells tests where it is.
import '@altclip/backend-ort';
import { AltCLIPModel, configFromJSON, loadCheckpoint, resolveBackend } from '@altclip/core';
import { AltCLIPProcessor, type LabelScore, zeroShotImageClassification } from '@altclip/processor';
import { HttpModelFiles } from './http-model-files.js';

type State = 'loading' | 'ready' | 'running' | 'done' | 'error';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page lacks #${id}`);
  return found as T;
}

const imageInput = element<HTMLInputElement>('image');
const labelsInput = element<HTMLInputElement>('labels');
const templateInput = element<HTMLInputElement>('template');
const classifyButton = element<HTMLButtonElement>('classify');
const preview = element<HTMLImageElement>('preview');
const status = element<HTMLElement>('status');
const results = element<HTMLOListElement>('results');
const examples = element<HTMLElement>('examples');

/** The image to classify: the picked file or a clicked example. */
let current: { name: string; blob: Blob } | undefined;

function choose(name: string, blob: Blob): void {
  current = { name, blob };
  preview.src = URL.createObjectURL(blob);
}

/** Thumbnails of the repository's example images (when the server lists any); a click selects one. */
async function showExamples(): Promise<void> {
  const response = await fetch('/examples/index.json').catch(() => undefined);
  const names: string[] = response?.ok ? await response.json() : [];
  examples.replaceChildren(
    ...names.map((name) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.title = name;
      button.dataset.example = name;
      const thumbnail = document.createElement('img');
      thumbnail.src = `/examples/${encodeURIComponent(name)}`;
      thumbnail.alt = name;
      button.append(thumbnail);
      button.addEventListener('click', async () => {
        choose(name, await (await fetch(thumbnail.src)).blob());
        imageInput.value = '';
      });
      return button;
    }),
  );
  element('examples-row').hidden = names.length === 0;
}

function setState(state: State, message: string): void {
  document.body.dataset.state = state;
  status.textContent = message;
  classifyButton.disabled = state === 'loading' || state === 'running';
}

function labels(): string[] {
  return labelsInput.value
    .split(/[,，]/)
    .map((label) => label.trim())
    .filter(Boolean);
}

function showScores(scores: LabelScore[]): void {
  results.replaceChildren(
    ...scores.map(({ label, score }) => {
      const item = document.createElement('li');
      item.dataset.label = label;
      item.dataset.score = String(score);
      const name = document.createElement('span');
      name.className = 'label';
      name.textContent = label;
      const bar = document.createElement('progress');
      bar.max = 1;
      bar.value = score;
      const value = document.createElement('span');
      value.className = 'score';
      value.textContent = `${(score * 100).toFixed(1)}%`;
      item.append(name, bar, value);
      return item;
    }),
  );
}

async function loadModel(base: string) {
  // Where onnxruntime-web fetches its wasm: the demo server serves node_modules/onnxruntime-web/dist under /ort/.
  await resolveBackend('ort-web');
  const ort = await import('onnxruntime-web');
  ort.env.wasm.wasmPaths = new URL('/ort/', location.href).href;
  const files = new HttpModelFiles(base);
  const [processor, config, weights] = await Promise.all([
    AltCLIPProcessor.fromFiles(files),
    files.readJSON<Record<string, unknown>>('config.json').then(configFromJSON),
    loadCheckpoint(files),
  ]);
  const model = await AltCLIPModel.fromWeights(config, weights, { backend: 'ort-web', device: 'wasm' });
  return { model, processor };
}

async function main(): Promise<void> {
  const base = new URLSearchParams(location.search).get('model') ?? '/model/';
  setState('loading', `loading the model from ${base} …`);
  void showExamples();
  const loaded = await loadModel(base);
  setState(
    'ready',
    `model ready (${loaded.model.backend}, ${loaded.model.device}); pick an image and press Classify`,
  );

  imageInput.addEventListener('change', () => {
    const file = imageInput.files?.[0];
    if (file) choose(file.name, file);
  });
  classifyButton.addEventListener('click', async () => {
    const image = current;
    const candidates = labels();
    if (!image || candidates.length === 0) {
      setState('error', !image ? 'pick an image first' : 'type at least one label');
      return;
    }
    setState('running', 'classifying …');
    const started = performance.now();
    try {
      const [scores] = await zeroShotImageClassification(
        loaded.model,
        loaded.processor,
        image.blob,
        candidates,
        {
          hypothesisTemplate: templateInput.value || undefined,
        },
      );
      showScores(scores);
      setState('done', `${image.name}: ${scores[0].label} (${(performance.now() - started).toFixed(0)} ms)`);
    } catch (error) {
      setState('error', (error as Error).message);
    }
  });
}

main().catch((error: unknown) => setState('error', `could not load the model: ${(error as Error).message}`));
