import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, open, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import type { ProgressCallback, WeightStore } from '@altclip/core';
import type { ExternalLocation } from '../graph/onnx-builder.js';
import {
  type GraphWeight,
  type PlacedWeights,
  sourceId,
  usableInPlace,
  WEIGHT_ALIGNMENT,
  WeightBytesProducer,
} from '../graph/weight-source.js';

/** `~/.cache/altclip/onnx`, or a folder in the temp dir when there is no home. */
export function defaultCacheDir(): string {
  const home = homedir();
  return home ? join(home, '.cache', 'altclip', 'onnx') : join(tmpdir(), 'altclip-onnx');
}

interface InPlace {
  readonly realPath: string;
  readonly offset: number;
  readonly length: number;
}

/**
 * Node runtimes: weights the checkpoint already holds in the right dtype are referenced in place (the
 * safetensors file is external data as it is, at any offset); everything else is converted once into
 * `weights.bin` in a cache folder named by a fingerprint of what it holds. onnxruntime resolves external
 * data relative to one folder and refuses paths that leave it (symlinks included), so when both kinds are
 * needed the checkpoint is hard-linked into the cache folder, or, across file systems, copied there.
 */
export async function placeWeightsOnDisk(
  store: WeightStore,
  weights: readonly GraphWeight[],
  options: { cacheDir?: string; onProgress?: ProgressCallback; label: string },
): Promise<PlacedWeights> {
  const unique = new Map<string, GraphWeight>();
  for (const weight of weights)
    if (!unique.has(sourceId(weight.source))) unique.set(sourceId(weight.source), weight);

  const inPlace = new Map<string, InPlace>();
  for (const [id, weight] of unique) {
    const location = usableInPlace(store, weight.source) ? store.location(weight.source.key) : undefined;
    if (location)
      inPlace.set(id, {
        realPath: await realpath(location.path),
        offset: location.offset,
        length: location.length,
      });
  }
  const folders = new Set([...inPlace.values()].map((l) => dirname(l.realPath)));
  if (inPlace.size === unique.size && folders.size === 1) {
    return {
      folder: [...folders][0],
      locate: (weight) => {
        const l = inPlace.get(sourceId(weight.source))!;
        return { file: basename(l.realPath), offset: l.offset, length: l.length };
      },
    };
  }

  const fingerprint = createHash('sha256');
  const sourceFiles = [...new Set([...inPlace.values()].map((l) => l.realPath))];
  for (const path of sourceFiles) {
    const info = await stat(path);
    fingerprint.update(`file ${path} ${info.size} ${info.mtimeMs}\n`);
  }
  const producer = new WeightBytesProducer(store);
  const converted = [...unique.entries()].filter(([id]) => !inPlace.has(id));
  for (const [id, weight] of converted) {
    const location = store.location(weight.source.key);
    if (location) {
      const info = await stat(location.path);
      fingerprint.update(
        `${id} ${await realpath(location.path)} ${info.size} ${info.mtimeMs} ${location.offset}\n`,
      );
    } else {
      // In-memory or pickled weights have no file identity: their content is the fingerprint.
      fingerprint
        .update(`${id} `)
        .update(await producer.bytes(weight))
        .update('\n');
    }
  }
  const folder = join(
    options.cacheDir ?? defaultCacheDir(),
    `weights-${fingerprint.digest('hex').slice(0, 24)}`,
  );
  await mkdir(folder, { recursive: true });

  const linked = new Map<string, string>();
  for (const [index, path] of sourceFiles.entries()) {
    const name = `source-${index}${extname(path)}`;
    const target = join(folder, name);
    try {
      if (!existsSync(target)) await link(path, target);
      linked.set(path, name);
    } catch {
      // Another file system: these tensors are copied into weights.bin below.
    }
  }
  for (const [id, l] of inPlace) {
    if (linked.has(l.realPath)) continue;
    converted.push([id, unique.get(id)!]);
    inPlace.delete(id);
  }

  const written = await writeConvertedWeights(folder, producer, converted, options);
  return {
    folder,
    locate: (weight) => {
      const id = sourceId(weight.source);
      const l = inPlace.get(id);
      return l ? { file: linked.get(l.realPath)!, offset: l.offset, length: l.length } : written.get(id)!;
    },
  };
}

/** Writes (or reuses) `weights.bin` and its index; tensors are produced and written one at a time. */
async function writeConvertedWeights(
  folder: string,
  producer: WeightBytesProducer,
  converted: readonly (readonly [string, GraphWeight])[],
  options: { onProgress?: ProgressCallback; label: string },
): Promise<Map<string, ExternalLocation>> {
  const indexPath = join(folder, 'weights.json');
  if (existsSync(indexPath)) {
    const index = JSON.parse(await readFile(indexPath, 'utf8')) as Record<string, ExternalLocation>;
    if (converted.every(([id]) => index[id])) return new Map(Object.entries(index));
  }
  const partial = join(folder, `weights.bin.${process.pid}.partial`);
  const handle = await open(partial, 'w');
  const index: Record<string, ExternalLocation> = {};
  let offset = 0;
  try {
    for (const [n, [id, weight]] of converted.entries()) {
      const bytes = await producer.bytes(weight);
      offset = Math.ceil(offset / WEIGHT_ALIGNMENT) * WEIGHT_ALIGNMENT;
      await handle.write(bytes, 0, bytes.byteLength, offset);
      index[id] = { file: 'weights.bin', offset, length: bytes.byteLength };
      offset += bytes.byteLength;
      options.onProgress?.({ stage: 'convert', item: options.label, loaded: n + 1, total: converted.length });
    }
  } catch (error) {
    await handle.close();
    await rm(partial, { force: true });
    throw error;
  }
  await handle.close();
  await rename(partial, join(folder, 'weights.bin'));
  await writeFile(indexPath, JSON.stringify(index));
  return new Map(Object.entries(index));
}
