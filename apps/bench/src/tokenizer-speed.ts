import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { XLMRobertaTokenizer } from '@altclip/tokenizer';
import { median } from './stats.js';

export interface TokenizerSpeedOptions {
  /** One text per line, `\n` endings (the fixture `bench-corpus.txt`). */
  corpusPath: string;
  /** A folder with `tokenizer.json` / `sentencepiece.bpe.model` and the config files (e.g. `large-xlmr`). */
  modelDir: string;
  /** Timed runs per tokenizer after one warm-up run; the median is reported. Default 5. */
  repetitions?: number;
  /** Also time transformers.js (`@huggingface/transformers`, a dev dependency). Default true. */
  includeTransformersJs?: boolean;
}

export interface TokenizerSpeed {
  /** Tokens = ids without `<s>` / `</s>`, as in the fixture README's anchor. */
  tokens: number;
  tokensPerSecond: number;
  linesPerSecond: number;
  megabytesPerSecond: number;
  medianSeconds: number;
  runsSeconds: number[];
  /** Tokens per second of process CPU time (user + system): steadier than wall time on a shared machine. */
  tokensPerCpuSecond: number;
  medianCpuSeconds: number;
  loadSeconds: number;
}

export interface TokenizerSpeedReport {
  lines: number;
  bytes: number;
  ours: TokenizerSpeed;
  transformersJs?: TokenizerSpeed & {
    /** Lines whose ids equal ours (transformers.js approximates the charsmap with NFKC). */
    identicalLines: number;
  };
  /** ours / transformers.js tokens per second. */
  speedupOverTransformersJs?: number;
}

type Encode = (line: string) => ArrayLike<number>;

/**
 * Tokens per second of `@altclip/tokenizer` and transformers.js on the same corpus, in one process, one call per
 * line (as the SentencePiece anchor in the fixture README), runs of the two interleaved so that machine noise
 * hits both alike.
 */
export async function measureTokenizerSpeed(options: TokenizerSpeedOptions): Promise<TokenizerSpeedReport> {
  const repetitions = options.repetitions ?? 5;
  const text = await readFile(options.corpusPath, 'utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const bytes = Buffer.byteLength(lines.join(''), 'utf8');

  let started = performance.now();
  const ours = await XLMRobertaTokenizer.fromPretrained(options.modelDir);
  const oursLoad = (performance.now() - started) / 1000;
  const contenders: {
    name: 'ours' | 'transformersJs';
    encode: Encode;
    load: number;
    runs: number[];
    cpuRuns: number[];
    tokens: number;
  }[] = [
    { name: 'ours', encode: (line) => ours.encode(line), load: oursLoad, runs: [], cpuRuns: [], tokens: 0 },
  ];
  let tjsEncode: Encode | undefined;
  if (options.includeTransformersJs !== false) {
    const { AutoTokenizer, env } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = `${dirname(options.modelDir)}/`;
    started = performance.now();
    const tjs = await AutoTokenizer.from_pretrained(basename(options.modelDir));
    const encode: Encode = (line) => tjs.encode(line);
    tjsEncode = encode;
    contenders.push({
      name: 'transformersJs',
      encode,
      load: (performance.now() - started) / 1000,
      runs: [],
      cpuRuns: [],
      tokens: 0,
    });
  }
  const runOnce = (encode: Encode) => {
    let tokens = 0;
    for (const line of lines) tokens += encode(line).length - 2;
    return tokens;
  };
  for (const c of contenders) c.tokens = runOnce(c.encode);
  for (let r = 0; r < repetitions; r++) {
    for (const c of contenders) {
      started = performance.now();
      const cpu = process.cpuUsage();
      runOnce(c.encode);
      c.runs.push((performance.now() - started) / 1000);
      const used = process.cpuUsage(cpu);
      c.cpuRuns.push((used.user + used.system) / 1e6);
    }
  }
  const summarize = (c: (typeof contenders)[number]): TokenizerSpeed => {
    const runMedian = median(c.runs);
    const cpuMedian = median(c.cpuRuns);
    return {
      tokens: c.tokens,
      tokensPerSecond: Math.round(c.tokens / runMedian),
      linesPerSecond: Math.round(lines.length / runMedian),
      megabytesPerSecond: Math.round((bytes / 1e6 / runMedian) * 100) / 100,
      medianSeconds: runMedian,
      runsSeconds: c.runs,
      tokensPerCpuSecond: Math.round(c.tokens / cpuMedian),
      medianCpuSeconds: cpuMedian,
      loadSeconds: c.load,
    };
  };
  const report: TokenizerSpeedReport = { lines: lines.length, bytes, ours: summarize(contenders[0]) };
  if (tjsEncode && contenders[1]) {
    const encode = tjsEncode;
    let identicalLines = 0;
    for (const line of lines) {
      const a = ours.encode(line);
      const b = encode(line);
      if (a.length === b.length && a.every((id, i) => id === Number(b[i]))) identicalLines++;
    }
    report.transformersJs = { ...summarize(contenders[1]), identicalLines };
    report.speedupOverTransformersJs =
      Math.round((report.ours.tokensPerSecond / report.transformersJs.tokensPerSecond) * 100) / 100;
  }
  return report;
}
