// ONNX LSTM, GRU and RNN through nabla's recurrent op, so imported sequence models train. ONNX's
// gate blocks are put back into torch's order (LSTM i,o,f,c → i,f,g,o; GRU z,r,h → r,z,n) with
// differentiable slices of the weights. torch's GRU is ONNX's linear_before_reset=1; the other
// form, peepholes, clipping and non-default activations fail at import.

import type { Tensor } from "../../../tensor/tensor.js";
import { zeros } from "../../../tensor/creation.js";
import { recurrentSequence, type RecurrentCell } from "../../../ops/recurrent.js";
import { cat, stack } from "../../../ops/indexing.js";
import { narrow, reshape, squeeze, unsqueeze } from "../../../ops/view.js";
import type { Attributes } from "./attributes.js";
import { UnsupportedOnnx, type OpHandler } from "./registry.js";

/** For each torch gate block, the ONNX block it comes from. */
const TORCH_FROM_ONNX: Record<string, number[]> = { LSTM: [0, 2, 3, 1], GRU: [1, 0, 2], RNN: [0] };

function checkRecurrent(op: "LSTM" | "GRU" | "RNN", a: Attributes): void {
  if (a.has("clip")) throw new UnsupportedOnnx(`${op} with clip`);
  if (op === "LSTM" && a.int("input_forget", 0) !== 0) throw new UnsupportedOnnx("LSTM with input_forget=1");
  if (op === "GRU" && a.int("linear_before_reset", 0) !== 1) throw new UnsupportedOnnx("GRU with linear_before_reset=0 (torch's and nabla's GRU apply the reset gate after the hidden matmul: linear_before_reset=1)");
  if (a.int("layout", 0) !== 0) throw new UnsupportedOnnx(`${op} with layout=1`);
  const acts = a.strings("activations");
  const dflt = op === "LSTM" ? ["Sigmoid", "Tanh", "Tanh"] : op === "GRU" ? ["Sigmoid", "Tanh"] : ["Tanh"];
  if (acts && op !== "RNN" && acts.some((x, i) => x !== dflt[i % dflt.length])) throw new UnsupportedOnnx(`${op} with activations ${acts.join(",")}`);
  if (acts && op === "RNN" && !acts.every((x) => x === acts[0] && (x === "Tanh" || x === "Relu"))) throw new UnsupportedOnnx(`RNN with activations ${acts.join(",")}`);
}

function torchOrder(w: Tensor, d: number, op: string, H: number): Tensor {
  const rows = squeeze(narrow(w, 0, d, 1), 0);
  return cat(TORCH_FROM_ONNX[op].map((b) => narrow(rows, 0, b * H, H)), 0);
}

function recurrentOp(op: "LSTM" | "GRU" | "RNN"): OpHandler {
  return {
    check: (a) => checkRecurrent(op, a),
    run: ([X, W, R, B, seqLens, h0, c0, peep], a) => {
      if (seqLens) throw new UnsupportedOnnx(`${op} with sequence_lens (variable lengths)`);
      if (peep) throw new UnsupportedOnnx("LSTM with peepholes");
      const H = a.int("hidden_size", R!.shape[2]);
      const D = a.string("direction", "forward") === "bidirectional" ? 2 : 1;
      const reverseOnly = a.string("direction", "forward") === "reverse";
      const [T, N] = [X!.shape[0], X!.shape[1]];
      const G = TORCH_FROM_ONNX[op].length;
      const cell: RecurrentCell = op === "LSTM" ? "lstm" : op === "GRU" ? "gru" : (a.strings("activations")?.[0] === "Relu" ? "rnnRelu" : "rnnTanh");
      const data = reshape(X!, [T * N, X!.shape[2]]);
      const batchSizes = new Array<number>(T).fill(N);
      const ys: Tensor[] = [], hs: Tensor[] = [], cs: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const bias = B ? squeeze(narrow(B, 0, d, 1), 0) : null;
        const w = {
          weightIh: torchOrder(W!, d, op, H), weightHh: torchOrder(R!, d, op, H),
          biasIh: bias ? torchOrder(unsqueeze(narrow(bias, 0, 0, G * H), 0), 0, op, H) : null,
          biasHh: bias ? torchOrder(unsqueeze(narrow(bias, 0, G * H, G * H), 0), 0, op, H) : null,
          weightHr: null,
        };
        const h = h0 ? squeeze(narrow(h0, 0, d, 1), 0) : zeros([N, H], { dtype: X!.dtype });
        const c = op === "LSTM" ? (c0 ? squeeze(narrow(c0, 0, d, 1), 0) : zeros([N, H], { dtype: X!.dtype })) : null;
        const r = recurrentSequence(cell, data, batchSizes, w, h, c, d === 1 || reverseOnly);
        ys.push(reshape(r.output, [T, N, H]));
        hs.push(r.hN);
        if (r.cN) cs.push(r.cN);
      }
      const Y = stack(ys, 1);
      return [Y, stack(hs, 0), op === "LSTM" ? stack(cs, 0) : null];
    },
  };
}

export const RECURRENT_OPS: Record<string, OpHandler> = { LSTM: recurrentOp("LSTM"), GRU: recurrentOp("GRU"), RNN: recurrentOp("RNN") };
