/**
 * A small ONNX model builder, so models are written as ONNX graphs from TypeScript (no
 * Python in the build) and run by onnxruntime-node: on CPU here, with the CUDA provider on
 * FC GPU instances. Covers what the platform's models use: float/int64 tensors, nodes with
 * int/float/ints attributes, and contrib ops in the `com.microsoft` domain.
 */
import { ProtoWriter } from './protobuf';

export type ElemType = 'float32' | 'int64' | 'int32';
const ELEM: Record<ElemType, number> = { float32: 1, int32: 6, int64: 7 };

export interface Initializer {
  name: string;
  type: ElemType;
  dims: number[];
  data: Float32Array | BigInt64Array | Int32Array;
}

export interface ValueInfo {
  name: string;
  type: ElemType;
  /** A number for a fixed size, a string for a symbolic one (e.g. "batch"). */
  shape: (number | string)[];
}

export type Attribute = number | number[] | { float: number };

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  domain?: string;
  attributes?: Record<string, Attribute>;
}

export interface GraphSpec {
  name: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: Node[];
  initializers?: Initializer[];
  /** Free-form key/value pairs stored in the model (metadata_props). */
  metadata?: Record<string, string>;
}

const OPSET = 17;
const CONTRIB_OPSET = 1;

function valueInfo(w: ProtoWriter, v: ValueInfo) {
  w.string(1, v.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.int(1, ELEM[v.type]).message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      }),
    ),
  );
}

function tensor(w: ProtoWriter, t: Initializer) {
  for (const d of t.dims) w.int(1, d);
  w.int(2, ELEM[t.type])
    .string(8, t.name)
    .bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function attribute(w: ProtoWriter, name: string, value: Attribute) {
  w.string(1, name);
  if (Array.isArray(value)) {
    for (const v of value) w.int(8, v);
    w.int(20, 7); // INTS
  } else if (typeof value === 'number') {
    w.int(3, value).int(20, 2); // INT
  } else {
    w.float(2, value.float).int(20, 1); // FLOAT
  }
}

/** Serialises a graph as an ONNX ModelProto. */
export function buildModel(g: GraphSpec): Buffer {
  const w = new ProtoWriter();
  w.int(1, 8); // ir_version
  w.string(2, 'smart-marketing-fc');
  w.message(7, (graph) => {
    g.nodes.forEach((n, i) =>
      graph.message(1, (node) => {
        for (const input of n.inputs) node.string(1, input);
        for (const output of n.outputs) node.string(2, output);
        node.string(3, `${n.op}_${i}`).string(4, n.op);
        for (const [name, value] of Object.entries(n.attributes ?? {})) node.message(5, (a) => attribute(a, name, value));
        if (n.domain) node.string(7, n.domain);
      }),
    );
    graph.string(2, g.name);
    for (const init of g.initializers ?? []) graph.message(5, (t) => tensor(t, init));
    for (const input of g.inputs) graph.message(11, (v) => valueInfo(v, input));
    for (const output of g.outputs) graph.message(12, (v) => valueInfo(v, output));
  });
  w.message(8, (op) => op.string(1, '').int(2, OPSET));
  if (g.nodes.some((n) => n.domain === 'com.microsoft')) w.message(8, (op) => op.string(1, 'com.microsoft').int(2, CONTRIB_OPSET));
  for (const [key, value] of Object.entries(g.metadata ?? {})) w.message(14, (p) => p.string(1, key).string(2, value));
  return w.finish();
}

/** Nodes appended in order, each output named for the caller or numbered: graphs read as expressions. */
export class Nodes {
  readonly list: Node[] = [];
  private count = 0;

  constructor(private readonly prefix = 't') {}

  /** Appends a one-output node; returns its output's name (`name`, or a fresh one). */
  op(op: string, inputs: string[], attributes?: Record<string, Attribute>, name?: string, domain?: string): string {
    const output = name ?? `${this.prefix}${this.count++}`;
    this.list.push({ op, inputs, outputs: [output], ...(attributes && { attributes }), ...(domain && { domain }) });
    return output;
  }

  /** Appends a node with several outputs, named by the caller. */
  multi(op: string, inputs: string[], outputs: string[], attributes?: Record<string, Attribute>): void {
    this.list.push({ op, inputs, outputs, ...(attributes && { attributes }) });
  }
}
