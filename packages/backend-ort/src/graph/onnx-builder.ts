import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Element types used in the graphs, named as onnxruntime names them. */
export type ElementType = 'float32' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

/** ONNX TensorProto.DataType codes. */
const DATA_TYPES: Readonly<Record<ElementType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
};

export const BYTES_PER_ELEMENT: Readonly<Record<ElementType, number>> = {
  float32: 4,
  uint8: 1,
  int8: 1,
  int32: 4,
  int64: 8,
  bool: 1,
  float16: 2,
};

/** A dimension: a fixed size or a symbolic name (dynamic axis). */
export type Dim = number | string;

/** Node attribute values, typed explicitly because ONNX distinguishes 1 (int) from 1.0 (float). */
export type Attribute = { i: number } | { f: number } | { ints: readonly number[] } | { s: string };

/** Where an initializer's bytes live outside the model: a file next to the model, at a byte offset. */
export interface ExternalLocation {
  /** File name relative to the model file's folder (onnxruntime rejects absolute paths and `..`). */
  readonly file: string;
  readonly offset: number;
  readonly length: number;
}

const ATTRIBUTE_TYPES = onnx.AttributeProto.AttributeType;

function attributeProto(name: string, value: Attribute): onnxProto.onnx.IAttributeProto {
  if ('i' in value) return { name, type: ATTRIBUTE_TYPES.INT, i: value.i };
  if ('f' in value) return { name, type: ATTRIBUTE_TYPES.FLOAT, f: value.f };
  if ('ints' in value) return { name, type: ATTRIBUTE_TYPES.INTS, ints: [...value.ints] };
  return { name, type: ATTRIBUTE_TYPES.STRING, s: new TextEncoder().encode(value.s) };
}

function valueInfo(name: string, type: ElementType, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPES[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Assembles one ONNX graph with the official schema (protobufjs code generated from onnx.proto by the
 * onnx-proto package). Weights are referenced as external data, never inlined beyond small constants, so
 * the serialised model stays far below protobuf's 2 GB limit whatever the checkpoint size.
 */
export interface PendingWeight<T> {
  readonly name: string;
  readonly type: ElementType;
  readonly dims: readonly number[];
  readonly source: T;
}

export class OnnxGraphBuilder<T = unknown> {
  readonly #weights: PendingWeight<T>[] = [];
  readonly #nodes: onnxProto.onnx.INodeProto[] = [];
  readonly #initializers: onnxProto.onnx.ITensorProto[] = [];
  readonly #inputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly #outputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly #names = new Set<string>();
  #counter = 0;

  /** A fresh value name built from a readable stem. */
  fresh(stem: string): string {
    let name = stem;
    while (this.#names.has(name)) name = `${stem}_${++this.#counter}`;
    this.#names.add(name);
    return name;
  }

  input(name: string, type: ElementType, dims: readonly Dim[]): string {
    this.#names.add(name);
    this.#inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Declares a graph output; `value` is renamed to `name` with an Identity when they differ. */
  output(name: string, value: string, type: ElementType, dims: readonly Dim[]): void {
    if (value !== name) this.node('Identity', [value], {}, { outputs: [name] });
    this.#outputs.push(valueInfo(name, type, dims));
  }

  /** A small constant stored inside the model. */
  constant(stem: string, type: ElementType, dims: readonly number[], bytes: Uint8Array): string {
    const name = this.fresh(stem);
    this.#initializers.push({ name, dataType: DATA_TYPES[type], dims: [...dims], rawData: bytes });
    return name;
  }

  constantInt64(stem: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(stem, 'int64', dims, new Uint8Array(BigInt64Array.from(values, BigInt).buffer));
  }

  constantFloat32(
    stem: string,
    values: readonly number[] | Float32Array,
    dims: readonly number[] = [values.length],
  ): string {
    return this.constant(stem, 'float32', dims, new Uint8Array(Float32Array.from(values).buffer));
  }

  /**
   * A weight initializer whose bytes live outside the model; `source` says how to produce them and is
   * resolved to a file location when the model is serialised.
   */
  weight(stem: string, type: ElementType, dims: readonly number[], source: T): string {
    const name = this.fresh(stem);
    this.#weights.push({ name, type, dims, source });
    return name;
  }

  /** The weight initializers declared so far. */
  weights(): readonly PendingWeight<T>[] {
    return this.#weights;
  }

  /** Adds a node; returns its output names (`outputs` is a count of fresh names or explicit names). */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, Attribute>> = {},
    options: { outputs?: number | readonly string[]; domain?: string; stem?: string } = {},
  ): string[] {
    const stem = options.stem ?? opType.toLowerCase();
    const outputs =
      typeof options.outputs === 'object'
        ? options.outputs.map((name) => {
            this.#names.add(name);
            return name;
          })
        : Array.from({ length: options.outputs ?? 1 }, () => this.fresh(stem));
    this.#nodes.push({
      opType,
      domain: options.domain ?? '',
      name: this.fresh(`n_${stem}`),
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(attributes).map(([name, value]) => attributeProto(name, value)),
    });
    return outputs;
  }

  /** A single-output node. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, Attribute>> = {},
    stem?: string,
  ): string {
    return this.node(opType, inputs, attributes, { stem })[0];
  }

  /** A com.microsoft contrib operator (single output unless `outputs` says otherwise). */
  contrib(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, Attribute>> = {},
    outputs: number | readonly string[] = 1,
  ): string[] {
    return this.node(opType, inputs, attributes, { domain: 'com.microsoft', outputs });
  }

  /** The serialised ModelProto. */
  serialize(
    graphName: string,
    locate: (weight: PendingWeight<T>) => ExternalLocation,
    options: { opset: number; contribOpset?: number; docString?: string },
  ): Uint8Array {
    const external = this.#weights.map((weight): onnxProto.onnx.ITensorProto => {
      const location = locate(weight);
      return {
        name: weight.name,
        dataType: DATA_TYPES[weight.type],
        dims: [...weight.dims],
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: location.file },
          { key: 'offset', value: String(location.offset) },
          { key: 'length', value: String(location.length) },
        ],
      };
    });
    const opsetImport: onnxProto.onnx.IOperatorSetIdProto[] = [{ domain: '', version: options.opset }];
    if (this.#nodes.some((n) => n.domain === 'com.microsoft')) {
      opsetImport.push({ domain: 'com.microsoft', version: options.contribOpset ?? 1 });
    }
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport,
      producerName: '@altclip/backend-ort',
      docString: options.docString ?? '',
      graph: {
        name: graphName,
        node: this.#nodes,
        initializer: [...this.#initializers, ...external],
        input: this.#inputs,
        output: this.#outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
