import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REPORT_SCHEMA_PATH, reportSchemaErrors } from '../src/validate.js';
import { failedResult, okResult, sampleReport } from './sample-report.js';

describe('report.schema.json', () => {
  it('is a draft-07 schema with the fields the issue asks for', () => {
    const schema = JSON.parse(readFileSync(REPORT_SCHEMA_PATH, 'utf8'));
    expect(schema.$schema).toContain('draft-07');
    expect(schema.required).toEqual(expect.arrayContaining(['date', 'machine', 'command', 'results']));
    expect(schema.definitions.result.required).toEqual(
      expect.arrayContaining([
        'backend',
        'device',
        'dtype',
        'tower',
        'batchSize',
        'latencyMs',
        'loadMs',
        'peakRssBytes',
        'gflops',
        'rooflineFraction',
        'parity',
        'status',
      ]),
    );
  });

  it('accepts a well-formed report', () => {
    expect(reportSchemaErrors(sampleReport())).toEqual([]);
  });

  it('rejects a report without results or date', () => {
    const { results: _results, date: _date, ...rest } = sampleReport();
    const errors = reportSchemaErrors(rest);
    expect(errors.join('\n')).toContain("must have required property 'results'");
    expect(errors.join('\n')).toContain("must have required property 'date'");
  });

  it('rejects a failed result without a reason', () => {
    const { error: _error, ...failed } = failedResult();
    expect(reportSchemaErrors(sampleReport([failed]))).not.toEqual([]);
  });

  it('rejects numbers on a failed result (no number that was not measured)', () => {
    expect(reportSchemaErrors(sampleReport([failedResult({ gflops: 12 })]))).not.toEqual([]);
    expect(reportSchemaErrors(sampleReport([failedResult({ textsPerSecond: 3 })]))).not.toEqual([]);
  });

  it('rejects an ok result without throughput, or with the other tower’s throughput', () => {
    expect(reportSchemaErrors(sampleReport([okResult({ imagesPerSecond: null })]))).not.toEqual([]);
    const { imagesPerSecond: _ips, ...noThroughput } = okResult();
    expect(reportSchemaErrors(sampleReport([noThroughput]))).not.toEqual([]);
    expect(reportSchemaErrors(sampleReport([okResult({ textsPerSecond: 4 })]))).not.toEqual([]);
  });

  it('rejects an ok result that carries an error, and unknown dtypes or statuses', () => {
    expect(reportSchemaErrors(sampleReport([okResult({ error: 'oops' })]))).not.toEqual([]);
    expect(reportSchemaErrors(sampleReport([okResult({ dtype: 'fp8' })]))).not.toEqual([]);
    expect(reportSchemaErrors(sampleReport([okResult({ status: 'maybe' as never })]))).not.toEqual([]);
  });

  it('rejects malformed parity and latency', () => {
    expect(
      reportSchemaErrors(sampleReport([okResult({ parity: { maxAbsDiff: -1, cosine: 1 } })])),
    ).not.toEqual([]);
    expect(reportSchemaErrors(sampleReport([okResult({ latencyMs: { p50: 1 } as never })]))).not.toEqual([]);
  });
});
