/** Peak RSS of one tower of the full-size model after load, batch 1 and batch 8 (diagnostics). */
import { readFileSync } from 'node:fs';
import { AltCLIPTextModel, AltCLIPVisionModel, Tensor } from '@altclip/core';
import '../src/index.js';

const [tower = 'vision', graph = 'plain', dir = '/tmp/altclip-large'] = process.argv.slice(2);
const rss = (label: string) => {
  const status = readFileSync('/proc/self/status', 'utf8');
  const get = (k: string) => (Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)![1]) / 2 ** 20).toFixed(2);
  console.log(`${tower} ${graph} ${label}: RSS ${get('VmRSS')} GiB, peak ${get('VmHWM')} GiB`);
};
const options = { backend: 'ort-node', backendOptions: { graph } };
if (tower === 'vision') {
  const model = await AltCLIPVisionModel.fromPretrained(dir, options);
  rss('loaded');
  for (const batch of [1, 8]) {
    await model.forward({
      pixelValues: new Tensor('float32', new Float32Array(batch * 3 * 224 * 224).fill(0.1), [
        batch,
        3,
        224,
        224,
      ]),
    });
    rss(`batch ${batch}`);
  }
} else {
  const model = await AltCLIPTextModel.fromPretrained(dir, options);
  rss('loaded');
  for (const batch of [1, 8]) {
    await model.forward({ inputIds: Array.from({ length: batch }, () => [0, ...Array(14).fill(77), 2]) });
    rss(`batch ${batch}`);
  }
}
