/** True under Node.js (also Deno/Bun in Node mode); false in browsers and web workers. */
export const isNode =
  typeof process !== 'undefined' &&
  typeof process.versions === 'object' &&
  typeof process.versions.node === 'string';

type NodeIO = typeof import('./node-io.js');
let nodeIO: Promise<NodeIO> | undefined;

/** The Node-only module; the specifier is computed so that bundlers leave it out of browser builds. */
export function loadNodeIO(): Promise<NodeIO> {
  const specifier = ['.', 'node-io.js'].join('/');
  nodeIO ??= import(/* @vite-ignore */ specifier) as Promise<NodeIO>;
  return nodeIO;
}
