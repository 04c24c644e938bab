import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../tools/fixtures.js';

const LARGE_CONFIG = fixturePath('models', 'altclip-large-config', 'config.json');

// Writes a 3.5 GB random checkpoint once (ALTCLIP_LARGE_DIR, default /tmp/altclip-large) and loads it:
// minutes on two cores, so it runs with ALTCLIP_SLOW_TESTS=1 only.
describe.skipIf(!LARGE_CONFIG || process.env.ALTCLIP_SLOW_TESTS !== '1')(
  'full-size model (BAAI/AltCLIP shapes)',
  () => {
    it('builds, computes image and text features on ort-node, peak RSS <= 1.3x weight bytes', () => {
      const dir = process.env.ALTCLIP_LARGE_DIR ?? '/tmp/altclip-large';
      const output = execFileSync(
        process.execPath,
        [join(import.meta.dirname, '..', 'scripts', 'run.mjs'), 'speed', 'check', '--dir', dir],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
          timeout: 1_500_000,
        },
      );
      const result = JSON.parse(
        output
          .split('\n')
          .find((line) => line.startsWith('RESULT '))!
          .slice(7),
      );
      console.log(
        `full-size: peak RSS ${(result.peakRss / 2 ** 30).toFixed(2)} GiB for ${(result.weightBytes / 2 ** 30).toFixed(2)} GiB of weights (${(result.peakRss / result.weightBytes).toFixed(2)}x)`,
      );
      expect(result.imageDims).toEqual([1, 768]);
      expect(result.textDims).toEqual([1, 768]);
      expect(result.finite).toBe(true);
      expect(result.imageNorm).toBeGreaterThan(0);
      expect(result.peakRss / result.weightBytes).toBeLessThanOrEqual(1.3);
    }, 1_600_000);
  },
);
