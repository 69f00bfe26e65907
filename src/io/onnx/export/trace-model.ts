// Trace one eval-mode forward pass of a model into a Graph (graph/): every public op it calls
// becomes a node, parameters and buffers are named by their state-dict keys, calls carry the
// dotted path of the module that made them, and recurrent layers are recorded as one node each
// (they become one ONNX node; their per-step ops would not).

import { Tensor } from "../../../tensor/tensor.js";
import { noGrad } from "../../../autograd/grad-mode.js";
import { GraphRecorder, type KnownTensor } from "../../../graph/recorder.js";
import { valuesIn, type Graph, type GraphNode, type GraphValue } from "../../../graph/ir.js";
import { add, logicalNot, mul } from "../../../ops/elementwise.js";
import { cat } from "../../../ops/indexing.js";
import { narrow } from "../../../ops/view.js";
import { tensor } from "../../../tensor/creation.js";
import { Module } from "../../../nn/module.js";
import { ExportError, hostData } from "./context.js";
import { RNNBase } from "../../../nn/recurrent.js";
import { RNNCellBase } from "../../../nn/recurrent-cells.js";

/** Modules recorded as one node ("module:<Class>") instead of the ops inside them. */
export function recordedWhole(m: Module): string | null {
  if (m instanceof RNNBase) return `module:${m.cell === "lstm" ? "LSTM" : m.cell === "gru" ? "GRU" : "RNN"}`;
  if (m instanceof RNNCellBase) return `module:${m.constructor.name}`;
  return null;
}

export interface TracedModel {
  graph: Graph;
  /** The model's outputs on the example inputs. */
  result: unknown;
  /** Each input's batch dim. */
  batchDims?: number[];
}

export function traceModel(model: Module, inputs: Tensor[], inputNames: string[], dynamicBatch: boolean): TracedModel {
  const first = traceOnce(model, inputs, inputNames);
  const batchDims = first.graph.inputs.map((v) => batchDimOf(v, first.graph.nodes));
  // The check's trace also grows the batch by one when the batch is to be symbolic, which finds
  // tensors sized by the batch that were made outside the traced ops (zeros([N, H]) in a forward).
  const others = inputs.map((x, i) => perturbed(x, dynamicBatch ? batchDims[i] : -1));
  let second: TracedModel;
  try {
    second = traceOnce(model, others, inputNames);
  } catch (e) {
    if (!dynamicBatch) throw e;
    throw new ExportError(`the model does not run on a batch size other than the example's (${others.map((t) => `[${t.shape.join(", ")}]`).join(", ")} failed: ${(e as Error).message}); export with dynamicBatch: false`);
  }
  checkConstants(first.graph, second.graph);
  return { ...first, batchDims };
}

/** An input's batch dim: 1 for a sequence-first recurrent layer's [T, N, F] input, else 0. */
export function batchDimOf(v: GraphValue, nodes: readonly GraphNode[]): number {
  const user = nodes.find((n) => valuesIn(n.args).includes(v));
  const m = user?.module as { batchFirst?: boolean } | undefined;
  return user && user.op.startsWith("module:") && user.args[0] === v && v.shape.length === 3 && m?.batchFirst === false ? 1 : 0;
}

/**
 * A tensor the graph holds as a constant must not depend on the input: if an op nabla cannot
 * trace computed it from the input, the exported graph would replay the example's values. Tracing
 * again on other inputs finds such tensors: their values change.
 */
function checkConstants(a: Graph, b: Graph): void {
  const ca = a.values.filter((v) => v.kind === "constant"), cb = b.values.filter((v) => v.kind === "constant");
  // Data-dependent control flow traced differently: nothing to pair.
  if (ca.length !== cb.length || a.nodes.length !== b.nodes.length) return;
  ca.forEach((v, i) => {
    const w = cb[i];
    if (v.shape.join() !== w.shape.join() || !sameData(v.tensor!, w.tensor!)) {
      const user = a.nodes.find((n) => valuesIn(n.args).includes(v));
      const where = user ? ` used by op '${user.op}'${user.scope ? ` in module '${user.scope}'` : ""}` : "";
      throw new ExportError(`a tensor of shape [${v.shape.join(", ")}]${where} depends on the input (its values or its batch size) but was made outside the ops the tracer sees (nabla's public ops); it would be exported as a constant`);
    }
  });
}

function sameData(x: Tensor, y: Tensor): boolean {
  const p = hostData(x), q = hostData(y);
  if (p.length !== q.length) return false;
  for (let i = 0; i < p.length; i++) if (p[i] !== q[i] && !(Number.isNaN(p[i]) && Number.isNaN(q[i]))) return false;
  return true;
}

/** Other values of the same kind (floats scaled and shifted, ids moved by one within their range), one more batch row when batchDim ≥ 0. */
function perturbed(x: Tensor, batchDim: number): Tensor {
  return noGrad(() => {
    let y: Tensor;
    if (x.dtype === "bool") y = logicalNot(x);
    else if (x.dtype === "int32") {
      const d = hostData(x);
      let hi = 0;
      for (let i = 0; i < d.length; i++) hi = Math.max(hi, d[i]);
      y = tensor(Int32Array.from(d, (v) => (v + 1) % (hi + 1)), { shape: x.shape, device: x.device });
    } else y = add(mul(x, 0.75), 0.125);
    return batchDim >= 0 && batchDim < x.ndim ? cat([y, narrow(y, batchDim, 0, 1)], batchDim) : y;
  });
}

function traceOnce(model: Module, inputs: Tensor[], inputNames: string[]): TracedModel {
  const known: [Tensor, KnownTensor][] = [
    ...model.namedParameters().map(([n, p]): [Tensor, KnownTensor] => [p, { kind: "parameter", name: n }]),
    ...model.namedBuffers().map(([n, b]): [Tensor, KnownTensor] => [b, { kind: "buffer", name: n }]),
  ];
  const rec = new GraphRecorder(known);
  inputs.forEach((t, i) => rec.addInput(t, inputNames[i]));
  const named = model.namedModules();
  const wasTraining = new Map(named.map(([, m]) => [m, m.training]));
  for (const [path, m] of named) {
    const original = m.forward;
    const whole = recordedWhole(m);
    Object.defineProperty(m, "forward", {
      configurable: true, writable: true, enumerable: false,
      value: function (this: Module, ...args: unknown[]) {
        rec.pushScope(path);
        try {
          return whole && rec.depth === 0 ? rec.callAsOne(whole, original, args, this, m) : original.apply(this, args);
        } finally {
          rec.popScope();
        }
      },
    });
  }
  model.eval();
  try {
    const { result, graph } = rec.record(() => noGrad(() => model.forward(...inputs)));
    return { graph, result };
  } finally {
    for (const [, m] of named) delete (m as unknown as { forward?: unknown }).forward;
    for (const [m, t] of wasTraining) m.training = t;
  }
}
