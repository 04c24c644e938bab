import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** `../shared/fixtures` beside the repository root, where tests read reference data in place. */
export const FIXTURES_DIR = resolve(import.meta.dirname, '..', '..', 'shared', 'fixtures');

/**
 * The absolute path of a fixture, or undefined when the fixtures are absent on a developer machine.
 * Under CI a missing fixture is an error: a suite that needs reference data must fail, never skip.
 */
export function fixturePath(...parts: string[]): string | undefined {
  const path = resolve(FIXTURES_DIR, ...parts);
  if (existsSync(path)) return path;
  if (process.env.CI) throw new Error(`fixture missing under CI: ${path}`);
  return undefined;
}

/** Like fixturePath, for suites that cannot run at all without the fixture: use with describe.skipIf. */
export function requireFixture(
  ...parts: string[]
): { path: string; missing: false } | { path: ''; missing: true } {
  const path = fixturePath(...parts);
  return path === undefined ? { path: '', missing: true } : { path, missing: false };
}
