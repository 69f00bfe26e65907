// The Module importOnnx returns: the graph's float initializers are its parameters (so an imported
// model fine-tunes), batch-norm statistics and integer initializers its buffers; forward runs the
// nodes in order with nabla's ops (ops/), evaluating If/Loop subgraphs when they are reached.

import { Tensor } from "../../tensor/tensor.js";
import { tensor } from "../../tensor/creation.js";
import { Module } from "../../nn/module.js";
import { Parameter } from "../../nn/parameter.js";
import { formatShape } from "../../core/shape.js";
import type { GraphProto, NodeProto } from "./onnx-proto.js";
import { fromTensorProto } from "./tensor-proto.js";
import { Attributes } from "./ops/attributes.js";
import { UnsupportedOnnx, type OpHandler, type RunContext } from "./ops/registry.js";

export interface PreparedNode {
  node: NodeProto;
  handler: OpHandler;
  attrs: Attributes;
}

/** Field names a state tensor may not take (Module's own fields and private names). */
const RESERVED = new Set(["training", "forward"]);

export class OnnxModule extends Module {
  /** Graph input names (initializers excluded), in order. */
  readonly _inputNames: string[];
  readonly _outputNames: string[];
  private readonly _graph: GraphProto;
  private readonly _opset: number;
  private readonly _ops: Map<NodeProto, PreparedNode>;
  /** ONNX initializer name → the field holding its tensor. */
  private readonly _stateField = new Map<string, string>();

  constructor(graph: GraphProto, opset: number, ops: Map<NodeProto, PreparedNode>, bufferNames: Set<string>) {
    super();
    this._graph = graph;
    this._opset = opset;
    this._ops = ops;
    for (const init of graph.initializer ?? []) {
      const name = init.name ?? "";
      const h = fromTensorProto(init, "importOnnx");
      const t = tensor(h.data, { shape: h.shape, dtype: h.dtype });
      let field = name.startsWith("_") || RESERVED.has(name) || name === "" ? `p${name}` : name;
      while (field in this) field = `${field}_`;
      this._stateField.set(name, field);
      if (h.dtype === "float32" || h.dtype === "float64") {
        if (bufferNames.has(name)) this.registerBuffer(field, t);
        else (this as unknown as Record<string, unknown>)[field] = new Parameter(t);
      } else {
        this.registerBuffer(field, t);
      }
    }
    const inits = new Set((graph.initializer ?? []).map((i) => i.name));
    this._inputNames = (graph.input ?? []).map((v) => v.name ?? "").filter((n) => !inits.has(n));
    this._outputNames = (graph.output ?? []).map((v) => v.name ?? "");
  }

  forward(...inputs: Tensor[]): Tensor | Tensor[] {
    if (inputs.length !== this._inputNames.length) {
      throw new RangeError(`OnnxModule: the graph takes ${this._inputNames.length} input(s) (${this._inputNames.join(", ")}), got ${inputs.length}`);
    }
    const env = new Map<string, Tensor>();
    for (const [name, field] of this._stateField) env.set(name, (this as unknown as Record<string, Tensor>)[field]);
    inputs.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`OnnxModule: input '${this._inputNames[i]}' must be a Tensor`);
      env.set(this._inputNames[i], t);
    });
    const outs = this.runGraph(this._graph, env);
    return outs.length === 1 ? outs[0] : outs;
  }

  private runGraph(g: GraphProto, env: Map<string, Tensor>): Tensor[] {
    const ctx: RunContext = {
      opset: this._opset,
      runSubgraph: (sub, extra) => {
        // A subgraph sees the enclosing values; its own initializers and inputs shadow them.
        const inner = new Map(env);
        for (const init of sub.initializer ?? []) {
          const h = fromTensorProto(init, "importOnnx");
          inner.set(init.name ?? "", tensor(h.data, { shape: h.shape, dtype: h.dtype }));
        }
        for (const [k, v] of extra) inner.set(k, v);
        return this.runGraph(sub, inner);
      },
    };
    for (const node of g.node ?? []) {
      const p = this._ops.get(node)!;
      const ins = (node.input ?? []).map((name) => {
        if (name === "") return null;
        const t = env.get(name);
        if (!t) throw new Error(`OnnxModule: node '${node.name ?? ""}' (${node.opType}) reads '${name}', which no earlier node or input produced`);
        return t;
      });
      let outs: (Tensor | null)[] | Tensor;
      try {
        outs = p.handler.run(ins, p.attrs, ctx, node);
      } catch (e) {
        const shapes = ins.map((t) => (t ? formatShape(t.shape) : "none")).join(", ");
        const msg = e instanceof UnsupportedOnnx ? `is not supported: ${e.message}` : `failed on inputs of shape ${shapes}: ${(e as Error).message}`;
        throw new Error(`OnnxModule: node '${node.name ?? ""}' (${node.opType}) ${msg}`, { cause: e });
      }
      const list = Array.isArray(outs) ? outs : [outs];
      (node.output ?? []).forEach((name, i) => {
        if (name === "") return;
        const t = list[i];
        if (!t) throw new Error(`OnnxModule: node '${node.name ?? ""}' (${node.opType}): output ${i} ('${name}') is not computed by nabla's importer`);
        env.set(name, t);
      });
    }
    return (g.output ?? []).map((v) => {
      const t = env.get(v.name ?? "");
      if (!t) throw new Error(`OnnxModule: graph output '${v.name}' is not computed by any node`);
      return t;
    });
  }
}
