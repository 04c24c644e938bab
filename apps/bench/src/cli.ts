#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Device, DType } from '@altclip/core';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { BenchError } from './errors.js';
import { renderMarkdown } from './markdown.js';
import { defaultCacheDir } from './presets.js';
import type { Runtime, Tower } from './report.js';
import { type BenchOptions, type BenchProgress, runBench } from './run.js';
import { renderSvg } from './svg.js';
import { expandTargets, KNOWN_DTYPES, type Target } from './targets.js';
import { reportSchemaErrors } from './validate.js';

const list = (value: string): string[] =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('expected a positive integer');
  return number;
}

function nonNegativeInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError('expected an integer >= 0');
  return number;
}

function integerList(value: string): number[] {
  return list(value).map(positiveInteger);
}

function oneOf<T extends string>(allowed: readonly T[]) {
  return (value: string): T[] => {
    const items = list(value);
    for (const item of items) {
      if (!allowed.includes(item as T))
        throw new InvalidArgumentError(`'${item}' is not one of ${allowed.join(', ')}`);
    }
    return items as T[];
  };
}

/** `backend/device/dtype`, with `@browser` for the browser: `ort-node/cpu/fp32`, `tfjs/webgl/fp32@browser`. */
function parseTarget(value: string): Target {
  const [spec, where = 'node', ...rest] = value.split('@');
  const [backend, device, dtype, ...extra] = spec.split('/');
  if (
    !backend ||
    !device ||
    !dtype ||
    extra.length ||
    rest.length ||
    (where !== 'node' && where !== 'browser')
  ) {
    throw new InvalidArgumentError(
      `'${value}': expected backend/device/dtype[@browser], e.g. ort-node/cpu/fp32 or tfjs/webgl/fp32@browser`,
    );
  }
  if (!KNOWN_DTYPES.includes(dtype as DType)) {
    throw new InvalidArgumentError(`'${value}': dtype must be one of ${KNOWN_DTYPES.join(', ')}`);
  }
  return { runtime: where, backend, device: device as Device, dtype: dtype as DType };
}

/** The defaults of --quick: the CI smoke run (tiny model, every backend, both runtimes, few calls). */
const QUICK = { model: 'tiny', batchSizes: [1, 2], warmup: 1, repetitions: 3, timeoutSeconds: 60 };

export function buildProgram(): Command {
  return new Command()
    .name('altclip-bench')
    .description('Cross-backend AltCLIP benchmarks: speed, memory and numerical parity, side by side.')
    .option('-m, --model <ref>', 'preset (tiny, base, large), model folder or hub id', 'base')
    .option('-b, --backends <list>', 'backends to measure', list, ['ort-node', 'ort-web', 'tfjs'])
    .option(
      '-d, --devices <list>',
      'devices (default per backend: ort-node cpu; ort-web wasm; tfjs wasm in Node, wasm,webgl in the browser)',
      list,
    )
    .option('-t, --dtypes <list>', 'dtypes: fp32, fp16, int8', list, ['fp32'])
    .addOption(
      new Option('--runtimes <list>', 'where to run: node, browser')
        .argParser(oneOf<Runtime>(['node', 'browser']))
        .default(['node', 'browser']),
    )
    .addOption(
      new Option('--towers <list>', 'towers: image, text')
        .argParser(oneOf<Tower>(['image', 'text']))
        .default(['image', 'text']),
    )
    .option('--batch-sizes <list>', 'batch sizes', integerList, [1, 8])
    .option('-w, --warmup <n>', 'untimed calls per configuration', nonNegativeInteger, 1)
    .option('-r, --repetitions <n>', 'timed calls per configuration', positiveInteger, 5)
    .option(
      '--threads <n>',
      'threads per backend (ort intra-op, wasm threads)',
      positiveInteger,
      availableParallelism(),
    )
    .option(
      '--targets <list>',
      'exact configurations instead of the cross product (backend/device/dtype[@browser], comma-separated)',
      (value: string) => list(value).map(parseTarget),
    )
    .option('--seq-len <n>', 'tokens per text, <s> and </s> included', positiveInteger, 16)
    .option('--seed <n>', 'seed of the random weights and of the inputs', nonNegativeInteger, 0)
    .option(
      '--reference <target>',
      'what parity is measured against (backend/device/dtype, Node)',
      parseTarget,
      parseTarget('ort-node/cpu/fp32'),
    )
    .option('--cache-dir <dir>', 'where random checkpoints of the presets are written', defaultCacheDir())
    .option(
      '--quick',
      `CI smoke run: model ${QUICK.model}, batch sizes ${QUICK.batchSizes.join(',')}, warmup ${QUICK.warmup}, ${QUICK.repetitions} repetitions (explicit options still win)`,
    )
    .option(
      '--timeout <seconds>',
      'stop a configuration that takes longer, and report it as failed',
      positiveInteger,
      3600,
    )
    .option('--no-isolate', 'run Node configurations in this process (no per-configuration peak RSS)')
    .option('--no-roofline', 'skip the matmul roofline measurement')
    .option('--no-preprocessing', 'skip the tokenizer and image-processor comparisons')
    .option('--no-progress', 'no progress display')
    .option('--json <file>', 'write the JSON report (schema: apps/bench/report.schema.json)')
    .option('--md <file>', 'write the Markdown table')
    .option('--svg <file>', 'write an SVG chart of throughput');
}

/** Resolves parsed CLI options (with --quick defaults where the user set nothing) into BenchOptions. */
export function benchOptions(program: Command, argv: readonly string[]): BenchOptions {
  const o = program.opts();
  const fromUser = (name: string) => program.getOptionValueSource(name) === 'cli';
  const quick = Boolean(o.quick);
  const pick = <T>(name: string, value: T, quickValue: T): T =>
    quick && !fromUser(name) ? quickValue : value;
  if (o.reference.runtime !== 'node')
    throw new BenchError('the reference runs in Node: drop @browser from --reference');
  const targets: Target[] =
    o.targets ??
    expandTargets({ backends: o.backends, devices: o.devices, dtypes: o.dtypes, runtimes: o.runtimes });
  return {
    model: pick('model', o.model as string, QUICK.model),
    targets,
    towers: o.towers,
    batchSizes: pick('batchSizes', o.batchSizes as number[], QUICK.batchSizes),
    warmup: pick('warmup', o.warmup as number, QUICK.warmup),
    repetitions: pick('repetitions', o.repetitions as number, QUICK.repetitions),
    threads: o.threads,
    sequenceLength: o.seqLen,
    seed: o.seed,
    reference: o.reference,
    cacheDir: o.cacheDir,
    isolate: o.isolate,
    importBackends: true,
    roofline: o.roofline,
    preprocessing: o.preprocessing,
    command: ['npm run bench --', ...argv].join(' '),
    quick,
    timeoutSeconds: pick('timeout', o.timeout as number, QUICK.timeoutSeconds),
  };
}

/** A bar with ETA on a terminal; elsewhere (CI logs) one line per stage. */
function progressDisplay(enabled: boolean): { update(progress: BenchProgress): void; stop(): void } {
  if (!enabled) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      format: '{bar} {percentage}% | ETA {eta_formatted} | {label}',
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 20,
    });
    let started = false;
    return {
      update({ done, total, label }) {
        if (!started) {
          bar.start(total, done, { label });
          started = true;
        }
        bar.setTotal(total);
        bar.update(done, { label });
      },
      stop: () => bar.stop(),
    };
  }
  let last = '';
  const startedAt = performance.now();
  return {
    update({ done, total, label }) {
      const stage = label.replace(/ (warmup|measure)$/, '');
      if (stage === last) return;
      last = stage;
      const seconds = ((performance.now() - startedAt) / 1000).toFixed(0);
      process.stderr.write(`[${seconds}s ${done}/${total}] ${stage}\n`);
    },
    stop() {},
  };
}

async function writeOutput(file: string, text: string): Promise<void> {
  const path = resolve(file);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  program.parse([...argv], { from: 'user' });
  let options: BenchOptions;
  try {
    options = benchOptions(program, argv);
  } catch (error) {
    if (error instanceof BenchError) {
      console.error(`error: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const progress = progressDisplay(program.opts().progress);
  const report = await runBench(options, { onProgress: (p) => progress.update(p) }).finally(() =>
    progress.stop(),
  );
  const problems = reportSchemaErrors(report);
  const o = program.opts();
  if (o.json) await writeOutput(o.json, `${JSON.stringify(report, null, 2)}\n`);
  const markdown = renderMarkdown(report);
  if (o.md) await writeOutput(o.md, markdown);
  if (o.svg) await writeOutput(o.svg, renderSvg(report));
  process.stdout.write(markdown);
  if (problems.length > 0) {
    console.error(
      `internal error: the report does not match report.schema.json:\n  ${problems.join('\n  ')}`,
    );
    return 1;
  }
  return 0;
}

// Run only as the entry point, so that tests can import buildProgram / benchOptions.
if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(import.meta.filename)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(1);
    },
  );
}
