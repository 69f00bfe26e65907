// Assembles an ONNX graph while exporting: unique value names, nodes, initializers, and int64
// constants (shapes, axes) that ONNX takes as inputs from opset 10–13 on.

import type { AttributeProto, NodeProto, TensorProto, ValueInfoProto } from "../onnx-proto.js";
import { OnnxAttributeType } from "../onnx-proto.js";
import { int64TensorProto, toTensorProto, type HostArray } from "../tensor-proto.js";

export type AttrValue = number | string | number[] | { floats: number[] } | { float: number } | { strings: string[] } | TensorProto;

export class OnnxGraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly int64Cache = new Map<string, string>();
  private counter = 0;

  constructor(readonly opset: number) {}

  /** A name no other value has, derived from `base`. */
  unique(base: string): string {
    let name = base.replace(/[^A-Za-z0-9_.:/-]/g, "_") || "v";
    if (this.used.has(name)) {
      while (this.used.has(`${name}_${this.counter}`)) this.counter++;
      name = `${name}_${this.counter++}`;
    }
    this.used.add(name);
    return name;
  }

  /** Add a node; returns its output names. Attributes: integers and float given as {float}, lists, strings. */
  node(opType: string, inputs: string[], outputs: string[] | number, attrs: Record<string, AttrValue | undefined> = {}, name?: string): string[] {
    const outs = typeof outputs === "number" ? Array.from({ length: outputs }, () => this.unique(`${opType.toLowerCase()}_out`)) : outputs;
    const attribute: AttributeProto[] = [];
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) attribute.push(attributeOf(k, v));
    this.nodes.push({ opType, input: inputs, output: outs, name: this.unique(name ?? `${opType}_${this.nodes.length}`), attribute });
    return outs;
  }

  initializer(base: string, a: HostArray): string {
    const name = this.unique(base);
    this.initializers.push(toTensorProto(name, a));
    return name;
  }

  /** An int64 1-D initializer (shared between nodes that need the same values). */
  int64(values: readonly number[], scalarShape = false): string {
    const key = `${scalarShape ? "s" : "v"}${values.join(",")}`;
    const hit = this.int64Cache.get(key);
    if (hit) return hit;
    const name = this.unique("const_i64");
    this.initializers.push(int64TensorProto(name, values, scalarShape ? [] : [values.length]));
    this.int64Cache.set(key, name);
    return name;
  }
}

function attributeOf(name: string, v: AttrValue): AttributeProto {
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new Error(`exportOnnx: internal error, attribute ${name}=${v} must be given as {float} if it is a float`);
    return { name, type: OnnxAttributeType.INT, i: v };
  }
  if (typeof v === "string") return { name, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: OnnxAttributeType.INTS, ints: v };
  if ("strings" in v) return { name, type: OnnxAttributeType.STRINGS, strings: v.strings.map((x) => new TextEncoder().encode(x)) };
  if ("floats" in v) return { name, type: OnnxAttributeType.FLOATS, floats: v.floats };
  if ("float" in v) return { name, type: OnnxAttributeType.FLOAT, f: v.float };
  return { name, type: OnnxAttributeType.TENSOR, t: v };
}
