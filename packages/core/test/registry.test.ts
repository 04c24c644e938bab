import { afterEach, describe, expect, it } from 'vitest';
import {
  type Backend,
  type BackendCapabilities,
  BackendError,
  listBackends,
  registerBackend,
  resolveBackend,
  unregisterBackend,
} from '../src/index.js';

function fakeBackend(capabilities: BackendCapabilities, initError?: Error): Backend & { inits: number } {
  const backend = {
    inits: 0,
    async init() {
      backend.inits += 1;
      if (initError) throw initError;
    },
    capabilities: () => capabilities,
    loadModel: () => Promise.reject(new Error('not used')),
  };
  return backend;
}

const cpuOnly: BackendCapabilities = { devices: ['cpu'], dtypes: ['fp32'], gradients: false };
const names = ['fast', 'slow', 'broken'];

afterEach(() => {
  for (const name of names) unregisterBackend(name);
});

describe('backend registry', () => {
  it('picks the highest-priority backend that initialises, once', async () => {
    const fast = fakeBackend(cpuOnly);
    const slow = fakeBackend(cpuOnly);
    registerBackend('slow', slow, 1);
    registerBackend('fast', fast, 10);
    expect(listBackends().slice(0, 2)).toEqual(['fast', 'slow']);
    expect((await resolveBackend()).name).toBe('fast');
    await resolveBackend();
    await resolveBackend('fast');
    expect(fast.inits).toBe(1);
  });

  it('falls back past a backend whose init fails, and remembers the failure', async () => {
    const broken = fakeBackend(cpuOnly, new Error('no wasm here'));
    registerBackend('broken', broken, 100);
    registerBackend('slow', fakeBackend(cpuOnly), 1);
    expect((await resolveBackend()).name).toBe('slow');
    expect((await resolveBackend()).name).toBe('slow');
    expect(broken.inits).toBe(1);
    await expect(resolveBackend('broken')).rejects.toThrow(/failed to initialise: no wasm here/);
    expect(broken.inits).toBe(1);
  });

  it('skips backends that lack the device or dtype', async () => {
    registerBackend('fast', fakeBackend(cpuOnly), 10);
    registerBackend(
      'slow',
      fakeBackend({ devices: ['cpu', 'wasm'], dtypes: ['fp32', 'int8'], gradients: true }),
      1,
    );
    expect((await resolveBackend(undefined, { device: 'wasm' })).name).toBe('slow');
    expect((await resolveBackend(undefined, { dtype: 'int8' })).name).toBe('slow');
    await expect(resolveBackend('fast', { device: 'webgpu' })).rejects.toThrow(
      /does not support device 'webgpu'/,
    );
  });

  it('names the package to install for a missing backend', async () => {
    await expect(resolveBackend('tfjs')).rejects.toThrow(BackendError);
    await expect(resolveBackend('tfjs')).rejects.toThrow(/install @altclip\/backend-tfjs/);
    await expect(resolveBackend('ort-node')).rejects.toThrow(/install @altclip\/backend-ort/);
  });

  it('lets a backend be swapped for another of higher priority', async () => {
    const first = fakeBackend(cpuOnly);
    const second = fakeBackend(cpuOnly);
    registerBackend('fast', first, 5);
    registerBackend('fast', second, 1);
    expect((await resolveBackend('fast')).backend).toBe(first);
    registerBackend('fast', second, 6);
    expect((await resolveBackend('fast')).backend).toBe(second);
  });
});
