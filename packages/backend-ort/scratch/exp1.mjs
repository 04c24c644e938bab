// src/graph/onnx-builder.ts
import onnxProto from "onnx-proto";
var { onnx } = onnxProto;
var DATA_TYPES = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10
};
var ATTRIBUTE_TYPES = onnx.AttributeProto.AttributeType;
function attributeProto(name, value) {
  if ("i" in value) return { name, type: ATTRIBUTE_TYPES.INT, i: value.i };
  if ("f" in value) return { name, type: ATTRIBUTE_TYPES.FLOAT, f: value.f };
  if ("ints" in value) return { name, type: ATTRIBUTE_TYPES.INTS, ints: [...value.ints] };
  return { name, type: ATTRIBUTE_TYPES.STRING, s: new TextEncoder().encode(value.s) };
}
function valueInfo(name, type, dims) {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPES[type],
        shape: { dim: dims.map((d) => typeof d === "number" ? { dimValue: d } : { dimParam: d }) }
      }
    }
  };
}
var OnnxGraphBuilder = class {
  #nodes = [];
  #initializers = [];
  #inputs = [];
  #outputs = [];
  #names = /* @__PURE__ */ new Set();
  #counter = 0;
  /** A fresh value name built from a readable stem. */
  fresh(stem) {
    let name = stem;
    while (this.#names.has(name)) name = `${stem}_${++this.#counter}`;
    this.#names.add(name);
    return name;
  }
  input(name, type, dims) {
    this.#names.add(name);
    this.#inputs.push(valueInfo(name, type, dims));
    return name;
  }
  /** Declares a graph output; `value` is renamed to `name` with an Identity when they differ. */
  output(name, value, type, dims) {
    if (value !== name) this.node("Identity", [value], {}, { outputs: [name] });
    this.#outputs.push(valueInfo(name, type, dims));
  }
  /** A small constant stored inside the model. */
  constant(stem, type, dims, bytes) {
    const name = this.fresh(stem);
    this.#initializers.push({ name, dataType: DATA_TYPES[type], dims: [...dims], rawData: bytes });
    return name;
  }
  constantInt64(stem, values, dims = [values.length]) {
    return this.constant(stem, "int64", dims, new Uint8Array(BigInt64Array.from(values, BigInt).buffer));
  }
  constantFloat32(stem, values, dims = [values.length]) {
    return this.constant(stem, "float32", dims, new Uint8Array(Float32Array.from(values).buffer));
  }
  /** An initializer whose bytes stay in a file next to the model. */
  external(stem, type, dims, location) {
    const name = this.fresh(stem);
    this.#initializers.push({
      name,
      dataType: DATA_TYPES[type],
      dims: [...dims],
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: "location", value: location.file },
        { key: "offset", value: String(location.offset) },
        { key: "length", value: String(location.length) }
      ]
    });
    return name;
  }
  /** Adds a node; returns its output names (`outputs` is a count of fresh names or explicit names). */
  node(opType, inputs, attributes = {}, options = {}) {
    const stem = options.stem ?? opType.toLowerCase();
    const outputs = typeof options.outputs === "object" ? options.outputs.map((name) => {
      this.#names.add(name);
      return name;
    }) : Array.from({ length: options.outputs ?? 1 }, () => this.fresh(stem));
    this.#nodes.push({
      opType,
      domain: options.domain ?? "",
      name: this.fresh(`n_${stem}`),
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(attributes).map(([name, value]) => attributeProto(name, value))
    });
    return outputs;
  }
  /** A single-output node. */
  op(opType, inputs, attributes = {}, stem) {
    return this.node(opType, inputs, attributes, { stem })[0];
  }
  /** A com.microsoft contrib operator (single output unless `outputs` says otherwise). */
  contrib(opType, inputs, attributes = {}, outputs = 1) {
    return this.node(opType, inputs, attributes, { domain: "com.microsoft", outputs });
  }
  /** The serialised ModelProto. */
  serialize(graphName, options) {
    const opsetImport = [{ domain: "", version: options.opset }];
    if (this.#nodes.some((n) => n.domain === "com.microsoft")) {
      opsetImport.push({ domain: "com.microsoft", version: options.contribOpset ?? 1 });
    }
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport,
      producerName: "@altclip/backend-ort",
      docString: options.docString ?? "",
      graph: {
        name: graphName,
        node: this.#nodes,
        initializer: this.#initializers,
        input: this.#inputs,
        output: this.#outputs
      }
    });
    return onnx.ModelProto.encode(model).finish();
  }
};

// scratch/exp1.ts
import * as fs from "node:fs";
import ort from "onnxruntime-node";
var K = 8;
var N = 6;
var w = new Float32Array(K * N).map((_, i) => i * 0.01);
var buf = new Uint8Array(13 + w.byteLength);
buf.set(new Uint8Array(w.buffer), 13);
fs.mkdirSync("/tmp/exp/src", { recursive: true });
fs.writeFileSync("/tmp/exp/src/w.bin", buf);
fs.mkdirSync("/tmp/exp/m", { recursive: true });
try {
  fs.unlinkSync("/tmp/exp/m/w.link");
} catch {
}
fs.symlinkSync("/tmp/exp/src/w.bin", "/tmp/exp/m/w.link");
var g = new OnnxGraphBuilder();
var x = g.input("x", "float32", ["B", "L", N]);
var mask = g.input("mask", "int64", ["B", "L"]);
var W = g.external("w", "float32", [K, N], { file: "w.bin", offset: 13, length: w.byteLength });
var wt = g.op("Transpose", [W], { perm: { ints: [1, 0] } });
var y = g.op("MatMul", [x, wt]);
var m32 = g.op("Cast", [mask], { to: { i: 6 } });
var q = g.op("MatMul", [x, g.op("Transpose", [g.external("w2", "float32", [N, N], { file: "w.bin", offset: 13, length: N * N * 4 })], { perm: { ints: [1, 0] } })]);
var [att] = g.contrib("MultiHeadAttention", [q, q, q, "", m32], { num_heads: { i: 2 } });
g.output("y", y, "float32", ["B", "L", K]);
g.output("att", att, "float32", ["B", "L", N]);
fs.writeFileSync("/tmp/exp/m/model.onnx", g.serialize("t", { opset: 17 }));
var s = await ort.InferenceSession.create(fs.readFileSync("/tmp/exp/m/model.onnx"), { graphOptimizationLevel: "all", extra: { session: { model_external_initializers_file_folder_path: "/tmp/exp/src" } } });
var xv = new Float32Array(2 * 3 * N).map((_, i) => Math.sin(i));
var r = await s.run({ x: new ort.Tensor("float32", xv, [2, 3, N]), mask: new ort.Tensor("int64", BigInt64Array.from([1n, 1n, 0n, 1n, 1n, 1n]), [2, 3]) });
console.log(r.y.dims, r.y.data.slice(0, 4), r.att.dims, r.att.data.slice(0, 4));
