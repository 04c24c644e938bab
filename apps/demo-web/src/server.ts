#!/usr/bin/env node
// Serves the demo page on 127.0.0.1: the page, its bundle, onnxruntime-web's wasm files and a model folder.
import { createReadStream, existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { PAGE_DIR } from './bundle.js';

const packageDir = resolve(import.meta.dirname, '..');
const repoRoot = resolve(packageDir, '..', '..');
/** The repository's demo checkpoint: the page's model unless --model says otherwise. */
export const DEMO_MODEL = join(repoRoot, 'models', 'altclip-demo');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};

export interface DemoServerOptions {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1 (the demo is not meant to be exposed). */
  host?: string;
  /** The model folder served under /model/. Default: models/altclip-demo of the repository. */
  modelDir?: string;
  /** Images offered as examples under /examples/. Default: examples/images of the repository. */
  examplesDir?: string;
}

export interface DemoServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** URL prefix → folder. Requests outside these folders get 404. */
function routes(modelDir: string, examplesDir: string): [string, string][] {
  const require = createRequire(import.meta.url);
  return [
    ['/model/', modelDir],
    // onnxruntime-web keeps its wasm files in dist/, beside its main file.
    ['/ort/', dirname(require.resolve('onnxruntime-web'))],
    ['/examples/', examplesDir],
    ['/', PAGE_DIR],
  ];
}

async function findFile(folders: [string, string][], path: string): Promise<string | undefined> {
  for (const [prefix, folder] of folders) {
    if (!path.startsWith(prefix)) continue;
    const file = resolve(folder, `.${path.slice(prefix.length - 1)}`);
    if (file !== folder && !file.startsWith(folder + sep)) continue; // no escaping the folder with '..'
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile()) return file;
  }
  return undefined;
}

const EXAMPLES_DIR = join(repoRoot, 'examples', 'images');
const IMAGE_FILE = /\.(jpe?g|png|gif|webp|bmp)$/i;

/** The example images, for the page's "examples" row: file names, sorted. */
async function listExamples(folder: string): Promise<string[]> {
  const names = await readdir(folder).catch(() => []);
  return names.filter((name) => IMAGE_FILE.test(name)).sort();
}

export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  if (!existsSync(join(PAGE_DIR, 'app.js')))
    throw new Error(`${PAGE_DIR}/app.js is missing: run npm run build -w @altclip/demo-web`);
  const examplesDir = resolve(options.examplesDir ?? EXAMPLES_DIR);
  const folders = routes(resolve(options.modelDir ?? DEMO_MODEL), examplesDir);
  const server = createServer(async (request, response) => {
    // Cross-origin isolation lets onnxruntime-web use SharedArrayBuffer, hence several wasm threads.
    response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    response.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405).end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    } catch {
      response.writeHead(400).end();
      return;
    }
    if (path === '/examples/index.json') {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(await listExamples(examplesDir)));
      return;
    }
    const file = await findFile(folders, path === '/' ? '/index.html' : path);
    if (!file) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
      return;
    }
    const { size } = await stat(file);
    response.writeHead(200, {
      'content-type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': size,
      'cache-control': 'no-cache',
    });
    if (request.method === 'HEAD') response.end();
    else createReadStream(file).pipe(response);
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', done);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    server,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

if (process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', short: 'p', default: process.env.PORT ?? '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      model: { type: 'string', short: 'm' },
      examples: { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port ${values.port}: expected a port number`);
    process.exit(2);
  }
  const modelDir = values.model ?? DEMO_MODEL;
  if (!existsSync(join(modelDir, 'config.json'))) {
    console.error(
      `${modelDir} has no config.json: pass --model <folder> with a model in Hugging Face layout`,
    );
    process.exit(5);
  }
  const { url } = await startDemoServer({ port, host: values.host, modelDir, examplesDir: values.examples });
  console.log(`AltCLIP demo: open ${url} (model: ${resolve(modelDir)}); Ctrl-C stops`);
}
