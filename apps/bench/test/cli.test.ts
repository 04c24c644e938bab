import { describe, expect, it } from 'vitest';
import { benchOptions, buildProgram } from '../src/cli.js';
import { BenchError } from '../src/errors.js';
import { expandTargets, targetLabel } from '../src/targets.js';

function parse(argv: string[]) {
  const program = buildProgram()
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  program.parse(argv, { from: 'user' });
  return benchOptions(program, argv);
}

describe('bench options', () => {
  it('defaults to the base preset, every backend in Node and the browser, fp32, batch 1 and 8', () => {
    const options = parse([]);
    expect(options.model).toBe('base');
    expect(options.batchSizes).toEqual([1, 8]);
    expect(options.targets.map(targetLabel)).toEqual([
      'ort-node/cpu/fp32',
      'ort-web/wasm/fp32',
      'tfjs/wasm/fp32',
      'ort-web/wasm/fp32 (browser)',
      'tfjs/wasm/fp32 (browser)',
      'tfjs/webgl/fp32 (browser)',
    ]);
    expect(options.reference).toEqual({ runtime: 'node', backend: 'ort-node', device: 'cpu', dtype: 'fp32' });
    expect(options.isolate).toBe(true);
  });

  it('--quick sets the CI defaults, explicit options still win', () => {
    const quick = parse(['--quick']);
    expect(quick).toMatchObject({
      quick: true,
      model: 'tiny',
      batchSizes: [1, 2],
      warmup: 1,
      repetitions: 3,
    });
    const overridden = parse(['--quick', '--model', 'base', '--batch-sizes', '4', '-r', '7']);
    expect(overridden).toMatchObject({ model: 'base', batchSizes: [4], repetitions: 7 });
  });

  it('crosses backends, devices and dtypes within what each runtime offers', () => {
    const options = parse(['-b', 'ort-node,tfjs', '-d', 'cpu,wasm', '-t', 'fp32,int8', '--runtimes', 'node']);
    expect(options.targets.map(targetLabel)).toEqual([
      'ort-node/cpu/fp32',
      'ort-node/cpu/int8',
      'tfjs/cpu/fp32',
      'tfjs/cpu/int8',
      'tfjs/wasm/fp32',
      'tfjs/wasm/int8',
    ]);
    expect(parse(['--threads', '3', '--seq-len', '77', '--towers', 'text']).towers).toEqual(['text']);
  });

  it('takes an exact list of targets', () => {
    const options = parse(['--targets', 'ort-node/cpu/int8, tfjs/webgl/fp32@browser']);
    expect(options.targets).toEqual([
      { runtime: 'node', backend: 'ort-node', device: 'cpu', dtype: 'int8' },
      { runtime: 'browser', backend: 'tfjs', device: 'webgl', dtype: 'fp32' },
    ]);
    expect(() => parse(['--targets', 'tfjs/webgl/fp32@mars'])).toThrow(/expected backend/);
  });

  it('rejects bad values', () => {
    expect(() => parse(['--batch-sizes', '0'])).toThrow(/positive integer/);
    expect(() => parse(['--towers', 'audio'])).toThrow(/not one of/);
    expect(() => parse(['--reference', 'ort-node'])).toThrow(/backend\/device\/dtype/);
    expect(() => parse(['-t', 'fp64'])).toThrow(BenchError);
    expect(() => parse(['--reference', 'ort-web/wasm/fp32@browser'])).toThrow(/reference runs in Node/);
    expect(() =>
      expandTargets({ backends: ['ort-node'], devices: ['webgl'], dtypes: ['fp32'], runtimes: ['node'] }),
    ).toThrow(/no configuration matches/);
  });
});
