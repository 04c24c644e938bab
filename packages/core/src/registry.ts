import type { Backend, BackendCapabilities, Device, DType } from './backend.js';
import { BackendError } from './errors.js';

interface BackendEntry {
  readonly backend: Backend;
  readonly priority: number;
  /** The one-time init, shared by concurrent callers; a rejected init is remembered. */
  initPromise?: Promise<void>;
  initError?: unknown;
}

const entries = new Map<string, BackendEntry>();

/** Which package provides each known backend, for "install X" errors. */
const BACKEND_PACKAGES: Readonly<Record<string, string>> = {
  'ort-node': '@altclip/backend-ort',
  'ort-web': '@altclip/backend-ort',
  tfjs: '@altclip/backend-tfjs',
};

/**
 * Registers a backend under a name. Backend packages call this on import. A higher priority wins when the
 * user names no backend; registering a name again replaces the entry only with a priority at least as high.
 */
export function registerBackend(name: string, backend: Backend, priority: number): void {
  const existing = entries.get(name);
  if (existing && existing.backend !== backend && existing.priority > priority) return;
  entries.set(name, { backend, priority });
}

/** Names of the registered backends, highest priority first. */
export function listBackends(): string[] {
  return [...entries.entries()].sort((a, b) => b[1].priority - a[1].priority).map(([name]) => name);
}

async function initialise(name: string, entry: BackendEntry): Promise<void> {
  entry.initPromise ??= entry.backend.init().catch((error: unknown) => {
    entry.initError = error;
    throw error;
  });
  try {
    await entry.initPromise;
  } catch (error) {
    throw new BackendError(`backend '${name}' failed to initialise: ${(error as Error)?.message ?? error}`, {
      cause: error,
    });
  }
}

function supports(capabilities: BackendCapabilities, device?: Device, dtype?: DType): boolean {
  return (
    (!device || capabilities.devices.includes(device)) && (!dtype || capabilities.dtypes.includes(dtype))
  );
}

export interface ResolvedBackend {
  readonly name: string;
  readonly backend: Backend;
  readonly capabilities: BackendCapabilities;
}

/**
 * Finds an initialised backend. A named backend must be registered and must initialise; with no name, the
 * registered backends are tried by priority and the first that initialises and supports the device and
 * dtype is used (failures are remembered and skipped).
 */
export async function resolveBackend(
  name?: string,
  requirements: { device?: Device; dtype?: DType } = {},
): Promise<ResolvedBackend> {
  const { device, dtype } = requirements;
  if (name) {
    const entry = entries.get(name);
    if (!entry) {
      const pkg = BACKEND_PACKAGES[name];
      const hint = pkg
        ? `install ${pkg} and import it once ("import '${pkg}';") so that it registers itself`
        : `known backends: ${Object.keys(BACKEND_PACKAGES).join(', ')}`;
      throw new BackendError(`backend '${name}' is not registered: ${hint}`);
    }
    await initialise(name, entry);
    const capabilities = entry.backend.capabilities();
    if (!supports(capabilities, device, dtype)) {
      throw new BackendError(
        `backend '${name}' does not support ${[device && `device '${device}'`, dtype && `dtype '${dtype}'`].filter(Boolean).join(' with ')} here (devices: ${capabilities.devices.join(', ') || 'none'}; dtypes: ${capabilities.dtypes.join(', ')})`,
      );
    }
    return { name, backend: entry.backend, capabilities };
  }
  const reasons: string[] = [];
  for (const candidate of listBackends()) {
    const entry = entries.get(candidate)!;
    try {
      await initialise(candidate, entry);
    } catch (error) {
      reasons.push(`${candidate}: ${(error as Error).message}`);
      continue;
    }
    const capabilities = entry.backend.capabilities();
    if (supports(capabilities, device, dtype))
      return { name: candidate, backend: entry.backend, capabilities };
    reasons.push(`${candidate}: no ${[device, dtype].filter(Boolean).join('/')} support`);
  }
  if (entries.size === 0) {
    throw new BackendError(
      'no backend is registered: install and import one, e.g. "import \'@altclip/backend-ort\';" (onnxruntime) or "import \'@altclip/backend-tfjs\';" (TensorFlow.js)',
    );
  }
  throw new BackendError(`no registered backend is usable: ${reasons.join('; ')}`);
}

/** Removes a backend (tests, hot swapping). */
export function unregisterBackend(name: string): boolean {
  return entries.delete(name);
}
