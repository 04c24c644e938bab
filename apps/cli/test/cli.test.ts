import { execFile, execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import '@altclip/backend-ort';
import { AltCLIPModel, Tensor } from '@altclip/core';
import { AltCLIPProcessor, zeroShotImageClassification } from '@altclip/processor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose, goldenSuite, readGoldenTensors } from '../../../tools/goldens.js';

const packageDir = resolve(import.meta.dirname, '..');
const repoRoot = resolve(packageDir, '..', '..');
const main = join(packageDir, 'dist', 'main.js');
const suite = goldenSuite();
const e2e = suite?.cases.find((c) => c.name === 'e2e_processor_4x3') as
  | (NonNullable<typeof suite>['cases'][number] & { texts: string[]; images: string[] })
  | undefined;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would (a child process), never throwing on a non-zero exit. */
function altclip(...args: string[]): Promise<CliResult> {
  return altclipWithEnv({}, ...args);
}

function altclipWithEnv(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [main, ...args],
      { env: { ...process.env, ALTCLIP_MODEL: '', ...env } },
      (error, stdout, stderr) => {
        done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** A float32 [N, D] .npy read independently of the CLI's writer. */
function readNpy(path: string): { dims: number[]; rows: number[][] } {
  const bytes = readFileSync(path);
  expect([...bytes.subarray(0, 6)]).toEqual([0x93, ...Buffer.from('NUMPY')]);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  expect(header).toContain("'descr': '<f4'");
  expect((10 + headerLength) % 64).toBe(0);
  const [, n, d] = /'shape': \((\d+), (\d+)\)/.exec(header)!.map(Number);
  const data = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset + 10 + headerLength, bytes.byteOffset + bytes.length),
  );
  expect(data.length).toBe(n * d);
  return {
    dims: [n, d],
    rows: Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * d, (i + 1) * d))),
  };
}

/** The repository's demo checkpoint and examples (what `npm start` uses): each example image and its label. */
const demoModel = join(repoRoot, 'models', 'altclip-demo');
const demoExamples: [string, string][] = [
  ['red-circle.png', '红色圆形'],
  ['blue-square.png', 'blue square'],
  ['green-triangle.png', 'un triangle vert'],
  ['yellow-star.png', 'una estrella amarilla'],
].map(([file, label]) => [join(repoRoot, 'examples', 'images', file), label]);
const hasDemo =
  existsSync(join(demoModel, 'config.json')) && demoExamples.every(([path]) => existsSync(path));
if (!hasDemo && process.env.CI)
  throw new Error(`the demo model ${demoModel} or its examples are missing under CI`);

describe.skipIf(!hasDemo)('altclip command on the demo model (no --model)', () => {
  beforeAll(() => {
    execFileSync(
      process.execPath,
      [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(packageDir, 'tsconfig.json')],
      { stdio: 'inherit' },
    );
  });

  it('classifies every bundled example with multilingual labels, offline', async () => {
    const labels = demoExamples.map(([, label]) => label);
    const result = await altclip(
      'classify',
      ...demoExamples.map(([path]) => path),
      '--labels',
      labels.join(','),
      '--json',
      '--offline',
    );
    expect(result.code, result.stderr).toBe(0);
    const document = JSON.parse(result.stdout);
    expect(document.model).toBe(demoModel);
    const top = document.results.map((r: { scores: { label: string }[] }) => r.scores[0].label);
    expect(top).toEqual(labels);
  });
});

describe.skipIf(!suite)('altclip command (built dist, tiny-altclip fixture)', () => {
  let work: string;
  let model: string;
  let images: string[];

  beforeAll(() => {
    // The tests run what users run: the compiled CLI (sibling packages resolve to their builds).
    execFileSync(
      process.execPath,
      [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(packageDir, 'tsconfig.json')],
      { stdio: 'inherit' },
    );
    work = mkdtempSync(join(tmpdir(), 'altclip-cli-'));
    model = suite!.modelDir;
    images = e2e!.images.map((path) => join(model, path));
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('classify --json prints one document with the zero-shot pipeline scores, sorted', async () => {
    const labels = ['一只猫', 'a dog', 'un oiseau', 'قطة'];
    const result = await altclip(
      'classify',
      ...images,
      '--labels',
      labels.join(','),
      '--model',
      model,
      '--backend',
      'ort-node',
      '--json',
    );
    expect(result.code, result.stderr).toBe(0);
    const document = JSON.parse(result.stdout);
    expect(document.backend).toBe('ort-node');
    expect(document.results.map((r: { image: string }) => r.image)).toEqual(images);

    const reference = await AltCLIPModel.fromPretrained(model, { backend: 'ort-node' });
    const processor = await AltCLIPProcessor.fromPretrained(model);
    const expected = await zeroShotImageClassification(reference, processor, images, labels);
    await reference.dispose();
    document.results.forEach((result: { scores: { label: string; score: number }[] }, i: number) => {
      expect(result.scores.map((s) => s.label)).toEqual(expected[i].map((s) => s.label));
      result.scores.forEach((s, j) => {
        expect(s.score).toBeCloseTo(expected[i][j].score, 5);
      });
      expect(result.scores.reduce((sum, s) => sum + s.score, 0)).toBeCloseTo(1, 6);
    });
  });

  it('classify gives the same scores on every backend and prints a table without --json', async () => {
    const args = ['classify', images[0], '--labels', 'a cat,un chien', '--model', model, '--json'];
    const byBackend = await Promise.all(
      ['ort-node', 'ort-web', 'tfjs'].map((backend) => altclip(...args, '--backend', backend)),
    );
    const scores = byBackend.map((result) => {
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout).results[0].scores as { label: string; score: number }[];
    });
    for (const other of scores.slice(1)) {
      expect(other.map((s) => s.label)).toEqual(scores[0].map((s) => s.label));
      other.forEach((s, j) => {
        expect(Math.abs(s.score - scores[0][j].score)).toBeLessThan(1e-4);
      });
    }
    const table = await altclip('classify', images[0], '--labels', 'a cat,un chien', '--model', model);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toBe(images[0]);
    expect(table.stdout).toMatch(/%\s+█*\s+a cat/);
  });

  it('similarity --json equals cos(text, image) of the Python reference (logits_per_text / logit_scale)', async () => {
    const args = e2e!.texts.flatMap((text) => ['--text', text]);
    const result = await altclip('similarity', ...images, ...args, '--model', model, '--json');
    expect(result.code, result.stderr).toBe(0);
    const document = JSON.parse(result.stdout);
    expect(document.texts).toEqual(e2e!.texts);
    expect(document.images).toEqual(images);
    expect(document.metric).toBe('cosine');
    const golden = await readGoldenTensors(suite!, e2e!);
    const logits = golden.get('logits_per_text') as Tensor<'float32'>;
    const cosine = new Tensor('float32', document.similarity.flat(), [e2e!.texts.length, images.length]);
    const scale = document.logitScale as number;
    expectClose(
      cosine,
      new Tensor(
        'float32',
        logits.data.map((v) => v / scale),
        logits.dims,
      ),
      { atol: 1e-5, rtol: 1e-4 },
      'cosine',
    );
  });

  it('embed writes text embeddings as JSON Lines, equal to the reference text_embeds with --normalize', async () => {
    const texts = join(work, 'texts.txt');
    writeFileSync(texts, `${e2e!.texts[0]}\n${e2e!.texts[1]}\n\n${e2e!.texts[2]}\n${e2e!.texts[3]}`);
    const out = join(work, 'texts.jsonl');
    const result = await altclip(
      'embed',
      texts,
      '--out',
      out,
      '--model',
      model,
      '--normalize',
      '--batch-size',
      '3',
      '--json',
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      kind: 'texts',
      count: 4,
      dimension: 16,
      normalized: true,
      resumed: 0,
      written: 4,
    });
    const lines = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.id)).toEqual([1, 2, 4, 5]); // line numbers; the blank line is skipped
    const golden = (await readGoldenTensors(suite!, e2e!)).get('text_embeds')!;
    expectClose(
      new Tensor(
        'float32',
        lines.flatMap((line) => line.embedding),
        [4, 16],
      ),
      golden,
      { atol: 1e-4, rtol: 1e-4 },
      'text_embeds',
    );
  });

  it('embed writes a folder of images (recursively) as .npy with row ids; normalised rows equal image_embeds', async () => {
    const folder = join(work, 'images');
    mkdirSync(join(folder, 'nested'), { recursive: true });
    const placed = images.map((path, i) => (i === 1 ? join('nested', basename(path)) : basename(path)));
    images.forEach((path, i) => {
      symlinkSync(path, join(folder, placed[i]));
    });
    writeFileSync(join(folder, 'notes.txt'), 'not an image');
    const out = join(work, 'images.npy');
    const result = await altclip('embed', folder, '--out', out, '--model', model, '--batch-size', '2');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    const ids = readFileSync(`${out}.ids.txt`, 'utf8').trimEnd().split('\n');
    expect(ids).toEqual([...placed].sort());
    const { dims, rows } = readNpy(out);
    expect(dims).toEqual([3, 16]);
    const golden = (await readGoldenTensors(suite!, e2e!)).get('image_embeds') as Tensor<'float32'>;
    const byGoldenOrder = placed.map((id) => {
      const row = rows[ids.indexOf(id)];
      const norm = Math.hypot(...row);
      return row.map((v) => v / norm);
    });
    expectClose(
      new Tensor('float32', byGoldenOrder.flat(), [3, 16]),
      golden,
      { atol: 1e-4, rtol: 1e-4 },
      'image_embeds',
    );
  });

  it('embed resumes a cut-off output and ends with the same bytes as one uninterrupted run', async () => {
    const texts = join(work, 'resume.txt');
    writeFileSync(
      texts,
      `${Array.from({ length: 11 }, (_, i) => `text number ${i} — numéro ${i} — 第${i}个`).join('\n')}\n`,
    );
    for (const extension of ['jsonl', 'npy']) {
      const reference = join(work, `reference.${extension}`);
      const whole = await altclip('embed', texts, '-o', reference, '-m', model, '--batch-size', '4');
      expect(whole.code, whole.stderr).toBe(0);
      const cut = join(work, `cut.${extension}`);
      copyFileSync(reference, cut);
      if (extension === 'jsonl') {
        const lines = readFileSync(reference, 'utf8').split('\n');
        // Three complete lines and half of the fourth, as a crash in the middle of a write leaves it.
        writeFileSync(cut, `${lines.slice(0, 3).join('\n')}\n${lines[3].slice(0, 40)}`);
      } else {
        // Five rows and a half on disk, but the ids file lists only three (it is written after the rows).
        truncateSync(cut, 128 + 5.5 * 16 * 4);
        writeFileSync(`${cut}.ids.txt`, '1\n2\n3\n');
      }
      const resumed = await altclip('embed', texts, '-o', cut, '-m', model, '--batch-size', '4', '--json');
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout)).toMatchObject({ resumed: 3, written: 8, count: 11 });
      expect(readFileSync(cut).equals(readFileSync(reference)), extension).toBe(true);
      if (extension === 'npy')
        expect(readFileSync(`${cut}.ids.txt`, 'utf8')).toBe(readFileSync(`${reference}.ids.txt`, 'utf8'));
      const again = await altclip('embed', texts, '-o', cut, '-m', model, '--json');
      expect(JSON.parse(again.stdout)).toMatchObject({ resumed: 11, written: 0 });
    }
  });

  it.each(['SIGKILL', 'SIGINT'] as const)(
    'embed stopped mid-run by %s resumes to the same output as one run',
    async (signal) => {
      const texts = join(work, 'many.txt');
      const words = ['cat', 'chien', '猫', 'قطة', 'Vogel', 'pájaro'];
      writeFileSync(
        texts,
        `${Array.from({ length: 3000 }, (_, i) => `${words[i % 6]} ${i} ${words[(i * 7) % 6]}`).join('\n')}\n`,
      );
      const reference = join(work, 'many-reference.jsonl');
      if (!existsSync(reference))
        expect((await altclip('embed', texts, '-o', reference, '-m', model)).code).toBe(0);
      const out = join(work, `many-${signal}.jsonl`);
      const child = spawn(
        process.execPath,
        [main, 'embed', texts, '-o', out, '-m', model, '--batch-size', '1'],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      const exited = new Promise<{ code: number | null; by: string | null }>((done) =>
        child.on('exit', (code, by) => done({ code, by })),
      );
      for (let ran = 0; ran < 30_000; ran += 5) {
        const size = statSync(out, { throwIfNoEntry: false })?.size ?? 0;
        if (size > 20_000) break;
        await new Promise((wait) => setTimeout(wait, 5));
      }
      child.kill(signal);
      const { code, by } = await exited;
      if (signal === 'SIGKILL') expect(by).toBe('SIGKILL');
      else {
        expect(code).toBe(130);
        expect(stderr).toMatch(/interrupted: run the same command again/);
      }
      const resumed = await altclip('embed', texts, '-o', out, '-m', model, '--json');
      expect(resumed.code, resumed.stderr).toBe(0);
      const summary = JSON.parse(resumed.stdout);
      expect(summary.resumed).toBeGreaterThan(0);
      expect(summary.resumed).toBeLessThan(3000);
      expect(readFileSync(out).equals(readFileSync(reference))).toBe(true);
    },
  );

  it('embed refuses to resume an output that holds other items (exit 6) unless --overwrite', async () => {
    const first = join(work, 'first.txt');
    const second = join(work, 'second.txt');
    writeFileSync(first, 'a\nb\n');
    writeFileSync(second, '\nb\nc\n');
    const out = join(work, 'conflict.jsonl');
    expect((await altclip('embed', first, '-o', out, '-m', model)).code).toBe(0);
    const refused = await altclip('embed', second, '-o', out, '-m', model);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/--overwrite/);
    expect((await altclip('embed', second, '-o', out, '-m', model, '--overwrite')).code).toBe(0);
    expect(
      readFileSync(out, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line).id),
    ).toEqual([2, 3]);
  });

  it('takes a hub id, read offline from the Hugging Face cache layout, and says when it is not cached', async () => {
    // The cache layout huggingface_hub writes: refs/main → commit, snapshots/<commit>/<file>.
    const cache = join(work, 'hub-cache');
    const commit = 'a'.repeat(40);
    const snapshot = join(cache, 'models--altclip-test--tiny', 'snapshots', commit);
    mkdirSync(snapshot, { recursive: true });
    mkdirSync(join(cache, 'models--altclip-test--tiny', 'refs'));
    writeFileSync(join(cache, 'models--altclip-test--tiny', 'refs', 'main'), commit);
    for (const file of [
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
      'special_tokens_map.json',
      'sentencepiece.bpe.model',
      'preprocessor_config.json',
    ]) {
      symlinkSync(join(model, file), join(snapshot, file));
    }
    const env = { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' };
    const fromHub = await altclipWithEnv(
      env,
      'classify',
      images[0],
      '--labels',
      'a cat,un chien',
      '-m',
      'altclip-test/tiny',
      '--json',
    );
    expect(fromHub.code, fromHub.stderr).toBe(0);
    const fromFolder = await altclip(
      'classify',
      images[0],
      '--labels',
      'a cat,un chien',
      '-m',
      model,
      '--json',
    );
    expect(JSON.parse(fromHub.stdout).results).toEqual(JSON.parse(fromFolder.stdout).results);
    const missing = await altclipWithEnv(env, 'classify', images[0], '--labels', 'a', '-m', 'BAAI/AltCLIP');
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/BAAI\/AltCLIP: offline mode/);
  });

  it('exits with documented codes: 3 missing or unreadable input, 4 unknown backend, 5 missing model, 2 usage', async () => {
    const broken = join(work, 'broken.jpg');
    writeFileSync(broken, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    const binaryText = join(work, 'binary.txt');
    writeFileSync(binaryText, Buffer.from([0x61, 0x0a, 0xff, 0xfe, 0x80]));
    const cases: [string[], number, RegExp][] = [
      [
        ['classify', join(work, 'missing.jpg'), '--labels', 'a', '-m', model],
        3,
        /missing\.jpg: no such file/,
      ],
      [['classify', broken, '--labels', 'a', '-m', model], 3, /broken\.jpg/],
      [
        ['embed', join(work, 'missing-folder'), '-o', join(work, 'x.npy'), '-m', model],
        3,
        /no such file or folder/,
      ],
      [['embed', broken, '-o', join(work, 'x.npy'), '-m', model], 3, /is an image, not a text file/],
      [['similarity', images[0], '--texts-file', binaryText, '-m', model], 3, /not UTF-8 text/],
      [
        ['classify', images[0], '--labels', 'a', '-m', model, '--backend', 'nope'],
        4,
        /backend 'nope' is not registered/,
      ],
      [
        ['classify', images[0], '--labels', 'a', '-m', model, '--backend', 'tfjs', '--dtype', 'fp16'],
        4,
        /does not support dtype 'fp16'/,
      ],
      [['classify', images[0], '--labels', 'a', '-m', join(work, 'no-model')], 5, /no-model/],
      [['classify', images[0], '-m', model], 2, /--labels/],
      [['classify', images[0], '--labels', 'a', '--batch-size', '0'], 2, /positive integer/],
      [['similarity', images[0], '-m', model], 2, /--text/],
      [['embed', join(work, 'texts.txt'), '-o', join(work, 'x.csv'), '-m', model], 2, /\.npy or \.jsonl/],
      [['frobnicate'], 2, /unknown command/],
    ];
    const results = await Promise.all(cases.map(([args]) => altclip(...args)));
    results.forEach((result, i) => {
      expect(result.code, `${cases[i][0].join(' ')}\n${result.stderr}`).toBe(cases[i][1]);
      expect(result.stderr).toMatch(cases[i][2]);
      expect(result.stdout).toBe('');
    });
  });
});
