// One step of a recurrence as a layer (torch.nn.RNNCell, LSTMCell, GRUCell), for loops written by
// hand: decoders, teacher forcing. Parameters weight_ih, weight_hh, bias_ih, bias_hh as torch's
// (gates in torch's order), initialised from U(−1/√hidden, 1/√hidden). Inputs are [N, in] or
// unbatched [in]; the state defaults to zeros.

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { zeros, empty as emptyTensor } from "../tensor/creation.js";
import { GATES, gruCell, lstmCell, rnnCell, type RecurrentCell, type RecurrentWeights } from "../ops/recurrent.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { checkBool, checkChoice, checkInt } from "./checks.js";
import * as init from "./init.js";

export interface RNNCellOptions {
  /** Learn b_ih and b_hh (default true). */
  bias?: boolean;
  nonlinearity?: "tanh" | "relu";
}
export interface LSTMCellOptions {
  bias?: boolean;
}
export type GRUCellOptions = LSTMCellOptions;

const RNN_CELL_OPTIONS = optionNames<RNNCellOptions>({ bias: 1, nonlinearity: 1 });
const CELL_OPTIONS = optionNames<LSTMCellOptions>({ bias: 1 });

/** What the three cells share: parameters and the checks of x and the state. */
export abstract class RNNCellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  readonly weight_ih: Parameter;
  readonly weight_hh: Parameter;
  readonly bias_ih: Parameter | null;
  readonly bias_hh: Parameter | null;

  protected constructor(layer: string, cell: RecurrentCell, inputSize: number, hiddenSize: number, bias: unknown) {
    super();
    this.inputSize = checkInt(layer, "inputSize", inputSize);
    this.hiddenSize = checkInt(layer, "hiddenSize", hiddenSize);
    this.bias = checkBool(layer, "bias", bias ?? true);
    const G = GATES[cell];
    this.weight_ih = new Parameter(emptyTensor([G * hiddenSize, inputSize]));
    this.weight_hh = new Parameter(emptyTensor([G * hiddenSize, hiddenSize]));
    this.bias_ih = this.bias ? new Parameter(emptyTensor([G * hiddenSize])) : null;
    this.bias_hh = this.bias ? new Parameter(emptyTensor([G * hiddenSize])) : null;
    this.resetParameters();
  }

  /** torch's default: every parameter from U(−1/√hiddenSize, 1/√hiddenSize). */
  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) init.uniform(p, -bound, bound);
  }

  protected get weights(): RecurrentWeights {
    return { weightIh: this.weight_ih, weightHh: this.weight_hh, biasIh: this.bias_ih, biasHh: this.bias_hh };
  }

  /** x must be [N, inputSize] or [inputSize]. */
  protected checkInput(x: unknown): Tensor {
    if (!(x instanceof Tensor)) {
      throw this.layerError(`expected a Tensor input, got ${x === null ? "null" : Array.isArray(x) ? "an array (wrap it with nb.tensor)" : typeof x}`, "type");
    }
    if (x.ndim !== 1 && x.ndim !== 2) throw this.layerError(`expected a 2D input [N, inputSize] or a 1D unbatched input [inputSize], got shape ${formatShape(x.shape)}`);
    if (x.shape[x.ndim - 1] !== this.inputSize) {
      throw this.layerError(`expected input with ${this.inputSize} features (inputSize, last dim), got ${x.shape[x.ndim - 1]} in shape ${formatShape(x.shape)}`);
    }
    if (x.dtype !== this.weight_ih.dtype) throw this.layerError(`input is ${x.dtype} but the parameters are ${this.weight_ih.dtype}; cast one to the other`, "type");
    return x;
  }

  /** A state (h or c) shaped like the batch: the given one after checking it, else zeros. */
  protected state(name: string, given: unknown, x: Tensor): Tensor {
    const want = x.ndim === 1 ? [this.hiddenSize] : [x.shape[0], this.hiddenSize];
    if (given === undefined || given === null) return zeros(want, { dtype: x.dtype, device: x.device });
    if (!(given instanceof Tensor)) throw this.layerError(`${name} must be a Tensor, got ${Array.isArray(given) ? "an array" : typeof given}`, "type");
    if (given.ndim !== want.length || given.shape.some((s, i) => s !== want[i])) {
      throw this.layerError(`expected ${name} of shape ${formatShape(want)} for input of shape ${formatShape(x.shape)}, got ${formatShape(given.shape)}`);
    }
    return given;
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? "" : ", bias=false"}`;
  }
}

/** h' = tanh|relu(W_ih·x + b_ih + W_hh·h + b_hh). forward(x, h?) → h'. */
export class RNNCell extends RNNCellBase {
  readonly nonlinearity: "tanh" | "relu";
  constructor(inputSize: number, hiddenSize: number, opts: RNNCellOptions = {}) {
    checkOptions("RNNCell", opts, RNN_CELL_OPTIONS);
    const nonlinearity = checkChoice("RNNCell", "nonlinearity", opts.nonlinearity ?? "tanh", ["tanh", "relu"] as const);
    super("RNNCell", nonlinearity === "relu" ? "rnnRelu" : "rnnTanh", inputSize, hiddenSize, opts.bias);
    this.nonlinearity = nonlinearity;
  }
  forward(x: Tensor, h?: Tensor | null): Tensor {
    const input = this.checkInput(x);
    return rnnCell(input, this.state("h", h, input), this.weights, this.nonlinearity);
  }
}

/** One LSTM step (gates i, f, g, o). forward(x, [h, c]?) → [h', c']. */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, opts: LSTMCellOptions = {}) {
    checkOptions("LSTMCell", opts, CELL_OPTIONS);
    super("LSTMCell", "lstm", inputSize, hiddenSize, opts.bias);
  }
  forward(x: Tensor, state?: readonly [Tensor, Tensor] | null): [Tensor, Tensor] {
    const input = this.checkInput(x);
    if (state !== undefined && state !== null && (!Array.isArray(state) || state.length !== 2)) {
      throw this.layerError(`the state must be a pair [h, c], got ${state instanceof Tensor ? `one tensor of shape ${formatShape(state.shape)}` : typeof state}`, "type");
    }
    return lstmCell(input, [this.state("h", state?.[0], input), this.state("c", state?.[1], input)], this.weights);
  }
}

/** One GRU step (gates r, z, n). forward(x, h?) → h'. */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, opts: GRUCellOptions = {}) {
    checkOptions("GRUCell", opts, CELL_OPTIONS);
    super("GRUCell", "gru", inputSize, hiddenSize, opts.bias);
  }
  forward(x: Tensor, h?: Tensor | null): Tensor {
    const input = this.checkInput(x);
    return gruCell(input, this.state("h", h, input), this.weights);
  }
}
