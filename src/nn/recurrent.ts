// Recurrent layers over whole sequences (torch.nn.RNN, LSTM, GRU): stacked layers, optionally
// bidirectional, with dropout between layers in training. Parameters carry torch's names, shapes,
// gate order and initialisation, so a torch state dict loads key for key. Each direction of each
// layer is one call of ops/recurrent's recurrentSequence, which works on the packed layout; a
// padded batch is the packed layout with every step full, so both inputs share one code path.

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { zeros, empty as emptyTensor } from "../tensor/creation.js";
import { recurrentSequence, GATES, type RecurrentCell, type RecurrentWeights } from "../ops/recurrent.js";
import { dropout as dropoutOp } from "../ops/dropout.js";
import { cat, indexSelect, stack } from "../ops/indexing.js";
import { narrow, reshape, squeeze, transpose, unsqueeze } from "../ops/view.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { checkBool, checkChoice, checkInt, checkProbability } from "./checks.js";
import { PackedSequence } from "./utils/packed-sequence.js";
import * as init from "./init.js";

export interface RNNBaseOptions {
  /** Stacked layers; each takes the previous one's output sequence (default 1). */
  numLayers?: number;
  /** Learn b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output are [N, T, features] instead of [T, N, features] (default false; hN is unaffected). */
  batchFirst?: boolean;
  /** Dropout probability on each layer's output but the last, in training only (default 0). */
  dropout?: number;
  /** Run a second direction from the last step to the first and concatenate (default false). */
  bidirectional?: boolean;
}

export interface RNNOptions extends RNNBaseOptions {
  nonlinearity?: "tanh" | "relu";
}

export interface LSTMOptions extends RNNBaseOptions {
  /** Project each hidden state to this size with weight_hr (default 0: no projection). */
  projSize?: number;
}

export type GRUOptions = RNNBaseOptions;

const BASE_OPTIONS = { numLayers: 1, bias: 1, batchFirst: 1, dropout: 1, bidirectional: 1 } as const;
const RNN_OPTIONS = optionNames<RNNOptions>({ ...BASE_OPTIONS, nonlinearity: 1 });
const LSTM_OPTIONS = optionNames<LSTMOptions>({ ...BASE_OPTIONS, projSize: 1 });
const GRU_OPTIONS = optionNames<GRUOptions>(BASE_OPTIONS);
/** Keras' spellings of the same settings. */
const RECURRENT_ADVICE: Readonly<Record<string, string>> = {
  units: "hiddenSize (the second argument)", return_sequences: "the output (every step) and hN (the last) are both returned",
  use_bias: "bias", useBias: "bias", activation: "nonlinearity (RNN only)", recurrent_dropout: "dropout (between layers)",
};

/** The shared machinery of RNN, LSTM and GRU; `cell` picks the recurrence. */
export abstract class RNNBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** LSTM's projection size (0: none); the hidden state has this size when set. */
  readonly projSize: number;
  readonly cell: RecurrentCell;

  protected constructor(layer: string, cell: RecurrentCell, inputSize: number, hiddenSize: number, opts: RNNBaseOptions & { projSize?: number }) {
    super();
    this.cell = cell;
    this.inputSize = checkInt(layer, "inputSize", inputSize);
    this.hiddenSize = checkInt(layer, "hiddenSize", hiddenSize);
    this.numLayers = checkInt(layer, "numLayers", opts.numLayers ?? 1);
    this.bias = checkBool(layer, "bias", opts.bias ?? true);
    this.batchFirst = checkBool(layer, "batchFirst", opts.batchFirst ?? false);
    this.dropout = checkProbability(layer, "dropout", opts.dropout ?? 0);
    this.bidirectional = checkBool(layer, "bidirectional", opts.bidirectional ?? false);
    this.projSize = checkInt(layer, "projSize", opts.projSize ?? 0, 0);
    if (this.projSize >= this.hiddenSize && this.projSize > 0) {
      throw new RangeError(`${layer}: projSize must be smaller than hiddenSize (${this.hiddenSize}), got ${this.projSize}`);
    }
    const G = GATES[cell], H = this.hiddenSize, P = this.stateSize;
    // torch's registration order (its _flat_weights_names): per layer, per direction.
    for (let l = 0; l < this.numLayers; l++) {
      const layerIn = l === 0 ? inputSize : P * this.directions;
      for (let d = 0; d < this.directions; d++) {
        const sfx = `_l${l}${d === 1 ? "_reverse" : ""}`;
        this.addParameter(`weight_ih${sfx}`, [G * H, layerIn]);
        this.addParameter(`weight_hh${sfx}`, [G * H, P]);
        if (this.bias) {
          this.addParameter(`bias_ih${sfx}`, [G * H]);
          this.addParameter(`bias_hh${sfx}`, [G * H]);
        }
        if (this.projSize > 0) this.addParameter(`weight_hr${sfx}`, [this.projSize, H]);
      }
    }
    this.resetParameters();
  }

  private addParameter(name: string, shape: number[]): void {
    (this as unknown as Record<string, Parameter>)[name] = new Parameter(emptyTensor(shape));
  }

  /** 2 when bidirectional, else 1. */
  get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** Size of h: projSize when set, else hiddenSize. */
  get stateSize(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  /** torch's default: every parameter from U(−1/√hiddenSize, 1/√hiddenSize). */
  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters({ recurse: false })) init.uniform(p, -bound, bound);
  }

  /** Layer l's parameters in one direction (0 forward, 1 reverse). */
  weightsOf(l: number, d: number): RecurrentWeights {
    const sfx = `_l${l}${d === 1 ? "_reverse" : ""}`;
    const own = this as unknown as Record<string, Parameter | undefined>;
    return {
      weightIh: own[`weight_ih${sfx}`]!, weightHh: own[`weight_hh${sfx}`]!,
      biasIh: own[`bias_ih${sfx}`] ?? null, biasHh: own[`bias_hh${sfx}`] ?? null, weightHr: own[`weight_hr${sfx}`] ?? null,
    };
  }

  /** A no-op kept for torch code that calls it (torch compacts cuDNN's weights). */
  flattenParameters(): void {}

  /**
   * The stack over a checked input: returns the output (packed data, or [T, N, D·P]) and the final
   * states [L·D, N, P] (and [L·D, N, H] for LSTM).
   */
  protected run(x: Tensor | PackedSequence, h0: unknown, c0: unknown): [Tensor | PackedSequence, Tensor, Tensor | null] {
    const seq = this.sequenceOf(x);
    const { data, batchSizes, N } = seq;
    const L = this.numLayers, D = this.directions, P = this.stateSize, H = this.hiddenSize;
    const lstm = this.cell === "lstm";
    let h = this.initialState("h0", h0, seq, P);
    let c = lstm ? this.initialState("c0", c0, seq, H) : null;
    if (seq.packed?.sortedIndices) {
      // The state's rows follow the caller's batch order; the packed rows are sorted by length.
      h = indexSelect(h, 1, seq.packed.sortedIndices);
      if (c) c = indexSelect(c, 1, seq.packed.sortedIndices);
    }
    let input = data;
    const hN: Tensor[] = [], cN: Tensor[] = [];
    for (let l = 0; l < L; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const k = l * D + d;
        const r = recurrentSequence(this.cell, input, batchSizes, this.weightsOf(l, d), stateRow(h, k), c ? stateRow(c, k) : null, d === 1);
        outs.push(r.output);
        hN.push(r.hN);
        if (r.cN) cN.push(r.cN);
      }
      input = D === 1 ? outs[0] : cat(outs, 1);
      if (l < L - 1 && this.dropout > 0 && this.training) input = dropoutOp(input, this.dropout, true);
    }
    let hOut = stack(hN, 0), cOut = lstm ? stack(cN, 0) : null;
    if (seq.packed) {
      if (seq.packed.unsortedIndices) {
        hOut = indexSelect(hOut, 1, seq.packed.unsortedIndices);
        if (cOut) cOut = indexSelect(cOut, 1, seq.packed.unsortedIndices);
      }
      const p = seq.packed;
      return [new PackedSequence(input, p.batchSizes, p.sortedIndices, p.unsortedIndices), hOut, cOut];
    }
    let out = reshape(input, [batchSizes.length, N, D * P]);
    if (seq.unbatched) {
      out = squeeze(out, 1);
      hOut = squeeze(hOut, 1);
      if (cOut) cOut = squeeze(cOut, 1);
    } else if (this.batchFirst) out = transpose(out, 0, 1);
    return [out, hOut, cOut];
  }

  /** The input in the packed layout: rows of each step, batchSizes and the batch size. */
  private sequenceOf(x: unknown): { data: Tensor; batchSizes: readonly number[]; N: number; unbatched: boolean; packed: PackedSequence | null } {
    if (x instanceof PackedSequence) {
      const data = x.data;
      if (!(data instanceof Tensor) || data.ndim !== 2 || data.shape[1] !== this.inputSize) {
        const shape = data instanceof Tensor ? formatShape(data.shape) : String(data);
        throw this.layerError(`expected a PackedSequence whose data is [rows, ${this.inputSize}] (inputSize ${this.inputSize}), got data of shape ${shape}`);
      }
      const bs = x.batchSizes;
      const total = Array.isArray(bs) ? bs.reduce((a, b) => a + b, 0) : NaN;
      if (!Array.isArray(bs) || bs.length === 0 || total !== data.shape[0] || bs.some((b, t) => !Number.isInteger(b) || b < 1 || (t > 0 && b > bs[t - 1]))) {
        throw this.layerError(`the PackedSequence's batchSizes ${JSON.stringify(bs)} must be non-increasing positive integers adding up to its ${data.shape[0]} data rows`);
      }
      this.checkDType(data);
      return { data, batchSizes: bs, N: bs[0], unbatched: false, packed: x };
    }
    if (!(x instanceof Tensor)) {
      throw this.layerError(`expected a Tensor or a PackedSequence input, got ${x === null ? "null" : Array.isArray(x) ? "an array (wrap it with nb.tensor)" : typeof x}`, "type");
    }
    const layout = this.batchFirst ? "[N, T, inputSize]" : "[T, N, inputSize]";
    if (x.ndim !== 2 && x.ndim !== 3) {
      throw this.layerError(`expected a 3D input ${layout} or a 2D unbatched input [T, inputSize], got shape ${formatShape(x.shape)}`);
    }
    if (x.shape[x.ndim - 1] !== this.inputSize) {
      throw this.layerError(`expected input with ${this.inputSize} features (inputSize, last dim), got ${x.shape[x.ndim - 1]} in shape ${formatShape(x.shape)}`);
    }
    this.checkDType(x);
    const unbatched = x.ndim === 2;
    const steps = unbatched ? unsqueeze(x, 1) : this.batchFirst ? transpose(x, 0, 1) : x;
    const [T, N] = steps.shape;
    if (T === 0 || N === 0) throw this.layerError(`expected at least one step and one sequence, got input of shape ${formatShape(x.shape)}`);
    return { data: reshape(steps, [T * N, this.inputSize]), batchSizes: new Array<number>(T).fill(N), N, unbatched, packed: null };
  }

  private checkDType(x: Tensor): void {
    const w = this.weightsOf(0, 0).weightIh;
    if (x.dtype !== w.dtype) {
      throw this.layerError(`input is ${x.dtype} but the parameters are ${w.dtype}; cast one to the other`, "type");
    }
  }

  /** h0/c0 as [L·D, N, size] (zeros when not given), after checking the given one's shape. */
  private initialState(name: string, given: unknown, seq: { N: number; unbatched: boolean; data: Tensor }, size: number): Tensor {
    const rows = this.numLayers * this.directions;
    const want = seq.unbatched ? [rows, size] : [rows, seq.N, size];
    if (given === undefined || given === null) return zeros([rows, seq.N, size], { dtype: seq.data.dtype, device: seq.data.device });
    if (!(given instanceof Tensor)) throw this.layerError(`${name} must be a Tensor, got ${Array.isArray(given) ? "an array" : typeof given}`, "type");
    if (given.ndim !== want.length || given.shape.some((s, i) => s !== want[i])) {
      const what = seq.unbatched ? "[numLayers·directions, size] for an unbatched input" : "[numLayers·directions, batch, size]";
      throw this.layerError(`expected ${name} of shape ${formatShape(want)} (${what}), got ${formatShape(given.shape)}`);
    }
    if (given.dtype !== seq.data.dtype) throw this.layerError(`${name} is ${given.dtype} but the input is ${seq.data.dtype}`, "type");
    return seq.unbatched ? unsqueeze(given, 1) : given;
  }

  override extraRepr(): string {
    const parts = [`${this.inputSize}`, `${this.hiddenSize}`];
    if (this.projSize > 0) parts.push(`projSize=${this.projSize}`);
    if (this.numLayers !== 1) parts.push(`numLayers=${this.numLayers}`);
    if (this.cell === "rnnRelu") parts.push(`nonlinearity="relu"`);
    if (!this.bias) parts.push("bias=false");
    if (this.batchFirst) parts.push("batchFirst=true");
    if (this.dropout) parts.push(`dropout=${this.dropout}`);
    if (this.bidirectional) parts.push("bidirectional=true");
    return parts.join(", ");
  }
}

/** Row k of an initial state [L·D, N, size] as [N, size]. */
function stateRow(s: Tensor, k: number): Tensor {
  return squeeze(narrow(s, 0, k, 1), 0);
}

/** Elman RNN: h_t = tanh|relu(W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh). forward(x, h0?) → [output, hN]. */
export class RNN extends RNNBase {
  readonly nonlinearity: "tanh" | "relu";
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    checkOptions("RNN", opts, RNN_OPTIONS, RECURRENT_ADVICE);
    const nonlinearity = checkChoice("RNN", "nonlinearity", opts.nonlinearity ?? "tanh", ["tanh", "relu"] as const);
    super("RNN", nonlinearity === "relu" ? "rnnRelu" : "rnnTanh", inputSize, hiddenSize, opts);
    this.nonlinearity = nonlinearity;
  }
  forward(x: Tensor, h0?: Tensor | null): [Tensor, Tensor];
  forward(x: PackedSequence, h0?: Tensor | null): [PackedSequence, Tensor];
  forward(x: Tensor | PackedSequence, h0?: Tensor | null): [Tensor | PackedSequence, Tensor] {
    const [out, hN] = this.run(x, h0, null);
    return [out, hN];
  }
}

/**
 * Long short-term memory (torch.nn.LSTM; gates i, f, g, o). forward(x, [h0, c0]?) →
 * [output, [hN, cN]]; with projSize, h = W_hr·(o ⊙ tanh c) has projSize units.
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: LSTMOptions = {}) {
    checkOptions("LSTM", opts, LSTM_OPTIONS, RECURRENT_ADVICE);
    super("LSTM", "lstm", inputSize, hiddenSize, opts);
  }
  forward(x: Tensor, state?: readonly [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]];
  forward(x: PackedSequence, state?: readonly [Tensor, Tensor] | null): [PackedSequence, [Tensor, Tensor]];
  forward(x: Tensor | PackedSequence, state?: readonly [Tensor, Tensor] | null): [Tensor | PackedSequence, [Tensor, Tensor]] {
    if (state !== undefined && state !== null && (!Array.isArray(state) || state.length !== 2)) {
      throw this.layerError(`the initial state must be a pair [h0, c0], got ${state instanceof Tensor ? `one tensor of shape ${formatShape(state.shape)}` : typeof state}`, "type");
    }
    const [out, hN, cN] = this.run(x, state?.[0], state?.[1]);
    return [out, [hN, cN!]];
  }
}

/** Gated recurrent unit (torch.nn.GRU; gates r, z, n). forward(x, h0?) → [output, hN]. */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: GRUOptions = {}) {
    checkOptions("GRU", opts, GRU_OPTIONS, RECURRENT_ADVICE);
    super("GRU", "gru", inputSize, hiddenSize, opts);
  }
  forward(x: Tensor, h0?: Tensor | null): [Tensor, Tensor];
  forward(x: PackedSequence, h0?: Tensor | null): [PackedSequence, Tensor];
  forward(x: Tensor | PackedSequence, h0?: Tensor | null): [Tensor | PackedSequence, Tensor] {
    const [out, hN] = this.run(x, h0, null);
    return [out, hN];
  }
}
