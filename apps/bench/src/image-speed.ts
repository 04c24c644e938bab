import { readFile } from 'node:fs/promises';
import { CLIPImageProcessor, ImageProcessorPool } from '@altclip/image-processor';
import { median } from './stats.js';

export interface ImageSpeedOptions {
  /** Encoded image files, processed one at a time (as the PIL+NumPy anchor in the fixture README). */
  imagePaths: string[];
  /** A `preprocessor_config.json` (CLIPImageProcessor). */
  configPath: string;
  /** Timed passes over all images after one warm-up pass; the median is reported. Default 5. */
  repetitions?: number;
  /** Also time transformers.js (`@huggingface/transformers`, a dev dependency). Default true. */
  includeTransformersJs?: boolean;
  /** Worker threads for the batch measurement (`oursPool`); 0 skips it. Default: CPU count, at most 4. */
  poolWorkers?: number;
}

export interface ImageSpeed {
  /** End to end: read + decode + convert + resize + crop + rescale + normalize, per image. */
  imagesPerSecond: number;
  medianSeconds: number;
  runsSeconds: number[];
  /** Images this implementation processed (the rate is over these). */
  images: number;
  /** Files it could not read, with the reason. */
  failures: { path: string; error: string }[];
}

export interface ImageSpeedReport {
  ours: ImageSpeed;
  /** All of ours' images as one batch through an ImageProcessorPool (worker threads). */
  oursPool?: ImageSpeed & { workers: number };
  transformersJs?: ImageSpeed;
  /** Both over the files that both read, so the rates compare like for like. */
  common?: { images: number; oursImagesPerSecond: number; transformersJsImagesPerSecond: number };
}

type Preprocess = (path: string) => Promise<unknown>;

interface Contender {
  preprocess: Preprocess;
  paths: string[];
  failures: { path: string; error: string }[];
  runs: number[];
  commonRuns: number[];
}

/**
 * Images per second of `@altclip/image-processor` and transformers.js' CLIPImageProcessor on the same files, in
 * one process, passes of the two interleaved so machine noise hits both alike.
 */
export async function measureImageProcessorSpeed(options: ImageSpeedOptions): Promise<ImageSpeedReport> {
  const repetitions = options.repetitions ?? 5;
  const config = JSON.parse(await readFile(options.configPath, 'utf8')) as Record<string, unknown>;
  const ours = CLIPImageProcessor.fromConfig(config);
  const contenders: Contender[] = [
    { preprocess: (path) => ours.preprocess(path), paths: [], failures: [], runs: [], commonRuns: [] },
  ];
  if (options.includeTransformersJs !== false) {
    const tjs = await import('@huggingface/transformers');
    const processor = new tjs.CLIPImageProcessor(config);
    contenders.push({
      preprocess: async (path) => processor(await tjs.RawImage.read(path)),
      paths: [],
      failures: [],
      runs: [],
      commonRuns: [],
    });
  }
  // Warm-up pass: also finds which files each one reads.
  for (const contender of contenders) {
    for (const path of options.imagePaths) {
      try {
        await contender.preprocess(path);
        contender.paths.push(path);
      } catch (error) {
        contender.failures.push({ path, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
  const common = options.imagePaths.filter((path) => contenders.every((c) => c.paths.includes(path)));
  const timePass = async (contender: Contender, paths: string[]) => {
    const started = performance.now();
    for (const path of paths) await contender.preprocess(path);
    return (performance.now() - started) / 1000;
  };
  for (let r = 0; r < repetitions; r++) {
    for (const contender of contenders) {
      contender.runs.push(await timePass(contender, contender.paths));
      if (contenders.length > 1) contender.commonRuns.push(await timePass(contender, common));
    }
  }
  const summarize = (contender: Contender): ImageSpeed => {
    const seconds = median(contender.runs);
    return {
      imagesPerSecond: Math.round((contender.paths.length / seconds) * 10) / 10,
      medianSeconds: seconds,
      runsSeconds: contender.runs,
      images: contender.paths.length,
      failures: contender.failures,
    };
  };
  const report: ImageSpeedReport = { ours: summarize(contenders[0]) };
  if (options.poolWorkers !== 0) {
    const pool = await ImageProcessorPool.create(ours, { workers: options.poolWorkers });
    try {
      const paths = contenders[0].paths;
      await pool.preprocess(paths);
      const runs: number[] = [];
      for (let r = 0; r < repetitions; r++) {
        const started = performance.now();
        await pool.preprocess(paths);
        runs.push((performance.now() - started) / 1000);
      }
      const seconds = median(runs);
      report.oursPool = {
        imagesPerSecond: Math.round((paths.length / seconds) * 10) / 10,
        medianSeconds: seconds,
        runsSeconds: runs,
        images: paths.length,
        failures: contenders[0].failures,
        workers: pool.size,
      };
    } finally {
      await pool.close();
    }
  }
  if (contenders[1]) {
    report.transformersJs = summarize(contenders[1]);
    const rate = (c: Contender) => Math.round((common.length / median(c.commonRuns)) * 10) / 10;
    report.common = {
      images: common.length,
      oursImagesPerSecond: rate(contenders[0]),
      transformersJsImagesPerSecond: rate(contenders[1]),
    };
  }
  return report;
}
