// Test-only: Debian's Chromium driven by playwright-core. Never downloads a browser.
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Whether browser suites can run. Under CI a missing Chromium is an error (tools/install-system-deps.sh
 * installs it): browser suites must fail there, not skip.
 */
export function haveChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI)
    throw new Error(`${CHROMIUM} missing under CI (tools/install-system-deps.sh installs it)`);
  return false;
}

/**
 * Headless Chromium with the flags this machine needs (no sandbox as root, no background networking on a
 * closed network); `softwareGL` adds SwiftShader so that WebGL works without a GPU, `webgpu` exposes
 * WebGPU on SwiftShader's Vulkan (`navigator.gpu` needs a secure context: serve pages from 127.0.0.1).
 */
export function launchChromium(options: { softwareGL?: boolean; webgpu?: boolean } = {}): Promise<Browser> {
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
  ];
  if (options.softwareGL) args.push('--use-angle=swiftshader', '--enable-unsafe-swiftshader');
  if (options.webgpu)
    args.push('--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-unsafe-swiftshader');
  return chromium.launch({ executablePath: CHROMIUM, args });
}
