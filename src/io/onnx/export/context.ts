// What an op's ONNX emitter works with: the builder, the opset, and the mapping from graph values
// (nabla tensors of the traced run) to ONNX value names.

import type { DType, TypedArray } from "../../../core/dtype.js";
import type { Tensor } from "../../../tensor/tensor.js";
import { GraphValue, type GraphArg, type GraphNode } from "../../../graph/ir.js";
import type { OnnxGraphBuilder } from "./builder.js";
import { onnxTypeOf } from "../tensor-proto.js";

export class ExportError extends Error {}

/** A tensor's values on the host (a copy through the cpu for a device that cannot be read synchronously). */
export function hostData(t: Tensor): TypedArray {
  return t.backend.syncReadable ? t.dataSync() : t.to("cpu").dataSync();
}

export class EmitContext {
  private readonly names = new Map<GraphValue, string>();

  constructor(
    readonly b: OnnxGraphBuilder,
    readonly opset: number,
    readonly dynamicBatch: boolean,
    /** The traced batch size (dim 0 of the first input), for telling batch dims from others. */
    readonly batch: number,
  ) {}

  /** The ONNX name of a value; parameters, buffers and constants become initializers on first use. */
  name(v: GraphValue): string {
    const hit = this.names.get(v);
    if (hit) return hit;
    if (v.tensor === null) throw new ExportError(`internal error: value %${v.id} is used before the node that computes it`);
    const t = v.tensor;
    const name = this.b.initializer(v.name || `const_${v.id}`, { shape: [...t.shape], dtype: t.dtype, data: hostData(t) });
    this.names.set(v, name);
    return name;
  }

  bind(v: GraphValue, onnxName: string): void {
    this.names.set(v, onnxName);
  }

  /** A fresh ONNX name for a node's result value v, bound to it. */
  out(v: GraphValue): string {
    const name = this.b.unique(`t${v.id}`);
    this.bind(v, name);
    return name;
  }

  /** A tensor argument, or a number as a 0-d constant, in the given dtype (cast when it differs). */
  operand(a: GraphArg, dtype: DType): string {
    if (a instanceof GraphValue) return a.dtype === dtype ? this.name(a) : this.cast(this.name(a), dtype);
    if (typeof a === "number" || typeof a === "boolean") return this.scalar(Number(a), dtype);
    throw new ExportError(`expected a tensor or a number operand, got ${JSON.stringify(a)}`);
  }

  scalar(value: number, dtype: DType): string {
    const data = dtype === "float32" ? Float32Array.of(value) : dtype === "float64" ? Float64Array.of(value) : dtype === "int32" ? Int32Array.of(value) : Uint8Array.of(value ? 1 : 0);
    return this.b.initializer("scalar", { shape: [], dtype, data });
  }

  cast(name: string, dtype: DType): string {
    return this.b.node("Cast", [name], 1, { to: onnxTypeOf(dtype) })[0];
  }

  /**
   * A target shape for Reshape/Expand that keeps the batch dim symbolic: 0 ("as the input") where
   * the result keeps the input's leading batch dim, -1 where the batch was merged into dim 0.
   */
  reshapeTarget(inShape: readonly number[], outShape: readonly number[]): number[] {
    const t = [...outShape];
    if (!this.dynamicBatch || inShape.length === 0 || t.length === 0) return t;
    // Leading dims the reshape keeps are copied from the input (0), the batch dim among them.
    let k = 0;
    while (k < t.length && k < inShape.length && inShape[k] === t[k]) t[k++] = 0;
    // A batch in dim 0 merged into the result's dim 0: that dim is inferred (-1).
    if (k === 0 && inShape[0] === this.batch && t[0] % this.batch === 0) t[0] = -1;
    return t;
  }

  /** Reshape x (a graph value) to the shape of result v. */
  reshapeTo(x: GraphValue, v: GraphValue, outName = this.out(v)): void {
    this.b.node("Reshape", [this.name(x), this.b.int64(this.reshapeTarget(x.shape, v.shape))], [outName]);
  }

  /** Unsqueeze/Squeeze take axes as an attribute before opset 13 and as an input after. */
  axesNode(op: "Squeeze" | "Unsqueeze" | "ReduceSum" | "ReduceMean" | "ReduceMax" | "ReduceMin" | "ReduceProd" | "ReduceLogSumExp", x: string, axes: number[], outName: string | number = 1, extra: Record<string, number> = {}): string {
    const asInput = op === "Squeeze" || op === "Unsqueeze" || op === "ReduceSum" ? this.opset >= 13 : this.opset >= 18;
    const outs = typeof outName === "string" ? [outName] : 1;
    return asInput ? this.b.node(op, [x, this.b.int64(axes)], outs, extra)[0] : this.b.node(op, [x], outs, { axes, ...extra })[0];
  }
}

/** Emits the ONNX nodes of one recorded call; the node's result values must be bound (ctx.out). */
export type Emitter = (ctx: EmitContext, node: GraphNode) => void;

export function arg<T = GraphArg>(node: GraphNode, i: number): T {
  return node.args[i] as T;
}

export function tensorArg(node: GraphNode, i: number): GraphValue {
  const a = node.args[i];
  if (!(a instanceof GraphValue)) throw new ExportError(`${node.op}: argument ${i} should be a tensor, got ${JSON.stringify(a)}`);
  return a;
}

/** A dim argument made non-negative. */
export function dimArg(d: number, ndim: number): number {
  return d < 0 ? d + ndim : d;
}
