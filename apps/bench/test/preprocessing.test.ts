import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measurePreprocessing } from '../src/preprocessing.js';
import { reportSchemaErrors } from '../src/validate.js';
import { sampleReport } from './sample-report.js';

describe('preprocessing comparison', () => {
  it('reports every row as skipped, with the reason, when the fixtures are missing', async () => {
    const rows = await measurePreprocessing({
      repetitions: 1,
      fixturesDir: mkdtempSync(join(tmpdir(), 'no-fixtures-')),
    });
    expect(rows.map((r) => [r.task, r.implementation, r.status])).toEqual([
      ['tokenizer', '@altclip/tokenizer', 'skipped'],
      ['tokenizer', '@huggingface/transformers', 'skipped'],
      ['image-processor', '@altclip/image-processor', 'skipped'],
      ['image-processor', '@huggingface/transformers', 'skipped'],
    ]);
    for (const row of rows) expect(row.error).toMatch(/needs the (tokenizer|image) fixtures/);
    expect(reportSchemaErrors({ ...sampleReport(), preprocessing: rows })).toEqual([]);
  });
});
