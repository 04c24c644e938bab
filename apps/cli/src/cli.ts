import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { softmax, Tensor } from '@altclip/core';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { embed, prepareEmbed } from './embed.js';
import { CliError, ExitCode, exitCodeFor } from './exit-codes.js';
import { batches, checkFiles, parseList, readTexts } from './inputs.js';
import { dot, Encoder, type ModelOptions, normalize } from './model.js';
import { type ItemBar, Progress } from './progress.js';

const DEVICES = ['cpu', 'wasm', 'cuda', 'webgpu', 'webgl'];
const DTYPES = ['fp32', 'fp16', 'int8'];
const DEFAULT_TEMPLATE = 'This is a photo of {}.';

interface CommonOptions extends ModelOptions {
  json?: boolean;
  progress: boolean;
  batchSize: number;
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('expected a positive integer');
  return number;
}

function withModelOptions(command: Command, defaultBatch: number): Command {
  return command
    .option(
      '-m, --model <ref>',
      'model folder or hub id (e.g. BAAI/AltCLIP); default: ALTCLIP_MODEL, else the demo model',
    )
    .option(
      '-b, --backend <name>',
      "backend: 'ort-node', 'ort-web' or 'tfjs'; default: the best one that starts",
    )
    .addOption(new Option('-d, --device <device>', 'device for the backend').choices(DEVICES))
    .addOption(new Option('--dtype <dtype>', 'weight precision').choices(DTYPES))
    .option('--revision <rev>', 'hub branch, tag or commit', 'main')
    .option('--offline', 'use only the local Hugging Face cache (as HF_HUB_OFFLINE=1)')
    .option('--batch-size <n>', 'items per model call', positiveInteger, defaultBatch)
    .option('--json', 'print one JSON document on stdout (for scripts)')
    .option('--no-progress', 'no progress bars on stderr');
}

async function withEncoder<T>(
  options: CommonOptions,
  work: (encoder: Encoder, progress: Progress) => Promise<T>,
): Promise<T> {
  const progress = new Progress(options.progress && process.stderr.isTTY === true);
  const encoder = await Encoder.load(options, progress);
  try {
    return await work(encoder, progress);
  } finally {
    await encoder.dispose();
  }
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

function modelInfo(encoder: Encoder) {
  return {
    model: encoder.ref,
    backend: encoder.model.backend,
    device: encoder.model.device,
    dtype: encoder.model.dtype,
  };
}

/** Normalised embeddings of all items, `batchSize` at a time. */
async function embedAll(
  values: readonly string[],
  batchSize: number,
  encode: (batch: string[]) => Promise<Float32Array[]>,
  bar?: ItemBar,
): Promise<Float32Array[]> {
  const result: Float32Array[] = [];
  try {
    for (const batch of batches(values, batchSize)) {
      result.push(...(await encode(batch)).map(normalize));
      bar?.increment(batch.length);
    }
  } finally {
    bar?.stop();
  }
  return result;
}

interface ClassifyOptions extends CommonOptions {
  labels: string;
  template: string;
}

/**
 * transformers' zero-shot-image-classification: softmax over the labels of `exp(logit_scale) * cos(image, text)`.
 * The label texts are embedded once and the images batch by batch (same numbers as one forward call).
 */
async function classify(images: string[], options: ClassifyOptions): Promise<void> {
  const labels = parseList(options.labels);
  if (labels.length === 0)
    throw new CliError(ExitCode.usage, 'no_labels', '--labels needs at least one label');
  if (!options.template.includes('{}')) {
    throw new CliError(
      ExitCode.usage,
      'bad_template',
      `--template '${options.template}' has no '{}' for the label`,
    );
  }
  await checkFiles(images);
  await withEncoder(options, async (encoder, progress) => {
    const texts = labels.map((label) => options.template.replace('{}', label));
    const textEmbeds = await embedAll(texts, options.batchSize, (batch) => encoder.textFeatures(batch));
    const imageEmbeds = await embedAll(
      images,
      options.batchSize,
      (batch) => encoder.imageFeatures(batch),
      progress.items('images', images.length, 0),
    );
    const scale = encoder.model.logitScale;
    const results = imageEmbeds.map((image, i) => {
      const logits = new Tensor(
        'float32',
        Float32Array.from(textEmbeds, (text) => scale * dot(image, text)),
        [1, labels.length],
      );
      const probabilities = softmax(logits).to2d()[0];
      const scores = labels
        .map((label, j) => ({ label, score: probabilities[j] }))
        .sort((a, b) => b.score - a.score);
      return { image: images[i], scores };
    });
    if (options.json) {
      print(JSON.stringify({ ...modelInfo(encoder), template: options.template, results }, null, 2));
      return;
    }
    for (const { image, scores } of results) {
      print(image);
      for (const { label, score } of scores) {
        print(
          `  ${(score * 100).toFixed(1).padStart(5)}%  ${'█'.repeat(Math.round(score * 20)).padEnd(20)}  ${label}`,
        );
      }
    }
  });
}

interface SimilarityOptions extends CommonOptions {
  text: string[];
  textsFile?: string;
}

/** Cosine similarities of every text with every image (rows: texts, columns: images). */
async function similarity(images: string[], options: SimilarityOptions): Promise<void> {
  if (options.textsFile) await checkFiles([options.textsFile]);
  const texts = [
    ...options.text,
    ...(options.textsFile ? (await readTexts(options.textsFile)).map((item) => item.value) : []),
  ];
  if (texts.length === 0)
    throw new CliError(ExitCode.usage, 'no_texts', 'give at least one --text or a --texts-file');
  await checkFiles(images);
  await withEncoder(options, async (encoder, progress) => {
    const textEmbeds = await embedAll(texts, options.batchSize, (batch) => encoder.textFeatures(batch));
    const imageEmbeds = await embedAll(
      images,
      options.batchSize,
      (batch) => encoder.imageFeatures(batch),
      progress.items('images', images.length, 0),
    );
    const matrix = textEmbeds.map((text) => imageEmbeds.map((image) => dot(text, image)));
    if (options.json) {
      const document = {
        ...modelInfo(encoder),
        metric: 'cosine',
        logitScale: encoder.model.logitScale,
        texts,
        images,
        similarity: matrix,
      };
      print(JSON.stringify(document, null, 2));
      return;
    }
    const names = images.map((image) => basename(image));
    const width = Math.max(8, ...names.map((name) => name.length));
    print(`${names.map((name) => name.padStart(width)).join(' ')}  text`);
    matrix.forEach((row, i) => {
      print(`${row.map((value) => value.toFixed(4).padStart(width)).join(' ')}  ${texts[i]}`);
    });
  });
}

interface EmbedCommandOptions extends CommonOptions {
  out: string;
  normalize: boolean;
  overwrite: boolean;
}

async function embedCommand(input: string, options: EmbedCommandOptions): Promise<void> {
  const prepared = await prepareEmbed(input, options.out);
  // Whatever is half-written when Ctrl-C lands is cut by the next run, so stopping at once is safe.
  process.once('SIGINT', () => {
    process.stderr.write(`\ninterrupted: run the same command again to resume ${options.out}\n`);
    process.exit(ExitCode.interrupted);
  });
  await withEncoder(options, async (encoder, progress) => {
    const summary = await embed(prepared, encoder, options, progress);
    if (options.json) {
      print(JSON.stringify({ ...modelInfo(encoder), ...summary }, null, 2));
      return;
    }
    const resumed = summary.resumed ? ` (${summary.resumed} were already there from an earlier run)` : '';
    process.stderr.write(
      `wrote ${summary.count} ${summary.kind === 'images' ? 'image' : 'text'} embeddings of width ${summary.dimension} to ${summary.out}${summary.ids ? ` (row ids in ${summary.ids})` : ''}${resumed}\n`,
    );
  });
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return manifest.version as string;
}

export function buildProgram(): Command {
  const program = new Command('altclip')
    .description(
      'AltCLIP (multilingual CLIP) from the command line: zero-shot classification, similarity, embeddings',
    )
    .version(packageVersion())
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();

  withModelOptions(
    program
      .command('classify')
      .description('score each image against labels in any language (softmax over the labels, sorted)')
      .argument('<images...>', 'image files (JPEG, PNG, GIF, WebP, BMP)')
      .requiredOption(
        '-l, --labels <labels>',
        "comma-separated candidate labels, e.g. '一只猫,a dog,un oiseau'",
      )
      .option(
        '-t, --template <template>',
        "sentence each label is put in ('{}' = the label)",
        DEFAULT_TEMPLATE,
      ),
    8,
  ).action(classify);

  withModelOptions(
    program
      .command('similarity')
      .description('cosine similarity of every text with every image (rows: texts, columns: images)')
      .argument('<images...>', 'image files')
      .option(
        '-t, --text <text>',
        'a text (repeat for more)',
        (value: string, previous: string[]) => [...previous, value],
        [],
      )
      .option('--texts-file <file>', 'more texts, one per line'),
    8,
  ).action(similarity);

  withModelOptions(
    program
      .command('embed')
      .description('embeddings of a folder of images (recursive) or of a text file (one text per line)')
      .argument('<input>', 'a folder of images, or a UTF-8 text file')
      .requiredOption(
        '-o, --out <file>',
        'output: .npy (float32 [N, D], row ids in <file>.ids.txt) or .jsonl',
      )
      .option(
        '--normalize',
        'divide each embedding by its L2 norm (default: raw get_*_features, as transformers)',
        false,
      )
      .option('--overwrite', 'start over instead of resuming an existing output', false),
    16,
  ).action(embedCommand);

  return program;
}

/** Runs the command line and returns the exit status (documented in README.md). */
export async function run(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed the message; help and version are successes.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const exitCode = exitCodeFor(error);
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`altclip: error: ${message}\n`);
    if (exitCode === ExitCode.internal && error instanceof Error && error.stack)
      process.stderr.write(`${error.stack}\n`);
    return exitCode;
  }
}
