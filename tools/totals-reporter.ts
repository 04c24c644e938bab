import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reporter, RunnerTask, RunnerTestFile } from 'vitest/node';

/** Writes this package's test totals to `.vitest-results.json`; tools/run-tests.mjs adds them up. */
export default class TotalsReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = [], errors: unknown[] = []): void {
    const totals = { passed: 0, failed: 0, skipped: 0, unhandledErrors: errors.length };
    const visit = (task: RunnerTask): void => {
      if (task.type === 'suite') {
        task.tasks.forEach(visit);
        if (task.result?.state === 'fail' && task.tasks.length === 0) totals.failed += 1;
        return;
      }
      const state = task.result?.state;
      if (state === 'pass') totals.passed += 1;
      else if (state === 'fail') totals.failed += 1;
      else totals.skipped += 1;
    };
    for (const file of files) {
      file.tasks.forEach(visit);
      // A file that fails to load (syntax error, missing fixture in CI) has no tasks but failed.
      if (file.result?.state === 'fail' && file.tasks.length === 0) totals.failed += 1;
    }
    writeFileSync(join(process.cwd(), '.vitest-results.json'), `${JSON.stringify(totals)}\n`);
  }
}
