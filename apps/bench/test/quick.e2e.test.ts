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

describe('npm run bench -- --quick', () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-quick-'));
  let report: BenchReport;
  let stdout: string;
  let seconds: number;

  beforeAll(() => {
    // The CLI runs from dist: build this package (its dependencies are built by turbo before tests).
    execFileSync(
      process.execPath,
      [resolve(packageDir, '../../node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
      {
        cwd: packageDir,
        stdio: 'inherit',
      },
    );
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
