import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { BackendError, type Device } from '@altclip/core';
import type * as ortCommon from 'onnxruntime-common';
import type { Ort, OrtRuntime, OrtSession, SessionSettings } from '../runtime.js';
import { placeWeightsOnDisk } from './weight-files.js';

type SessionOptions = ortCommon.InferenceSession.SessionOptions;

function executionProviders(device: Device): SessionOptions['executionProviders'] {
  return device === 'cpu' ? ['cpu'] : [device, 'cpu'];
}

/** Session config entries (onnxruntime's `session.*` keys). */
function sessionConfig(settings: SessionSettings, externalDataFolder?: string): Record<string, string> {
  const config: Record<string, string> = {};
  // External data paths resolve against this folder (the model is handed over as bytes).
  if (externalDataFolder) config.model_external_initializers_file_folder_path = externalDataFolder;
  if (settings.allowSpinning === false) config['intra_op.allow_spinning'] = '0';
  return config;
}

function baseOptions(settings: SessionSettings): SessionOptions {
  return {
    executionProviders: executionProviders(settings.device),
    graphOptimizationLevel: settings.graphOptimizationLevel ?? 'all',
    intraOpNumThreads: settings.intraOpNumThreads ?? availableParallelism(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
  };
}

/** Which execution providers this onnxruntime-node install can load (CUDA ships as a separate download). */
function availableDevices(
  ort: Ort & { listSupportedBackends?: () => { name: string; bundled: boolean }[] },
): Device[] {
  const devices: Device[] = ['cpu'];
  const listed = ort.listSupportedBackends?.() ?? [];
  const require = createRequire(import.meta.url);
  const binding = dirname(require.resolve('onnxruntime-node/package.json'));
  const cudaInstalled = existsSync(
    join(binding, 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so'),
  );
  if (listed.some((b) => b.name === 'cuda' && (b.bundled || cudaInstalled))) devices.unshift('cuda');
  if (listed.some((b) => b.name === 'webgpu' && b.bundled)) devices.push('webgpu');
  return devices;
}

export async function loadNodeRuntime(): Promise<OrtRuntime> {
  let ort: Ort;
  try {
    ort = (await import('onnxruntime-node')) as unknown as Ort;
  } catch (error) {
    throw new BackendError(`onnxruntime-node could not be loaded: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const createOn = (model: string | Uint8Array, options: SessionOptions): Promise<OrtSession> =>
    typeof model === 'string'
      ? ort.InferenceSession.create(model, options)
      : ort.InferenceSession.create(model, options);
  const failedDevices = new Set<Device>();
  /** A provider can be listed yet unusable (WebGPU without an adapter): then the CPU takes over, with a message. */
  const create = async (
    model: string | Uint8Array,
    options: SessionOptions,
    settings: SessionSettings,
  ): Promise<OrtSession> => {
    const cpuOnly = { ...options, executionProviders: ['cpu'] };
    if (settings.device === 'cpu') return createOn(model, options);
    if (failedDevices.has(settings.device) && !settings.strictDevice) return createOn(model, cpuOnly);
    try {
      return await createOn(model, options);
    } catch (error) {
      if (settings.strictDevice)
        throw new BackendError(`ort-node: device '${settings.device}' failed: ${(error as Error).message}`, {
          cause: error,
        });
      // Said once per device; later sessions go to the CPU directly.
      failedDevices.add(settings.device);
      console.warn(
        `ort-node: device '${settings.device}' failed (${(error as Error).message}); running on 'cpu' instead`,
      );
      return createOn(model, cpuOnly);
    }
  };
  return {
    name: 'ort-node',
    ort,
    devices: availableDevices(ort),
    effectiveDevice: (device) => (failedDevices.has(device) ? 'cpu' : device),
    placeWeights: placeWeightsOnDisk,
    async createSession(model, placed, settings) {
      const options: SessionOptions = {
        ...baseOptions(settings),
        // External data paths resolve against this folder (the model is handed over as bytes).
        extra: { session: sessionConfig(settings, placed?.folder) },
      };
      return create(model, options, settings);
    },
    async createSessionFromFile(file, settings) {
      return create(
        file,
        { ...baseOptions(settings), extra: { session: sessionConfig(settings) } },
        settings,
      );
    },
  };
}

/** Reads a file for runtimes that need bytes. */
export const readLocalFile = (path: string): Promise<Uint8Array> => readFile(path);
