import { createReadStream } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { CliError, ExitCode } from './exit-codes.js';
import { batches, type Item, listImages, readTexts } from './inputs.js';
import { type Encoder, normalize } from './model.js';
import { NpyWriter, writeAll } from './npy.js';
import type { Progress } from './progress.js';

export type EmbedFormat = 'npy' | 'jsonl';

export interface EmbedOptions {
  out: string;
  batchSize: number;
  normalize: boolean;
  overwrite: boolean;
}

export interface EmbedSummary {
  input: string;
  kind: 'images' | 'texts';
  out: string;
  format: EmbedFormat;
  /** For .npy: the companion file with one id per row. */
  ids?: string;
  count: number;
  dimension: number;
  normalized: boolean;
  /** Items found already written by an earlier, interrupted run. */
  resumed: number;
  written: number;
}

export function outputFormat(out: string): EmbedFormat {
  const extension = extname(out).toLowerCase();
  if (extension === '.npy') return 'npy';
  if (extension === '.jsonl' || extension === '.ndjson') return 'jsonl';
  throw new CliError(ExitCode.usage, 'bad_output', `--out ${out}: use a .npy or .jsonl file name`);
}

/** A folder means images (recursively), a file means texts (one per line). */
async function embedItems(input: string): Promise<{ kind: 'images' | 'texts'; items: Item[] }> {
  const info = await stat(input).catch(() => undefined);
  if (!info) throw new CliError(ExitCode.input, 'input_missing', `${input}: no such file or folder`);
  const kind = info.isDirectory() ? 'images' : 'texts';
  const items = kind === 'images' ? await listImages(input) : await readTexts(input);
  if (items.length === 0) {
    throw new CliError(
      ExitCode.input,
      'input_empty',
      kind === 'images' ? `${input}: no images found` : `${input}: no texts (the file has no non-blank line)`,
    );
  }
  return { kind, items };
}

/** Where embeddings go; both kinds append batch by batch and can pick up after an interrupted run. */
interface Sink {
  readonly count: number;
  append(items: readonly Item[], rows: readonly Float32Array[]): Promise<void>;
  close(): Promise<void>;
}

export interface EmbedInput {
  path: string;
  kind: 'images' | 'texts';
  items: Item[];
}

/** Lists the items and checks the output name: both fail fast, before a model loads. */
export async function prepareEmbed(input: string, out: string): Promise<EmbedInput> {
  outputFormat(out);
  return { path: input, ...(await embedItems(input)) };
}

export async function embed(
  { path: input, kind, items }: EmbedInput,
  encoder: Encoder,
  options: EmbedOptions,
  progress: Progress,
): Promise<EmbedSummary> {
  const format = outputFormat(options.out);
  const width = encoder.dimension;
  const sink =
    format === 'npy'
      ? await NpySink.open(options.out, width, items, options.overwrite)
      : await JsonlSink.open(options.out, width, items, options.overwrite);
  const resumed = sink.count;
  const bar = progress.items(kind === 'images' ? 'images' : 'texts', items.length, resumed);
  try {
    for (const batch of batches(items.slice(resumed), options.batchSize)) {
      const values = batch.map((item) => item.value);
      const features =
        kind === 'images' ? await encoder.imageFeatures(values) : await encoder.textFeatures(values);
      await sink.append(batch, options.normalize ? features.map(normalize) : features);
      bar.increment(batch.length);
    }
  } finally {
    bar.stop();
    await sink.close();
  }
  return {
    input,
    kind,
    out: options.out,
    format,
    ids: format === 'npy' ? idsPath(options.out) : undefined,
    count: items.length,
    dimension: width,
    normalized: options.normalize,
    resumed,
    written: items.length - resumed,
  };
}

function conflict(path: string, detail: string): CliError {
  return new CliError(
    ExitCode.output,
    'output_conflict',
    `${path} already exists and ${detail}; remove it or pass --overwrite to start over`,
  );
}

/** The complete ('\n'-terminated) lines of a file, streamed, each with the byte offset just after it. */
async function* completeLines(path: string): AsyncGenerator<{ line: string; end: number }> {
  const decoder = new TextDecoder();
  let pending: Uint8Array[] = [];
  let offset = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, start)) {
      const part = chunk.subarray(start, i);
      const bytes = pending.length ? Buffer.concat([...pending, part]) : part;
      pending = [];
      yield { line: decoder.decode(bytes), end: offset + i + 1 };
      start = i + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
    offset += chunk.length;
  }
}

async function openForAppend(
  path: string,
  overwrite: boolean,
): Promise<{ handle: FileHandle; existed: boolean }> {
  if (overwrite) return { handle: await open(path, 'w'), existed: false };
  const existed = await stat(path).then(
    () => true,
    () => false,
  );
  return { handle: await open(path, existed ? 'r+' : 'w'), existed };
}

/** `{"id": ..., "embedding": [...]}` per line. */
class JsonlSink implements Sink {
  private constructor(
    private readonly handle: FileHandle,
    private position: number,
    public count: number,
  ) {}

  static async open(
    path: string,
    width: number,
    items: readonly Item[],
    overwrite: boolean,
  ): Promise<JsonlSink> {
    const { handle, existed } = await openForAppend(path, overwrite).catch((error: Error) => {
      throw new CliError(ExitCode.output, 'output_unwritable', `${path}: ${error.message}`, { cause: error });
    });
    let count = 0;
    let end = 0;
    if (existed) {
      try {
        for await (const { line, end: lineEnd } of completeLines(path)) {
          let record: { id?: unknown; embedding?: unknown };
          try {
            record = JSON.parse(line);
          } catch {
            break; // a damaged last line: rewritten below
          }
          if (count >= items.length || record.id !== items[count].id) {
            throw conflict(
              path,
              `its line ${count + 1} is not item ${JSON.stringify(items[count]?.id ?? null)} of this input`,
            );
          }
          if (!Array.isArray(record.embedding) || record.embedding.length !== width) {
            throw conflict(path, `its line ${count + 1} is not a ${width}-wide embedding`);
          }
          count += 1;
          end = lineEnd;
        }
      } catch (error) {
        await handle.close();
        throw error;
      }
      await handle.truncate(end);
    }
    return new JsonlSink(handle, end, count);
  }

  async append(items: readonly Item[], rows: readonly Float32Array[]): Promise<void> {
    const text = items
      .map((item, i) => `${JSON.stringify({ id: item.id, embedding: Array.from(rows[i]) })}\n`)
      .join('');
    const bytes = new TextEncoder().encode(text);
    await writeAll(this.handle, bytes, this.position);
    this.position += bytes.length;
    this.count += items.length;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export function idsPath(out: string): string {
  return `${out}.ids.txt`;
}

/** A float32 [N, D] .npy plus `<out>.ids.txt` naming each row (image path or text line number). */
class NpySink implements Sink {
  private constructor(
    private readonly rows: NpyWriter,
    private readonly ids: FileHandle,
    private idsPosition: number,
  ) {}

  get count(): number {
    return this.rows.rows;
  }

  static async open(
    path: string,
    width: number,
    items: readonly Item[],
    overwrite: boolean,
  ): Promise<NpySink> {
    for (const item of items) {
      if (String(item.id).includes('\n'))
        throw new CliError(
          ExitCode.input,
          'bad_name',
          `${item.value}: a file name with a line break cannot be listed in ${idsPath(path)}`,
        );
    }
    const idsFile = idsPath(path);
    try {
      const { handle: ids, existed } = await openForAppend(idsFile, overwrite);
      let count = 0;
      let end = 0;
      if (existed) {
        for await (const { line, end: lineEnd } of completeLines(idsFile)) {
          if (count >= items.length || line !== String(items[count].id)) {
            await ids.close();
            throw conflict(
              idsFile,
              `its line ${count + 1} is not item ${JSON.stringify(items[count]?.id ?? null)} of this input`,
            );
          }
          count += 1;
          end = lineEnd;
        }
      }
      const rows =
        (existed && (await NpyWriter.resume(path, width, count))) || (await NpyWriter.create(path, width));
      // Rows and ids are written in that order, so after a crash the shorter of the two is the truth.
      if (rows.rows < count) {
        count = rows.rows;
        end = 0;
        for (let i = 0; i < count; i++) end += new TextEncoder().encode(`${items[i].id}\n`).length;
      }
      await ids.truncate(end);
      return new NpySink(rows, ids, end);
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(ExitCode.output, 'output_unwritable', `${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async append(items: readonly Item[], rows: readonly Float32Array[]): Promise<void> {
    await this.rows.append(rows);
    const bytes = new TextEncoder().encode(items.map((item) => `${item.id}\n`).join(''));
    await writeAll(this.ids, bytes, this.idsPosition);
    this.idsPosition += bytes.length;
  }

  async close(): Promise<void> {
    await this.rows.close();
    await this.ids.close();
  }
}
