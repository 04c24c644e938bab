import { OnnxGraphBuilder } from '/work/main/packages/backend-ort/src/graph/onnx-builder.ts';
import * as fs from 'node:fs';
import ort from 'onnxruntime-node';
// weights file with 13 bytes prefix
const K = 8, N = 6;
const w = new Float32Array(K * N).map((_, i) => i * 0.01);
const buf = new Uint8Array(13 + w.byteLength); buf.set(new Uint8Array(w.buffer), 13);
fs.mkdirSync('/tmp/exp/src', { recursive: true });
fs.writeFileSync('/tmp/exp/src/w.bin', buf);
fs.mkdirSync('/tmp/exp/m', { recursive: true });
try { fs.unlinkSync('/tmp/exp/m/w.link'); } catch {}
fs.symlinkSync('/tmp/exp/src/w.bin', '/tmp/exp/m/w.link');
const g = new OnnxGraphBuilder();
const x = g.input('x', 'float32', ['B', 'L', N]);
const mask = g.input('mask', 'int64', ['B', 'L']);
const W = g.external('w', 'float32', [K, N], { file: 'w.bin', offset: 13, length: w.byteLength });
const wt = g.op('Transpose', [W], { perm: { ints: [1, 0] } });
const y = g.op('MatMul', [x, wt]);
const m32 = g.op('Cast', [mask], { to: { i: 6 } });
const q = g.op('MatMul', [x, g.op('Transpose', [g.external('w2', 'float32', [N, N], { file: 'w.bin', offset: 13, length: N*N*4 })], { perm: { ints: [1, 0] } })]);
const [att] = g.contrib('MultiHeadAttention', [q, q, q, '', m32], { num_heads: { i: 2 } });
g.output('y', y, 'float32', ['B', 'L', K]);
g.output('att', att, 'float32', ['B', 'L', N]);
fs.writeFileSync('/tmp/exp/m/model.onnx', g.serialize('t', { opset: 17 }));
const s = await ort.InferenceSession.create(fs.readFileSync('/tmp/exp/m/model.onnx'), { graphOptimizationLevel: 'all', extra: { session: { model_external_initializers_file_folder_path: '/tmp/exp/src' } } });
const xv = new Float32Array(2 * 3 * N).map((_, i) => Math.sin(i));
const r = await s.run({ x: new ort.Tensor('float32', xv, [2, 3, N]), mask: new ort.Tensor('int64', BigInt64Array.from([1n,1n,0n,1n,1n,1n]), [2, 3]) });
console.log(r.y.dims, r.y.data.slice(0, 4), r.att.dims, r.att.data.slice(0,4));
