// Node-only helpers. Loaded with a computed dynamic import so that browser bundles never see `node:` modules.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/** The bytes of a file on disk. */
export async function readPath(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path));
}

/** The bytes of a file shipped inside a dependency, e.g. `@cwasm/jpeg-turbo/jpeg-turbo.wasm`. */
export async function readDependencyFile(specifier: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(createRequire(import.meta.url).resolve(specifier)));
}
