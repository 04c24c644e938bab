import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { CliError, ExitCode } from './exit-codes.js';

/** Extensions `embed` picks up in a folder (the formats @altclip/image-processor decodes). */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.gif', '.webp', '.bmp']);

/** Fails early, before a model loads, when an input file is missing or not a file. */
export async function checkFiles(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new CliError(ExitCode.input, 'input_missing', `${path}: no such file`);
    if (!info.isFile()) throw new CliError(ExitCode.input, 'input_not_file', `${path}: not a file`);
  }
}

export interface Item {
  /** What the output calls this item: the image path relative to the folder, or the text's line number. */
  readonly id: string | number;
  /** The image path, or the text. */
  readonly value: string;
}

/**
 * Every image under `folder`, recursively, in code-point order of the relative path (stable across runs, so a
 * resumed run sees the same order). Hidden files and folders (starting with '.') are skipped.
 */
export async function listImages(folder: string): Promise<Item[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      const info = entry.isSymbolicLink() ? await stat(path).catch(() => undefined) : entry;
      if (info?.isDirectory()) await walk(path);
      else if (info?.isFile() && IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase())) found.push(path);
    }
  };
  await walk(folder);
  const ids = found.map((path) => relative(folder, path).split(sep).join('/'));
  return ids
    .map((id, i) => ({ id, value: found[i] }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** One text per line (UTF-8); blank lines are skipped, the id is the 1-based line number. */
export async function readTexts(file: string): Promise<Item[]> {
  if (IMAGE_EXTENSIONS.has(extname(file).toLowerCase())) {
    throw new CliError(
      ExitCode.input,
      'not_text',
      `${file} is an image, not a text file: give a folder of images`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await readFile(file));
  } catch (error) {
    throw new CliError(
      ExitCode.input,
      'not_text',
      `${file} is not UTF-8 text (${(error as Error).message})`,
      {
        cause: error,
      },
    );
  }
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((line, i) => ({ id: i + 1, value: line }))
    .filter((item) => item.value.trim() !== '');
}

/** `--labels 'a,b,c'`: separated by commas (ASCII or the full-width '，'), trimmed, empty entries dropped. */
export function parseList(value: string): string[] {
  return value
    .split(/[,，]/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

export function batches<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}
