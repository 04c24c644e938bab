import { CheckpointError, HubAuthError, ModelNotFoundError } from './errors.js';
import type { ModelFiles, OpenModelOptions } from './model-files.js';

const DEFAULT_ENDPOINT = 'https://huggingface.co';
const COMMIT_HASH = /^[0-9a-f]{40}$/;
/** `name` or `org/name`, as the hub accepts them. */
const HUB_ID = /^(?:[\w.-]+\/)?[\w.-]+$/;

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

function env(name: string): string | undefined {
  return isNode ? process.env[name] || undefined : undefined;
}

function envFlag(name: string): boolean {
  return ['1', 'true', 'yes', 'on'].includes((env(name) ?? '').toLowerCase());
}

/** Rejects names that would leave the model folder (absolute paths, `..`). */
function checkFileName(ref: string, name: string): void {
  if (
    name === '' ||
    name.startsWith('/') ||
    name.includes('\\') ||
    name.split('/').some((p) => p === '..' || p === '.')
  ) {
    throw new ModelNotFoundError(`${ref}: '${name}' is not a relative file name inside the model`);
  }
}

function parseJSON<T>(name: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new CheckpointError(name, `not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

/** Turns a hub library error into ModelNotFoundError / HubAuthError with the reference in the message. */
function hubError(ref: string, what: string, error: unknown): Error {
  if (
    error instanceof ModelNotFoundError ||
    error instanceof HubAuthError ||
    error instanceof CheckpointError
  ) {
    return error;
  }
  const status = (error as { statusCode?: number }).statusCode;
  const detail = (error as Error)?.message ?? String(error);
  if (status === 401 || status === 403) {
    return new HubAuthError(
      `${ref}: the hub refused access to ${what} (HTTP ${status}). The repo is private or gated and needs a token (the token option or HF_TOKEN), or it does not exist. ${detail}`,
      { cause: error },
    );
  }
  if (status === 404) {
    return new ModelNotFoundError(`${ref}: ${what} was not found on the hub (HTTP 404). ${detail}`, {
      cause: error,
    });
  }
  return new ModelNotFoundError(`${ref}: cannot get ${what} from the hub (${detail})`, { cause: error });
}

async function readFileBytes(path: string): Promise<Uint8Array> {
  const { readFile } = await import('node:fs/promises');
  const bytes = await readFile(path);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A model folder on disk. */
class LocalModelFiles implements ModelFiles {
  constructor(
    readonly ref: string,
    private readonly folder: string,
  ) {}

  private async path(name: string): Promise<string> {
    checkFileName(this.ref, name);
    const { join } = await import('node:path');
    return join(this.folder, name);
  }

  async exists(name: string): Promise<boolean> {
    const { stat } = await import('node:fs/promises');
    return stat(await this.path(name)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  async localPath(name: string): Promise<string | undefined> {
    return (await this.exists(name)) ? this.path(name) : undefined;
  }

  async readBytes(name: string): Promise<Uint8Array | undefined> {
    const path = await this.localPath(name);
    return path === undefined ? undefined : readFileBytes(path);
  }

  async readText(name: string): Promise<string> {
    const bytes = await this.readBytes(name);
    if (bytes === undefined) throw new ModelNotFoundError(`${this.ref}: ${name} is missing from the folder`);
    return new TextDecoder().decode(bytes);
  }

  async readJSON<T = unknown>(name: string): Promise<T> {
    return parseJSON<T>(name, await this.readText(name));
  }
}

interface HubSettings {
  readonly repo: string;
  readonly revision: string;
  readonly endpoint: string;
  readonly token?: string;
  readonly offline: boolean;
  readonly onProgress?: OpenModelOptions['onProgress'];
}

type HubLibrary = typeof import('@huggingface/hub');
type DownloadInfo = NonNullable<Awaited<ReturnType<HubLibrary['fileDownloadInfo']>>>;

/** Python's etag normalisation: the blob file name is the etag without `W/` and quotes. */
function normaliseEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/"/g, '');
}

/**
 * A hub repo cached on disk in the layout huggingface_hub (Python) uses, so both share downloads:
 * `models--org--name/blobs/<etag>`, `snapshots/<commit>/<file>` (relative symlinks to the blobs),
 * `refs/<revision>` (the commit of a branch or tag) and `.no_exist/<commit>/<file>` (known-missing files).
 */
class CachedHubFiles implements ModelFiles {
  private readonly downloads = new Map<string, Promise<string | undefined>>();
  private readonly infos = new Map<string, Promise<DownloadInfo | null>>();

  constructor(
    readonly ref: string,
    private readonly hub: HubLibrary,
    private readonly settings: HubSettings,
    private readonly storage: string,
    private readonly commit: string,
  ) {}

  /** Resolves the revision to a commit: from the hub (recording it under refs/), or from the cache offline. */
  static async open(
    ref: string,
    settings: HubSettings,
    cacheDir: string | undefined,
  ): Promise<CachedHubFiles> {
    const hub = await import('@huggingface/hub');
    const { join } = await import('node:path');
    const { readFile, mkdir, writeFile } = await import('node:fs/promises');
    const root = cacheDir ?? hub.getHFHubCachePath();
    const storage = join(root, hub.getRepoFolderName({ type: 'model', name: settings.repo }));
    const refPath = join(storage, 'refs', settings.revision);
    const cachedCommit = async () => {
      if (COMMIT_HASH.test(settings.revision)) return settings.revision;
      return readFile(refPath, 'utf8').then(
        (text) => text.trim(),
        () => undefined,
      );
    };
    let commit: string | undefined;
    if (settings.offline || COMMIT_HASH.test(settings.revision)) {
      commit = await cachedCommit();
      if (commit === undefined) {
        throw new ModelNotFoundError(
          `${ref}: offline mode (HF_HUB_OFFLINE or localFilesOnly) and revision '${settings.revision}' is not in the cache ${storage}`,
        );
      }
    } else {
      try {
        const info = await hub.modelInfo({
          name: settings.repo,
          revision: settings.revision,
          hubUrl: settings.endpoint,
          accessToken: settings.token as `hf_${string}` | undefined,
          additionalFields: ['sha'],
        });
        commit = info.sha;
      } catch (error) {
        // Like huggingface_hub: when the hub cannot be reached, a cached revision still works.
        if ((error as { statusCode?: number }).statusCode === undefined) commit = await cachedCommit();
        if (commit === undefined) throw hubError(ref, `revision '${settings.revision}'`, error);
      }
      if (typeof commit !== 'string' || !COMMIT_HASH.test(commit)) {
        throw new ModelNotFoundError(`${ref}: the hub gave no commit for revision '${settings.revision}'`);
      }
      if (commit !== settings.revision) {
        await mkdir(join(refPath, '..'), { recursive: true });
        await writeFile(refPath, commit);
      }
    }
    return new CachedHubFiles(ref, hub, settings, storage, commit);
  }

  private async paths(name: string) {
    checkFileName(this.ref, name);
    const { join } = await import('node:path');
    return {
      pointer: join(this.storage, 'snapshots', this.commit, name),
      missing: join(this.storage, '.no_exist', this.commit, name),
    };
  }

  private async isFile(path: string): Promise<boolean> {
    const { stat } = await import('node:fs/promises');
    return stat(path).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  async exists(name: string): Promise<boolean> {
    const { pointer, missing } = await this.paths(name);
    if (await this.isFile(pointer)) return true;
    if (this.settings.offline || (await this.isFile(missing))) return false;
    return (await this.downloadInfo(name)) !== null;
  }

  /** Size, etag and URL of a file (null when the repo lacks it, which is recorded under .no_exist/). */
  private downloadInfo(name: string): Promise<DownloadInfo | null> {
    let info = this.infos.get(name);
    if (!info) {
      info = this.fetchDownloadInfo(name);
      this.infos.set(name, info);
      info.catch(() => this.infos.delete(name));
    }
    return info;
  }

  private async fetchDownloadInfo(name: string): Promise<DownloadInfo | null> {
    let info: DownloadInfo | null;
    try {
      info = await this.hub.fileDownloadInfo({
        repo: this.settings.repo,
        path: name,
        revision: this.commit,
        hubUrl: this.settings.endpoint,
        accessToken: this.settings.token as `hf_${string}` | undefined,
      });
    } catch (error) {
      throw hubError(this.ref, name, error);
    }
    if (info === null) {
      const { missing } = await this.paths(name);
      const { mkdir, writeFile } = await import('node:fs/promises');
      const { dirname } = await import('node:path');
      await mkdir(dirname(missing), { recursive: true });
      await writeFile(missing, '');
    }
    return info;
  }

  localPath(name: string): Promise<string | undefined> {
    let download = this.downloads.get(name);
    if (!download) {
      download = this.fetchToCache(name);
      this.downloads.set(name, download);
      // A failed download may be retried by a later call.
      download.catch(() => this.downloads.delete(name));
    }
    return download;
  }

  /** The snapshot path of a file, downloading its blob first when the cache lacks it. */
  private async fetchToCache(name: string): Promise<string | undefined> {
    const { pointer, missing } = await this.paths(name);
    if (await this.isFile(pointer)) return pointer;
    if (this.settings.offline || (await this.isFile(missing))) return undefined;
    const { dirname, join, relative } = await import('node:path');
    const fs = await import('node:fs/promises');
    const info = await this.downloadInfo(name);
    if (info === null) return undefined;
    const blob = join(this.storage, 'blobs', normaliseEtag(info.etag));
    if (!(await this.isFile(blob))) await this.downloadBlob(name, info, blob);
    await fs.mkdir(dirname(pointer), { recursive: true });
    await fs.rm(pointer, { force: true });
    try {
      await fs.symlink(relative(dirname(pointer), blob), pointer);
    } catch {
      // No symlinks (Windows without developer mode): a copy, as huggingface_hub does.
      await fs.copyFile(blob, pointer);
    }
    return pointer;
  }

  private async downloadBlob(name: string, info: DownloadInfo, blob: string): Promise<void> {
    const fs = await import('node:fs/promises');
    const { dirname } = await import('node:path');
    await fs.mkdir(dirname(blob), { recursive: true });
    const partial = `${blob}.${process.pid}.${Date.now()}.incomplete`;
    const handle = await fs.open(partial, 'w');
    let loaded = 0;
    try {
      const data = await this.hub.downloadFile({
        repo: this.settings.repo,
        path: name,
        revision: this.commit,
        hubUrl: this.settings.endpoint,
        accessToken: this.settings.token as `hf_${string}` | undefined,
        downloadInfo: info,
      });
      if (!data) throw new ModelNotFoundError(`${this.ref}: ${name} is missing on the hub`);
      const report = () =>
        this.settings.onProgress?.({ stage: 'download', item: name, loaded, total: info.size });
      report();
      const reader = data.stream().getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (let written = 0; written < value.length; ) {
          written += (await handle.write(value, written, value.length - written)).bytesWritten;
        }
        loaded += value.length;
        report();
      }
      await handle.close();
      if (loaded !== info.size) {
        throw new ModelNotFoundError(
          `${this.ref}: ${name} download ended after ${loaded} of ${info.size} bytes`,
        );
      }
      await fs.rename(partial, blob);
    } catch (error) {
      await handle.close().catch(() => {});
      await fs.rm(partial, { force: true });
      throw hubError(this.ref, name, error);
    }
  }

  async readBytes(name: string): Promise<Uint8Array | undefined> {
    const path = await this.localPath(name);
    return path === undefined ? undefined : readFileBytes(path);
  }

  async readText(name: string): Promise<string> {
    const bytes = await this.readBytes(name);
    if (bytes === undefined) {
      throw new ModelNotFoundError(
        `${this.ref}: ${name} ${this.settings.offline ? 'is not in the cache (offline mode)' : 'does not exist in the repo'} at revision ${this.settings.revision}`,
      );
    }
    return new TextDecoder().decode(bytes);
  }

  async readJSON<T = unknown>(name: string): Promise<T> {
    return parseJSON<T>(name, await this.readText(name));
  }
}

/** A hub repo read over fetch, without a cache folder (browsers): `localPath` is always undefined. */
class FetchedHubFiles implements ModelFiles {
  constructor(
    readonly ref: string,
    private readonly hub: HubLibrary,
    private readonly settings: HubSettings,
  ) {}

  private params(name: string) {
    checkFileName(this.ref, name);
    return {
      repo: this.settings.repo,
      path: name,
      revision: this.settings.revision,
      hubUrl: this.settings.endpoint,
      accessToken: this.settings.token as `hf_${string}` | undefined,
    };
  }

  async exists(name: string): Promise<boolean> {
    try {
      return (await this.hub.fileDownloadInfo(this.params(name))) !== null;
    } catch (error) {
      throw hubError(this.ref, name, error);
    }
  }

  async localPath(): Promise<undefined> {
    return undefined;
  }

  async readBytes(name: string): Promise<Uint8Array | undefined> {
    try {
      const blob = await this.hub.downloadFile(this.params(name));
      if (!blob) return undefined;
      const bytes = new Uint8Array(await blob.arrayBuffer());
      this.settings.onProgress?.({
        stage: 'download',
        item: name,
        loaded: bytes.length,
        total: bytes.length,
      });
      return bytes;
    } catch (error) {
      throw hubError(this.ref, name, error);
    }
  }

  async readText(name: string): Promise<string> {
    const bytes = await this.readBytes(name);
    if (bytes === undefined) throw new ModelNotFoundError(`${this.ref}: ${name} does not exist in the repo`);
    return new TextDecoder().decode(bytes);
  }

  async readJSON<T = unknown>(name: string): Promise<T> {
    return parseJSON<T>(name, await this.readText(name));
  }
}

/** The token to use: the option, else HF_TOKEN, else the file `huggingface-cli login` saves. */
async function resolveToken(option: string | undefined): Promise<string | undefined> {
  const token = option ?? env('HF_TOKEN') ?? env('HUGGING_FACE_HUB_TOKEN');
  if (token !== undefined || !isNode) return token;
  const { join } = await import('node:path');
  const { homedir } = await import('node:os');
  const { readFile } = await import('node:fs/promises');
  const path =
    env('HF_TOKEN_PATH') ?? join(env('HF_HOME') ?? join(homedir(), '.cache', 'huggingface'), 'token');
  return readFile(path, 'utf8').then(
    (text) => text.trim() || undefined,
    () => undefined,
  );
}

/**
 * The files of a model: a local folder, or a hub id (`org/name`) at `revision`. In Node, hub files are
 * downloaded on first use into the Hugging Face cache that Python shares (HF_HUB_CACHE, HF_HOME/hub or
 * ~/.cache/huggingface/hub) and read from there offline (HF_HUB_OFFLINE=1 or `localFilesOnly`). In browsers
 * hub files are fetched directly. Missing repos or files give ModelNotFoundError, refused access HubAuthError.
 */
export async function openModel(ref: string, options: OpenModelOptions = {}): Promise<ModelFiles> {
  if (isNode) {
    const { stat } = await import('node:fs/promises');
    const { resolve } = await import('node:path');
    const folder = resolve(ref);
    const kind = await stat(folder).then(
      (s) => (s.isDirectory() ? 'folder' : 'file'),
      () => undefined,
    );
    if (kind === 'folder') return new LocalModelFiles(ref, folder);
    if (kind === 'file')
      throw new ModelNotFoundError(`${ref} is a file; give the model folder that holds it`);
  }
  if (!HUB_ID.test(ref) || ref.startsWith('.') || ref.includes('..')) {
    throw new ModelNotFoundError(`${ref} is neither an existing folder nor a hub id like 'org/name'`);
  }
  const token = await resolveToken(options.token);
  if (token !== undefined && !token.startsWith('hf_')) {
    throw new HubAuthError(`${ref}: the Hugging Face token must start with 'hf_'`);
  }
  const settings: HubSettings = {
    repo: ref,
    revision: options.revision ?? 'main',
    endpoint: (options.endpoint ?? env('HF_ENDPOINT') ?? DEFAULT_ENDPOINT).replace(/\/+$/, ''),
    token,
    offline: options.localFilesOnly ?? envFlag('HF_HUB_OFFLINE'),
    onProgress: options.onProgress,
  };
  if (!isNode) return new FetchedHubFiles(ref, await import('@huggingface/hub'), settings);
  return CachedHubFiles.open(ref, settings, options.cacheDir);
}
