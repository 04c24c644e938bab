/**
 * Full-size (BAAI/AltCLIP shapes, random weights) measurements on onnxruntime-node:
 *   node scripts/run.mjs speed [--dir DIR] [--only fused-fp32,...] [--repeats N]
 * writes DIR/model.safetensors once (3.5 GB), then runs each configuration in its own child process
 * (so peak RSS is per configuration) and prints images/s, texts/s, GFLOP/s, peak RSS and the int8 cosine.
 *   node scripts/run.mjs speed check [--dir DIR]
 * only loads the default configuration, computes one image and one text feature, and prints a RESULT line
 * with the peak RSS and the weight bytes (the full-size test runs this).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AltCLIPModel,
  compareEmbeddings,
  configFromJSON,
  expectedWeightShapes,
  Tensor,
  type TensorInfo,
  type WeightStore,
  writeSafetensors,
} from '@altclip/core';
import { median } from '../../../tools/timing.js';
import '../src/index.js';

const IMAGE_GFLOP = 162.0;
const TEXT16_GFLOP = 9.72;

/** xorshift32 + Box-Muller: deterministic normals without holding more than one tensor. */
function normals(count: number, seed: number, std: number, mean = 0): Float32Array {
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 1) / 4294967297;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const a = 2 * Math.PI * uniform();
    out[i] = mean + std * r * Math.cos(a);
    if (i + 1 < count) out[i + 1] = mean + std * r * Math.sin(a);
  }
  return out;
}

function randomStore(shapes: Map<string, number[]>): WeightStore {
  const keys = [...shapes.keys()];
  return {
    keys: () => keys,
    info: (key) =>
      shapes.has(key) ? ({ dtype: 'float32', shape: shapes.get(key)! } as TensorInfo) : undefined,
    async get(key) {
      const shape = shapes.get(key)!;
      const size = shape.reduce((a, b) => a * b, 1);
      const seed = [...key].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261);
      const isNormWeight = /(LayerNorm|layer_norm\d|layrnorm|layernorm|pre_LN)\.weight$/.test(key);
      const data =
        key === 'logit_scale'
          ? Float32Array.of(2.6592)
          : isNormWeight
            ? normals(size, seed, 0.02, 1)
            : normals(size, seed, 0.02);
      return new Tensor('float32', data, shape);
    },
    async getFloat32(key) {
      return (await this.get(key)) as Tensor<'float32'>;
    },
    location: () => undefined,
    close: async () => {},
  };
}

function peakRssBytes(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Median seconds of `repeats` calls after one warm-up call. */
interface Timing {
  /** Median wall-clock seconds. */
  readonly wall: number;
  /** Median CPU seconds of this process (all threads): what the call costs, whatever else the machine runs. */
  readonly cpu: number;
}

/** Medians of `repeats` calls after one warm-up call. */
async function time(label: string, fn: () => Promise<unknown>, repeats: number): Promise<Timing> {
  await fn();
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const cpu = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(cpu);
    walls.push((performance.now() - start) / 1000);
    cpus.push((used.user + used.system) / 1e6);
  }
  if (process.env.ALTCLIP_SPEED_VERBOSE) {
    console.error(
      `${label}: wall ${walls.map((t) => t.toFixed(3)).join(' ')} s, cpu ${cpus.map((t) => t.toFixed(3)).join(' ')} s`,
    );
  }
  return { wall: median(walls), cpu: median(cpus) };
}

function inputs(batch: number) {
  const pixels = normals(batch * 3 * 224 * 224, 7, 1);
  const ids = Array.from({ length: batch }, (_, b) => [
    0,
    ...Array.from({ length: 14 }, (_, i) => 5 + ((b * 131 + i * 977) % 250000)),
    2,
  ]);
  return { pixelValues: new Tensor('float32', pixels, [batch, 3, 224, 224]), inputIds: ids };
}

/** One configuration in this process: load, time, report. */
async function measure(dir: string, graph: string, dtype: 'fp32' | 'int8', repeats: number): Promise<void> {
  const loadStart = performance.now();
  const model = await AltCLIPModel.fromPretrained(dir, {
    backend: 'ort-node',
    dtype,
    cacheDir: join(dir, 'cache'),
    backendOptions: {
      graph: graph.split('+')[0],
      packedAttention: graph.includes('+packed') ? true : graph.includes('+mha') ? false : undefined,
      skipLayerNorm: graph.includes('+skip'),
      allowSpinning: false,
    },
  });
  const one = inputs(1);
  const eight = inputs(8);
  const image1 = await model.getImageFeatures({ pixelValues: one.pixelValues });
  const text8 = await model.getTextFeatures({ inputIds: eight.inputIds });
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const result = {
    graph,
    dtype,
    loadSeconds,
    image1: await time(
      `${graph}-${dtype} image b1`,
      () => model.getImageFeatures({ pixelValues: one.pixelValues }),
      repeats,
    ),
    image8: await time(
      `${graph}-${dtype} image b8`,
      () => model.getImageFeatures({ pixelValues: eight.pixelValues }),
      Math.max(1, repeats - 1),
    ),
    text1: await time(
      `${graph}-${dtype} text b1`,
      () => model.getTextFeatures({ inputIds: one.inputIds }),
      repeats + 2,
    ),
    text8: await time(
      `${graph}-${dtype} text b8`,
      () => model.getTextFeatures({ inputIds: eight.inputIds }),
      repeats + 2,
    ),
    peakRss: peakRssBytes(),
    imageEmbedding: Array.from(image1.data),
    textEmbeddings: Array.from(text8.data),
  };
  await model.dispose();
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

/** Load, one image and one text feature, peak RSS: the full-size smoke check. */
async function check(dir: string): Promise<void> {
  const model = await AltCLIPModel.fromPretrained(dir, { backend: 'ort-node', cacheDir: join(dir, 'cache') });
  const one = inputs(1);
  const image = await model.getImageFeatures({ pixelValues: one.pixelValues });
  const text = await model.getTextFeatures({ inputIds: one.inputIds });
  const result = {
    peakRss: peakRssBytes(),
    imageDims: image.dims,
    textDims: text.dims,
    finite: [...image.data, ...text.data].every(Number.isFinite),
    imageNorm: Math.hypot(...image.data),
    textNorm: Math.hypot(...text.data),
  };
  await model.dispose();
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const dir = flag('dir', '/tmp/altclip-large');
  const repeats = Number(flag('repeats', '2'));
  if (args[0] === 'child')
    return measure(dir, flag('graph', 'fused'), flag('dtype', 'fp32') as 'fp32' | 'int8', repeats);
  if (args[0] === 'check-child') return check(dir);

  const configPath = join(process.env.ALTCLIP_FIXTURES_DIR!, 'models', 'altclip-large-config', 'config.json');
  const configJson = JSON.parse(readFileSync(configPath, 'utf8'));
  const config = configFromJSON(configJson);
  const shapes = expectedWeightShapes(config, { text: true, vision: true, withProjection: true });
  const checkpoint = join(dir, 'model.safetensors');
  if (!existsSync(checkpoint)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify(configJson));
    console.log(`writing ${checkpoint} ...`);
    await writeSafetensors(checkpoint, randomStore(shapes), { format: 'pt' });
  }
  const weightBytes = statSync(checkpoint).size;
  if (args[0] === 'check') {
    const output = execFileSync(process.execPath, [process.argv[1], 'check-child', '--dir', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const result = JSON.parse(
      output
        .split('\n')
        .find((line) => line.startsWith('RESULT '))!
        .slice(7),
    );
    process.stdout.write(`RESULT ${JSON.stringify({ ...result, weightBytes })}\n`);
    return;
  }
  const configurations = flag('only', 'plain-fp32,fused-fp32,fused-int8').split(',');
  const results: Record<string, { [k: string]: number | number[] | string | Timing }> = {};
  for (const name of configurations) {
    const [graph, dtype] = name.split('-');
    const output = execFileSync(
      process.execPath,
      [
        process.argv[1],
        'child',
        '--dir',
        dir,
        '--graph',
        graph,
        '--dtype',
        dtype,
        '--repeats',
        String(repeats),
      ],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    results[name] = JSON.parse(
      output
        .split('\n')
        .find((line) => line.startsWith('RESULT '))!
        .slice(7),
    );
    const r = results[name];
    const rate = (t: Timing, count: number, gflop: number) =>
      `${(count / t.wall).toFixed(2)}/s wall (${((count * gflop) / t.wall).toFixed(0)} GFLOP/s), ` +
      `${(t.cpu / count).toFixed(3)} CPU-s each (${((count * gflop) / t.cpu).toFixed(0)} GFLOP per CPU-s)`;
    const line = [
      `${name}: load ${(r.loadSeconds as number).toFixed(1)} s`,
      `  image b1: ${rate(r.image1 as unknown as Timing, 1, IMAGE_GFLOP)}`,
      `  image b8: ${rate(r.image8 as unknown as Timing, 8, IMAGE_GFLOP)}`,
      `  text b1:  ${rate(r.text1 as unknown as Timing, 1, TEXT16_GFLOP)}`,
      `  text b8:  ${rate(r.text8 as unknown as Timing, 8, TEXT16_GFLOP)}`,
      `  peak RSS ${((r.peakRss as number) / 2 ** 30).toFixed(2)} GiB = ${((r.peakRss as number) / weightBytes).toFixed(2)}x weight bytes`,
    ].join('\n');
    console.log(line);
  }
  const reference = results['fused-fp32'] ?? results['plain-fp32'];
  for (const [name, r] of Object.entries(results)) {
    if (!reference || r === reference) continue;
    const width = config.projectionDim;
    console.log(
      `${name} vs fp32 reference: image cosine ${compareEmbeddings(r.imageEmbedding as number[], reference.imageEmbedding as number[], (r.imageEmbedding as number[]).length / width).cosine.toFixed(5)}, ` +
        `text cosine (min of 8) ${compareEmbeddings(r.textEmbeddings as number[], reference.textEmbeddings as number[], (r.textEmbeddings as number[]).length / width).cosine.toFixed(5)}`,
    );
  }
  console.log(`weights: ${(weightBytes / 2 ** 30).toFixed(2)} GiB (${weightBytes} bytes)`);
}

await main();
