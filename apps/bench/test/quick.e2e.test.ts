// The quick mode as CI runs it: the built CLI, every default backend, Node and the browser, JSON checked
// against the schema (not speeds).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../src/report.js';
import { reportSchemaErrors } from '../src/validate.js';

const packageDir = resolve(import.meta.dirname, '..');

// The CLI runs from dist: build this package (turbo builds its dependencies before the tests).
beforeAll(() => {
  const tsc = resolve(packageDir, '../../node_modules/typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: packageDir, stdio: 'inherit' });
}, 120_000);

describe('npm run bench -- --quick', () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-quick-'));
  let report: BenchReport;
  let stdout: string;
  let seconds: number;

  beforeAll(() => {
    const started = performance.now();
    const run = spawnSync(
      process.execPath,
      [
        'dist/cli.js',
        '--quick',
        '--cache-dir',
        out,
        '--json',
        join(out, 'report.json'),
        '--md',
        join(out, 'report.md'),
        '--svg',
        join(out, 'report.svg'),
      ],
      { cwd: packageDir, encoding: 'utf8', timeout: 170_000 },
    );
    seconds = (performance.now() - started) / 1000;
    if (run.status !== 0) throw new Error(`bench exited with ${run.status ?? run.signal}: ${run.stderr}`);
    stdout = run.stdout;
    report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  }, 200_000);

  it('writes a JSON report that matches report.schema.json', () => {
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report.options.quick).toBe(true);
  });

  it('measures ort-node, ort-web and tfjs, in Node and in the browser', () => {
    for (const backend of ['ort-node', 'ort-web', 'tfjs']) {
      expect(
        report.results.some((r) => r.backend === backend && r.status === 'ok'),
        backend,
      ).toBe(true);
    }
    expect(report.results.some((r) => r.runtime === 'browser')).toBe(true);
    expect(report.roofline.status).toBe('ok');
    expect(report.reference.status).toBe('ok');
  });

  it('compares every measured configuration with the tiny fixture goldens and with the reference', () => {
    expect(report.model.preset).toBe('tiny');
    for (const r of report.results.filter((x) => x.status === 'ok')) {
      if (!report.model.randomWeights) expect(r.golden?.case, `${r.backend}/${r.device}`).toBeDefined();
      const isReference =
        r.backend === 'ort-node' && r.device === 'cpu' && r.dtype === 'fp32' && r.runtime === 'node';
      if (!isReference) expect(r.parity, `${r.backend}/${r.device}`).not.toBeNull();
    }
  });

  it('writes the Markdown table (also on stdout) and the SVG chart', () => {
    const markdown = readFileSync(join(out, 'report.md'), 'utf8');
    expect(stdout).toContain(markdown.split('\n').find((line) => line.startsWith('| ort-node cpu fp32')));
    expect(readFileSync(join(out, 'report.svg'), 'utf8')).toContain('<svg');
  });

  it('stays within the 2-minute budget of CI', () => {
    expect(seconds).toBeLessThan(120);
  });
});

describe('a configuration that overruns --timeout', () => {
  it('is stopped and reported as failed, the others still measured', () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-timeout-'));
    // 20,000 calls per batch size cannot finish in 5 s; the reference (one call per tower) can.
    const run = spawnSync(
      process.execPath,
      [
        'dist/cli.js',
        ...['--model', 'tiny', '--targets', 'tfjs/wasm/fp32', '--batch-sizes', '1', '-r', '20000'],
        ...['--timeout', '5', '--no-roofline', '--no-preprocessing', '--no-progress'],
        ...['--cache-dir', out, '--json', join(out, 'report.json')],
      ],
      { cwd: packageDir, encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const report: BenchReport = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report.reference.status).toBe('ok');
    expect(report.results.map((r) => [r.backend, r.status])).toEqual([
      ['tfjs', 'failed'],
      ['tfjs', 'failed'],
    ]);
    for (const r of report.results) expect(r.error).toContain('timed out after 5 s');
  }, 70_000);
});
