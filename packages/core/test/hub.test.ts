import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, readlink, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixturePath } from '../../../tools/fixtures.js';
import type { ProgressEvent } from '../src/backend.js';
import { loadCheckpoint } from '../src/checkpoint.js';
import { HubAuthError, ModelNotFoundError } from '../src/errors.js';
import { openModel } from '../src/hub.js';
import { openSafetensors } from '../src/safetensors.js';

const tiny = fixturePath('models', 'tiny-altclip');
const COMMIT = 'a'.repeat(40);
const PRIVATE_TOKEN = 'hf_private_test_token';

/** Repos the fake hub serves: name → file name → bytes. */
const repos = new Map<string, { private: boolean; files: Map<string, Uint8Array> }>();
/** Every request the fake hub received, as `METHOD path [range]`. */
let requests: string[] = [];

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * The endpoints @huggingface/hub calls, as huggingface.co answers them: the model info at a revision, and
 * `resolve` with a `bytes=0-0` probe (206, Content-Range, ETag / X-Linked-ETag, X-Repo-Commit) or a full GET.
 */
function fakeHub(): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const range = req.headers.range;
    requests.push(`${req.method} ${url.pathname}${range ? ` ${range}` : ''}`);
    const fail = (status: number, code: string, message: string) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'X-Error-Code': code });
      res.end(JSON.stringify({ error: message }));
    };
    const info = url.pathname.match(/^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/);
    const resolve = url.pathname.match(/^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
    const repoName = info?.[1] ?? resolve?.[1];
    const repo = repoName ? repos.get(repoName) : undefined;
    if (!repo) return fail(404, 'RepoNotFound', 'Repository not found');
    if (repo.private && req.headers.authorization !== `Bearer ${PRIVATE_TOKEN}`) {
      return fail(401, 'GatedRepo', 'Access to this repo is restricted');
    }
    const revision = decodeURIComponent((info ?? resolve)?.[2] ?? '');
    if (revision !== 'main' && revision !== COMMIT) return fail(404, 'RevisionNotFound', 'Invalid rev id');
    if (info) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(
        JSON.stringify({ _id: '1', id: repoName, sha: COMMIT, private: repo.private, lastModified: 0 }),
      );
    }
    const file = repo.files.get(decodeURIComponent(resolve?.[3] ?? ''));
    if (!file) return fail(404, 'EntryNotFound', 'Entry not found');
    const headers = {
      'X-Repo-Commit': COMMIT,
      ETag: `"${sha256(file).slice(0, 40)}"`,
      'X-Linked-ETag': `"${sha256(file)}"`,
      'X-Linked-Size': String(file.length),
      'Accept-Ranges': 'bytes',
    };
    const ranged = range?.match(/^bytes=(\d+)-(\d+)$/);
    if (ranged) {
      const [start, end] = [Number(ranged[1]), Math.min(Number(ranged[2]), file.length - 1)];
      res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${file.length}` });
      return res.end(file.subarray(start, end + 1));
    }
    res.writeHead(200, { ...headers, 'Content-Length': String(file.length) });
    res.end(file);
  });
}

let server: Server;
let endpoint: string;
let cacheDir: string;
/** Settings of the machine running the tests that would change what openModel does. */
const hubEnv = ['HF_HUB_OFFLINE', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH', 'HF_ENDPOINT'];
const savedEnv = Object.fromEntries(hubEnv.map((name) => [name, process.env[name]]));

beforeAll(async () => {
  for (const name of hubEnv) delete process.env[name];
  // No token file of the developer's may be sent anywhere.
  process.env.HF_TOKEN_PATH = join(tmpdir(), 'altclip-no-such-token-file');
  server = fakeHub();
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cacheDir = await mkdtemp(join(tmpdir(), 'altclip-hub-'));
});
afterAll(async () => {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await new Promise((closed) => server.close(closed));
  await rm(cacheDir, { recursive: true, force: true });
});
beforeEach(() => {
  requests = [];
});

describe.skipIf(!tiny)('openModel with a hub id (fake hub on 127.0.0.1)', () => {
  beforeAll(() => {
    const files = new Map<string, Uint8Array>();
    for (const name of ['config.json', 'model.safetensors', 'pytorch_model.bin']) {
      files.set(name, readFileSync(join(tiny as string, name)));
    }
    repos.set('test-org/tiny-altclip', { private: false, files });
    repos.set('test-org/private', { private: true, files });
  });

  it('downloads into the Hugging Face cache layout on first use, then works offline from the cache', async () => {
    const events: ProgressEvent[] = [];
    const files = await openModel('test-org/tiny-altclip', {
      endpoint,
      cacheDir,
      localFilesOnly: false,
      onProgress: (event) => events.push(event),
    });
    const config = await files.readJSON<{ model_type: string }>('config.json');
    expect(config.model_type).toBe('altclip');
    const store = await loadCheckpoint(files);
    const reference = await openSafetensors(join(tiny as string, 'model.safetensors'));
    try {
      for (const key of reference.keys())
        expect((await store.get(key)).data).toEqual((await reference.get(key)).data);
    } finally {
      await store.close();
      await reference.close();
    }
    // Safetensors were preferred: the .bin was never downloaded.
    expect(requests.some((r) => r.includes('pytorch_model.bin'))).toBe(false);
    const weightsSize = readFileSync(join(tiny as string, 'model.safetensors')).length;
    const last = events.filter((e) => e.item === 'model.safetensors').at(-1);
    expect(last).toMatchObject({ stage: 'download', loaded: weightsSize, total: weightsSize });

    // The layout huggingface_hub uses: refs/main → commit, snapshot symlinks into blobs named by etag.
    const storage = join(cacheDir, 'models--test-org--tiny-altclip');
    expect((await readFile(join(storage, 'refs', 'main'), 'utf8')).trim()).toBe(COMMIT);
    const pointer = join(storage, 'snapshots', COMMIT, 'model.safetensors');
    expect((await lstat(pointer)).isSymbolicLink()).toBe(true);
    const blobName = sha256(readFileSync(join(tiny as string, 'model.safetensors')));
    expect(await readlink(pointer)).toBe(join('..', '..', 'blobs', blobName));
    expect(await realpath(pointer)).toBe(await realpath(join(storage, 'blobs', blobName)));
    expect(await files.localPath('model.safetensors')).toBe(pointer);

    // Offline (option, then HF_HUB_OFFLINE): no request at all, same tensors.
    requests = [];
    const offline = await openModel('test-org/tiny-altclip', { endpoint, cacheDir, localFilesOnly: true });
    const cached = await loadCheckpoint(offline);
    await cached.close();
    expect(await offline.exists('pytorch_model.bin')).toBe(false);
    const previous = process.env.HF_HUB_OFFLINE;
    process.env.HF_HUB_OFFLINE = '1';
    try {
      const viaEnv = await openModel('test-org/tiny-altclip', { endpoint, cacheDir });
      expect((await viaEnv.readJSON<{ model_type: string }>('config.json')).model_type).toBe('altclip');
    } finally {
      if (previous === undefined) delete process.env.HF_HUB_OFFLINE;
      else process.env.HF_HUB_OFFLINE = previous;
    }
    expect(requests).toEqual([]);

    // Online again: the revision is checked, but cached files are not fetched again.
    const again = await openModel('test-org/tiny-altclip', { endpoint, cacheDir });
    await again.readText('config.json');
    expect(requests.filter((r) => r.includes('/resolve/'))).toEqual([]);
  });

  it('reports a missing repo, a missing file and a refused token clearly', async () => {
    const missingRepo = await openModel('test-org/nope', { endpoint, cacheDir }).catch((e: unknown) => e);
    expect(missingRepo).toBeInstanceOf(ModelNotFoundError);
    expect((missingRepo as Error).message).toMatch(/test-org\/nope.*not found/);

    const files = await openModel('test-org/tiny-altclip', { endpoint, cacheDir });
    expect(await files.exists('tokenizer.json')).toBe(false);
    expect(await files.localPath('tokenizer.json')).toBeUndefined();
    expect(await files.readBytes('tokenizer.json')).toBeUndefined();
    await expect(files.readText('tokenizer.json')).rejects.toThrow(ModelNotFoundError);
    // Known-missing files are recorded where huggingface_hub records them.
    await lstat(join(cacheDir, 'models--test-org--tiny-altclip', '.no_exist', COMMIT, 'tokenizer.json'));

    const refused = await openModel('test-org/private', { endpoint, cacheDir, token: undefined }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(HubAuthError);
    expect((refused as Error).message).toMatch(/private or gated.*token/);
    const wrongToken = await openModel('test-org/private', { endpoint, cacheDir, token: 'hf_wrong' }).catch(
      (e: unknown) => e,
    );
    expect(wrongToken).toBeInstanceOf(HubAuthError);
    const allowed = await openModel('test-org/private', { endpoint, cacheDir, token: PRIVATE_TOKEN });
    expect((await allowed.readJSON<{ model_type: string }>('config.json')).model_type).toBe('altclip');
    expect(requests.filter((r) => r.startsWith('GET /test-org/private/resolve/')).length).toBeGreaterThan(0);

    const offlineUncached = await openModel('test-org/never-downloaded', {
      endpoint,
      cacheDir,
      localFilesOnly: true,
    }).catch((e: unknown) => e);
    expect(offlineUncached).toBeInstanceOf(ModelNotFoundError);
    expect((offlineUncached as Error).message).toMatch(/offline/);
  });

  it('takes a commit hash as revision and uses the cache without asking the hub', async () => {
    const files = await openModel('test-org/tiny-altclip', { endpoint, cacheDir, revision: COMMIT });
    expect((await files.readJSON<{ model_type: string }>('config.json')).model_type).toBe('altclip');
    expect(requests).toEqual([]);
  });
});

describe('openModel with a folder or a bad reference', () => {
  it('reads a local folder and refuses names outside it', async () => {
    const folder = join(cacheDir, 'local-model');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'config.json'), '{"model_type": "altclip"}');
    const files = await openModel(folder);
    expect(files.ref).toBe(folder);
    expect(await files.exists('config.json')).toBe(true);
    expect(await files.exists('model.safetensors')).toBe(false);
    expect(await files.localPath('config.json')).toBe(join(folder, 'config.json'));
    expect(await files.readJSON('config.json')).toEqual({ model_type: 'altclip' });
    await expect(files.readText('missing.json')).rejects.toThrow(ModelNotFoundError);
    await expect(files.exists('../secret')).rejects.toThrow(ModelNotFoundError);
  });

  it('rejects references that are neither a folder nor a hub id', async () => {
    await expect(openModel('./no/such/folder')).rejects.toThrow(/neither an existing folder nor a hub id/);
    await expect(openModel('a/b/c')).rejects.toThrow(ModelNotFoundError);
    await expect(
      openModel('org/name', { token: 'not-a-token', endpoint: 'http://127.0.0.1:9' }),
    ).rejects.toThrow(HubAuthError);
  });
});
