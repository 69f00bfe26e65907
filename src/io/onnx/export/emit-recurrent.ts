// RNN, LSTM and GRU layers as ONNX's RNN/LSTM/GRU nodes, one node per layer (both directions in
// one node). ONNX stacks gates in another order than torch: LSTM i,o,f,c (torch i,f,g,o), GRU
// z,r,h (torch r,z,n); torch's GRU applies the reset gate after the hidden matmul, which is ONNX's
// linear_before_reset=1. The weights are written reordered, as new initializers.

import { GraphValue, type GraphNode } from "../../../graph/ir.js";
import type { Tensor } from "../../../tensor/tensor.js";
import { RNNBase } from "../../../nn/recurrent.js";
import { GRUCell, LSTMCell, RNNCell, RNNCellBase } from "../../../nn/recurrent-cells.js";
import { ExportError, hostData, type EmitContext, type Emitter } from "./context.js";

/** For each ONNX gate block, the torch block it comes from. */
const GATE_ORDER: Record<string, number[]> = { lstm: [0, 3, 1, 2], gru: [1, 0, 2], rnnTanh: [0], rnnRelu: [0] };

function reorderedRows(t: Tensor, order: number[], hidden: number): Float32Array {
  const data = Float32Array.from(hostData(t));
  const cols = t.shape.length === 2 ? t.shape[1] : 1;
  const out = new Float32Array(data.length);
  order.forEach((src, dst) => out.set(data.subarray(src * hidden * cols, (src + 1) * hidden * cols), dst * hidden * cols));
  return out;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const recurrentEmitter: Emitter = (ctx: EmitContext, n: GraphNode) => {
  const m = n.module;
  if (!(m instanceof RNNBase)) throw new ExportError(`${n.op}: expected a recurrent layer`);
  if (m.projSize > 0) throw new ExportError(`${n.op} with projSize ${m.projSize} has no ONNX form (ONNX's LSTM has no projection)`);
  const x = n.args[0];
  if (!(x instanceof GraphValue)) throw new ExportError(`${n.op}: exports tensor inputs only (not a PackedSequence)`);
  if (x.shape.length !== 3) throw new ExportError(`${n.op}: exports batched input [T, N, F] / [N, T, F] only, got shape [${x.shape.join(", ")}]`);
  const hx = n.args[1];
  const lstm = m.cell === "lstm";
  const [h0, c0] = lstm ? (Array.isArray(hx) ? (hx as GraphValue[]) : [null, null]) : [hx instanceof GraphValue ? hx : null, null];
  const L = m.numLayers, D = m.directions, H = m.hiddenSize, G = GATE_ORDER[m.cell].length;
  const onnxOp = lstm ? "LSTM" : m.cell === "gru" ? "GRU" : "RNN";
  const base = n.scope || onnxOp.toLowerCase();
  let seq = m.batchFirst ? ctx.b.node("Transpose", [ctx.name(x)], 1, { perm: [1, 0, 2] })[0] : ctx.name(x);
  const hN: string[] = [], cN: string[] = [];
  const stateSlice = (s: GraphValue, l: number): string =>
    ctx.b.node("Slice", [ctx.name(s), ctx.b.int64([l * D]), ctx.b.int64([(l + 1) * D]), ctx.b.int64([0])], 1)[0];
  for (let l = 0; l < L; l++) {
    const dirs = [...Array(D).keys()].map((d) => m.weightsOf(l, d));
    const inSize = dirs[0].weightIh.shape[1];
    const order = GATE_ORDER[m.cell];
    const W = ctx.b.initializer(`${base}.W_l${l}`, { shape: [D, G * H, inSize], dtype: "float32", data: concat(dirs.map((w) => reorderedRows(w.weightIh, order, H))) });
    const R = ctx.b.initializer(`${base}.R_l${l}`, { shape: [D, G * H, H], dtype: "float32", data: concat(dirs.map((w) => reorderedRows(w.weightHh, order, H))) });
    const bias = concat(dirs.flatMap((w) => [
      w.biasIh ? reorderedRows(w.biasIh, order, H) : new Float32Array(G * H),
      w.biasHh ? reorderedRows(w.biasHh, order, H) : new Float32Array(G * H),
    ]));
    const B = ctx.b.initializer(`${base}.B_l${l}`, { shape: [D, 2 * G * H], dtype: "float32", data: bias });
    const inputs = [seq, W, R, B, "", h0 ? stateSlice(h0, l) : ""];
    if (lstm) inputs.push(c0 ? stateSlice(c0, l) : "");
    while (inputs[inputs.length - 1] === "") inputs.pop();
    const attrs: Record<string, number | string | { strings: string[] }> = { hidden_size: H, direction: D === 2 ? "bidirectional" : "forward" };
    if (m.cell === "gru") attrs.linear_before_reset = 1;
    if (m.cell === "rnnRelu") attrs.activations = { strings: D === 2 ? ["Relu", "Relu"] : ["Relu"] };
    const [Y, Yh, Yc] = ctx.b.node(onnxOp, inputs, lstm ? 3 : 2, attrs, `${base}_l${l}`);
    hN.push(Yh);
    if (lstm) cN.push(Yc);
    // Y is [T, D, N, H]: the next layer's input is [T, N, D·H].
    seq = D === 1 ? ctx.axesNode("Squeeze", Y, [1])
      : ctx.b.node("Reshape", [ctx.b.node("Transpose", [Y], 1, { perm: [0, 2, 1, 3] })[0], ctx.b.int64([0, 0, -1])], 1)[0];
  }
  const [outV, hV, cV] = n.outputs;
  if (m.batchFirst) ctx.b.node("Transpose", [seq], [ctx.out(outV)], { perm: [1, 0, 2] });
  else ctx.b.node("Identity", [seq], [ctx.out(outV)]);
  const join = (parts: string[], v: GraphValue): void => {
    if (parts.length === 1) ctx.b.node("Identity", parts, [ctx.out(v)]);
    else ctx.b.node("Concat", parts, [ctx.out(v)], { axis: 0 });
  };
  if (hV) join(hN, hV);
  if (cV && lstm) join(cN, cV);
};

/**
 * RNNCell, LSTMCell and GRUCell: one step, as the sequence node over a sequence of length 1
 * (a cell's own zero state would otherwise be a constant of the traced batch size).
 */
export const cellEmitter: Emitter = (ctx: EmitContext, n: GraphNode) => {
  const m = n.module;
  if (!(m instanceof RNNCellBase)) throw new ExportError(`${n.op}: expected a recurrent cell`);
  const x = n.args[0];
  if (!(x instanceof GraphValue) || x.shape.length !== 2) throw new ExportError(`${n.op}: exports batched input [N, inputSize] only`);
  const lstm = m instanceof LSTMCell;
  const cell = lstm ? "lstm" : m instanceof GRUCell ? "gru" : (m as RNNCell).nonlinearity === "relu" ? "rnnRelu" : "rnnTanh";
  const order = GATE_ORDER[cell], G = order.length, H = m.hiddenSize;
  const hx = n.args[1];
  const [h0, c0] = lstm ? (Array.isArray(hx) ? (hx as GraphValue[]) : [null, null]) : [hx instanceof GraphValue ? hx : null, null];
  const base = n.scope || cell;
  const W = ctx.b.initializer(`${base}.W`, { shape: [1, G * H, m.inputSize], dtype: "float32", data: reorderedRows(m.weight_ih, order, H) });
  const R = ctx.b.initializer(`${base}.R`, { shape: [1, G * H, H], dtype: "float32", data: reorderedRows(m.weight_hh, order, H) });
  const B = ctx.b.initializer(`${base}.B`, {
    shape: [1, 2 * G * H], dtype: "float32",
    data: concat([m.bias_ih ? reorderedRows(m.bias_ih, order, H) : new Float32Array(G * H), m.bias_hh ? reorderedRows(m.bias_hh, order, H) : new Float32Array(G * H)]),
  });
  const lift = (v: GraphValue): string => ctx.axesNode("Unsqueeze", ctx.name(v), [0]);
  const inputs = [lift(x), W, R, B, "", h0 ? lift(h0) : ""];
  if (lstm) inputs.push(c0 ? lift(c0) : "");
  while (inputs[inputs.length - 1] === "") inputs.pop();
  const attrs: Record<string, number | string | { strings: string[] }> = { hidden_size: H };
  if (cell === "gru") attrs.linear_before_reset = 1;
  if (cell === "rnnRelu") attrs.activations = { strings: ["Relu"] };
  const [, Yh, Yc] = ctx.b.node(lstm ? "LSTM" : cell === "gru" ? "GRU" : "RNN", inputs, lstm ? 3 : 2, attrs, base);
  ctx.axesNode("Squeeze", Yh, [0], ctx.out(n.outputs[0]));
  if (lstm && n.outputs[1]) ctx.axesNode("Squeeze", Yc, [0], ctx.out(n.outputs[1]));
};
