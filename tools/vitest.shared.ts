import { resolve } from 'node:path';
import type { UserConfig } from 'vitest/config';

const root = resolve(import.meta.dirname, '..');
const packages = ['core', 'tokenizer', 'image-processor', 'processor', 'backend-ort', 'backend-tfjs'];

/** Tests import sibling packages from source, so a test run never sees a stale build. */
export function sharedTestConfig(packageDir: string): UserConfig {
  return {
    resolve: {
      alias: packages.map((name) => ({
        find: new RegExp(`^@altclip/${name}$`),
        replacement: resolve(root, 'packages', name, 'src/index.ts'),
      })),
    },
    test: {
      root: packageDir,
      include: ['test/**/*.test.ts'],
      testTimeout: 120_000,
      hookTimeout: 300_000,
      reporters: ['default', resolve(root, 'tools/totals-reporter.ts')],
      passWithNoTests: false,
    },
  };
}
