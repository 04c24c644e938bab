#!/usr/bin/env node
// Runs every package's tests through turbo, then prints one closing line with the totals of all packages.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const packageDirs = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(root, group)).map((name) => join(root, group, name)),
);
const resultFile = (dir) => join(dir, '.vitest-results.json');
for (const dir of packageDirs) rmSync(resultFile(dir), { force: true });

// CI also runs the slow full-size checks (BAAI/AltCLIP shapes with random weights); locally they are opt-in.
const env = { ...process.env };
if (env.CI && env.ALTCLIP_SLOW_TESTS === undefined) env.ALTCLIP_SLOW_TESTS = '1';

const turbo = spawnSync(
  'npx',
  ['turbo', 'run', 'test', '--concurrency=1', '--continue', ...process.argv.slice(2)],
  {
    cwd: root,
    env,
    stdio: 'inherit',
  },
);

let passed = 0;
let failed = 0;
let skipped = 0;
for (const dir of packageDirs) {
  if (!existsSync(join(dir, 'package.json'))) continue;
  if (!existsSync(resultFile(dir))) {
    console.error(`no test results from ${dir}: its test run did not finish`);
    failed += 1;
    continue;
  }
  const totals = JSON.parse(readFileSync(resultFile(dir), 'utf8'));
  passed += totals.passed;
  failed += totals.failed + totals.unhandledErrors;
  skipped += totals.skipped;
}
const status = turbo.status ?? 1;
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(status);
