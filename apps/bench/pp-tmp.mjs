import { measurePreprocessing } from '/work/main/apps/bench/dist/preprocessing.js';
let t = performance.now();
const r = await measurePreprocessing({ repetitions: 1 });
console.log(((performance.now() - t) / 1000).toFixed(1), JSON.stringify(r.map((x) => [x.task, x.implementation, x.status, x.tokensPerSecond ?? x.imagesPerSecond, x.error])));
