import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTrainer, TfjsModel } from '@altclip/backend-tfjs';
import { AltCLIPModel, createRandomWeights } from '@altclip/core';
import { CLIPImageProcessor } from '@altclip/image-processor';
import { AltCLIPProcessor } from '@altclip/processor';
import { XLMRobertaTokenizer } from '@altclip/tokenizer';
import { evaluationSet, shapeBatch, trainingBatch } from './data.js';
import { type LanguageAccuracy, zeroShotAccuracy } from './evaluate.js';
import { captionCorpus } from './languages.js';
import { demoConfig, MAX_TEXT_LENGTH, preprocessorConfigJSON, VOCAB_SIZE } from './model-config.js';
import { createRandom } from './random.js';
import { CLASSES } from './shapes.js';
import { tokenizerFiles, trainUnigram } from './tokenizer-files.js';

export interface TrainDemoOptions {
  /** Folder that receives the checkpoint (Hugging Face layout). */
  readonly outDir: string;
  /** Seed of the initial weights and of the generated training data. */
  readonly seed: number;
  /** Optimizer steps; each sees one image of every class. */
  readonly steps: number;
  /** Seed of the validation images measured at the end (not the test's held-out seed). */
  readonly validationSeed: number;
  /** tfjs device: 'wasm' is several times faster than 'cpu' for these small shapes. */
  readonly device?: 'wasm' | 'cpu';
  readonly log?: (message: string) => void;
  /** Image tower patch side (default PATCH_SIZE). */
  readonly patchSize?: number;
  /** Multiplies the learning-rate schedule. Default 1. */
  readonly learningRateScale?: number;
}

export interface TrainDemoResult {
  readonly seconds: number;
  readonly finalLoss: number;
  readonly validation: LanguageAccuracy[];
}

/**
 * Adam learning rate by fraction of training done: a plateau, then a lower rate to settle.
 * Each phase gets a fresh optimizer (the Trainer's rate is fixed), which also resets Adam's moments.
 */
const PHASES = [
  { until: 0.8, learningRate: 1e-3 },
  { until: 1, learningRate: 2e-4 },
] as const;

/**
 * The curriculum. Images start easy (difficulty 0: large, centred, upright, on grey), where a random ViT
 * separates shapes within ~200 steps; on the real task (difficulty 1) it stayed at chance for all 600+ steps we
 * measured. Their
 * difficulty rises linearly between these fractions of the steps. One step in SHAPE_ONLY_EVERY trains on a
 * shape-only batch (see `shapeBatch`), the others on full batches.
 */
const EASY_UNTIL = 0.15;
const RAMP_UNTIL = 0.5;
const SHAPE_ONLY_EVERY = 3;

function difficultyAt(progress: number): number {
  return Math.max(0, Math.min(1, (progress - EASY_UNTIL) / (RAMP_UNTIL - EASY_UNTIL)));
}

async function writeJSON(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Writes the tokenizer and configs, trains a randomly initialised AltCLIP with the symmetric contrastive loss on
 * generated (image, caption) pairs, saves `model.safetensors`, and measures zero-shot accuracy on fresh images.
 * Everything derives from `seed`: the same options give the same files.
 */
export async function trainDemoModel(options: TrainDemoOptions): Promise<TrainDemoResult> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  await mkdir(options.outDir, { recursive: true });

  const vocab = trainUnigram(captionCorpus(CLASSES), VOCAB_SIZE);
  for (const [name, content] of Object.entries(tokenizerFiles(vocab, MAX_TEXT_LENGTH))) {
    await writeJSON(join(options.outDir, name), content);
  }
  // Read back through the project's tokenizer, so training encodes exactly as inference will.
  const tokenizer = await XLMRobertaTokenizer.fromPretrained(options.outDir);
  const config = demoConfig(tokenizer.vocabSize, options.patchSize);
  await writeJSON(join(options.outDir, 'config.json'), {
    ...config.toJSON(),
    architectures: ['AltCLIPModel'],
    torch_dtype: 'float32',
  });
  await writeJSON(join(options.outDir, 'preprocessor_config.json'), preprocessorConfigJSON());
  const imageProcessor = CLIPImageProcessor.fromConfig(preprocessorConfigJSON());
  log(`tokenizer: ${tokenizer.vocabSize} tokens`);

  const device = options.device ?? 'wasm';
  const model = await TfjsModel.load({
    config,
    weights: createRandomWeights(config, { seed: options.seed }),
    towers: { text: true, vision: true, withProjection: true },
    device,
  });
  const random = createRandom(options.seed);
  let finalLoss = Number.NaN;
  let step = 0;
  let recent: number[] = [];
  try {
    for (const phase of PHASES) {
      const trainer = createTrainer(model, {
        optimizer: 'adam',
        learningRate: phase.learningRate * (options.learningRateScale ?? 1),
        trainable: { text: true, vision: true, logitScale: true },
        seed: options.seed,
      });
      try {
        for (; step < Math.round(phase.until * options.steps); step++) {
          const progress = step / options.steps;
          const difficulty = difficultyAt(progress);
          const batch =
            step % SHAPE_ONLY_EVERY === 0
              ? shapeBatch(random, difficulty)
              : trainingBatch(random, difficulty);
          const text = tokenizer.batchEncode(
            batch.map((e) => e.caption),
            { padding: 'longest', truncation: true, returnTensors: true },
          );
          const { pixelValues } = await imageProcessor.preprocess(batch.map((e) => e.image));
          const loss = await trainer.step({ ...text, pixelValues });
          recent.push(loss);
          if ((step + 1) % 50 === 0 || step + 1 === options.steps) {
            finalLoss = recent.reduce((a, b) => a + b, 0) / recent.length;
            recent = [];
            const seconds = ((performance.now() - started) / 1000).toFixed(0);
            log(
              `step ${step + 1}/${options.steps}  lr ${phase.learningRate}  difficulty ${difficulty.toFixed(2)}  loss ${finalLoss.toFixed(4)}  ${seconds}s`,
            );
          }
        }
        if (step === options.steps) await trainer.saveSafetensors(join(options.outDir, 'model.safetensors'));
      } finally {
        trainer.dispose();
      }
    }
  } finally {
    await model.dispose();
  }

  const trained = await AltCLIPModel.fromPretrained(options.outDir, { backend: 'tfjs', device });
  try {
    const processor = await AltCLIPProcessor.fromPretrained(options.outDir);
    const validation = await zeroShotAccuracy(trained, processor, evaluationSet(options.validationSeed, 8));
    return { seconds: (performance.now() - started) / 1000, finalLoss, validation };
  } finally {
    await trained.dispose();
  }
}
