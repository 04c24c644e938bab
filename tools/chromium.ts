// Test-only: Debian's Chromium driven by playwright-core. Never downloads a browser.
import { execFileSync } from 'node:child_process';
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

/** The Vulkan driver Chromium ships (SwiftShader, on the CPU). */
export const SWIFTSHADER_VULKAN_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Points this process's Vulkan loader at SwiftShader, so that onnxruntime-node's WebGPU provider (Dawn on
 * Vulkan) runs without a GPU. Needs Debian's libvulkan1 and Chromium (tools/install-system-deps.sh); false
 * when either is missing, an error under CI. Call before the first WebGPU session.
 */
export function useSoftwareVulkan(): boolean {
  const loader = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }).includes('libvulkan.so.1');
  if (!loader || !existsSync(SWIFTSHADER_VULKAN_ICD)) {
    if (process.env.CI)
      throw new Error('libvulkan1 or Chromium missing under CI (tools/install-system-deps.sh installs them)');
    return false;
  }
  process.env.VK_ICD_FILENAMES ??= SWIFTSHADER_VULKAN_ICD;
  return true;
}
