// LeNet-5 as LeCun, Bottou, Bengio & Haffner published it ("Gradient-Based Learning Applied to
// Document Recognition", Proc. IEEE 1998, section II.B), on 32x32 inputs:
//   C1  6@28x28, 5x5 convolution                               156 = 6·25 + 6
//   S2  6@14x14, 2x2 sum × trainable coefficient + bias         12 = 6 + 6
//   C3 16@10x10, 5x5 kernels on the paper's Table I subsets   1,516 = 60·25 + 16
//   S4 16@5x5,   like S2                                        32 = 16 + 16
//   C5 120,      5x5 convolution over all 16 maps           48,120 = 120·(400 + 1)
//   F6 84,       fully connected                            10,164 = 84·(120 + 1)
// — 60,000 trainable parameters, the paper's count, which stops below the output layer. Every
// layer up to F6 passes its weighted sum through the paper's squashing f(a) = 1.7159·tanh(2a/3).
//
// C3's partial connection table (Table I): maps 0–5 see 3 contiguous S2 maps, maps 6–11 see 4
// contiguous ones, maps 12–14 see 4 non-contiguous ones, map 15 sees all 6 — 60 kernels in all.
// They are stored as `c3.weight` [60, 5, 5], one kernel per connection, in the order the table
// is read column by column (output map, then input map); maps with the same number of inputs are
// computed together as one grouped convolution over the gathered input maps.
//
// The output layer is, by default, the paper's Euclidean RBF units: class i scores
// −Σⱼ (xⱼ − wᵢⱼ)², the negative squared distance of F6's 84 outputs to a ±1 code. The paper drew
// the codes as 7x12 bitmaps of the characters and kept them fixed; here they are random ±1 codes,
// a non-trainable parameter (840 elements, "non-trainable" in summaries). Cross entropy on these
// scores is the paper's training criterion with its extra "rubbish class" term dropped (j → ∞).
// `output: "linear"` puts a trainable Linear(84, classes) there instead (+850 parameters).
//
// Initialisation follows the paper: every weight and bias of a unit from U(−2.4/Fᵢ, 2.4/Fᵢ),
// Fᵢ the unit's number of inputs. 28x28 inputs (MNIST) are zero-padded to 32x32, as the paper
// centred its digits in a 32x32 field.

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { empty, tensor, rand } from "../tensor/creation.js";
import { add, gt, mul, neg, pow, sub, tanh, where } from "../ops/elementwise.js";
import { sum } from "../ops/reduce.js";
import { avgPool2d } from "../ops/pool.js";
import { conv2d } from "../ops/conv.js";
import { cat, indexSelect, pad } from "../ops/indexing.js";
import { narrow, reshape, unsqueeze } from "../ops/view.js";
import { noGrad } from "../autograd/grad-mode.js";
import * as init from "../nn/init.js";
import { Module } from "../nn/module.js";
import { Parameter } from "../nn/parameter.js";
import { Conv2d } from "../nn/conv.js";
import { Linear } from "../nn/linear.js";

/** The paper's squashing function f(a) = A·tanh(S·a) with A = 1.7159, S = 2/3 (so f(±1) = ±1). */
export class ScaledTanh extends Module {
  forward(x: Tensor): Tensor {
    return mul(tanh(mul(x, 2 / 3)), 1.7159);
  }
}

/** S2/S4: each map's 2x2 sums times a trainable coefficient, plus a trainable bias (stride 2). */
export class TrainableSubsampling extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly channels: number;

  constructor(channels: number) {
    super();
    this.weight = new Parameter(empty([channels]));
    this.bias = new Parameter(empty([channels]));
    this.channels = channels;
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.channels) {
      throw this.layerError(`expected input [N, ${this.channels}, H, W], got shape ${formatShape(x.shape)}`);
    }
    const sums = mul(avgPool2d(x, 2, { stride: 2 }), 4);
    const shape = [1, this.channels, 1, 1];
    return add(mul(sums, reshape(this.weight, shape)), reshape(this.bias, shape));
  }

  override extraRepr(): string {
    return `${this.channels}, kernelSize=2, stride=2`;
  }
}

/** LeNet-5's C3 table: for each of the 16 output maps, the S2 maps it sees (Table I of the paper). */
export const LENET5_C3_TABLE: readonly (readonly number[])[] = [
  [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [0, 4, 5], [0, 1, 5],
  [0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5], [0, 3, 4, 5], [0, 1, 4, 5], [0, 1, 2, 5],
  [0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5],
  [0, 1, 2, 3, 4, 5],
];

interface DegreeGroup {
  /** Output maps with this many inputs, in table order. */
  outputs: number[];
  /** Input maps to gather, output by output. */
  inputs: Tensor;
  /** Rows of the weight holding those outputs' kernels. */
  kernels: Tensor;
  degree: number;
}

/** A 5x5 (or k x k) convolution where output map j sees only the input maps table[j]. */
export class ConnectionTableConv2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly inChannels: number;
  readonly kernelSize: number;
  private readonly _table: number[][];
  private readonly _groups: DegreeGroup[];
  /** Where each output map sits in the concatenation of the groups' outputs. */
  private readonly _order: Tensor | null;

  constructor(inChannels: number, table: readonly (readonly number[])[], kernelSize: number) {
    super();
    table.forEach((ins, j) => {
      if (ins.length === 0 || ins.some((i) => !Number.isInteger(i) || i < 0 || i >= inChannels) || new Set(ins).size !== ins.length) {
        throw new RangeError(`ConnectionTableConv2d: output map ${j} must see distinct input maps in [0, ${inChannels}), got [${ins.join(", ")}]`);
      }
    });
    const connections = table.reduce((a, ins) => a + ins.length, 0);
    this.weight = new Parameter(empty([connections, kernelSize, kernelSize]));
    this.bias = new Parameter(empty([table.length]));
    this.inChannels = inChannels;
    this.kernelSize = kernelSize;
    this._table = table.map((ins) => [...ins]);
    const first: number[] = [];
    table.forEach((ins, j) => first.push(j === 0 ? 0 : first[j - 1] + table[j - 1].length));
    const degrees = [...new Set(table.map((ins) => ins.length))];
    this._groups = degrees.map((degree) => {
      const outputs = table.map((_, j) => j).filter((j) => table[j].length === degree);
      const index = (values: number[]) => tensor(values, { dtype: "int32" });
      return {
        outputs, degree,
        inputs: index(outputs.flatMap((j) => table[j])),
        kernels: index(outputs.flatMap((j) => table[j].map((_, k) => first[j] + k))),
      };
    });
    const concatOrder = this._groups.flatMap((g) => g.outputs);
    const position = table.map((_, j) => concatOrder.indexOf(j));
    this._order = position.every((p, j) => p === j) ? null : tensor(position, { dtype: "int32" });
  }

  /** The input maps output map j sees. */
  connections(j: number): readonly number[] {
    return this._table[j];
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.inChannels) {
      throw this.layerError(`expected input [N, ${this.inChannels}, H, W], got shape ${formatShape(x.shape)}`);
    }
    const k = this.kernelSize;
    const parts = this._groups.map((g) => {
      const gathered = indexSelect(x, 1, g.inputs);
      const w = reshape(indexSelect(this.weight, 0, g.kernels), [g.outputs.length, g.degree, k, k]);
      return conv2d(gathered, w, null, { groups: g.outputs.length });
    });
    let out = parts.length === 1 ? parts[0] : cat(parts, 1);
    if (this._order) out = indexSelect(out, 1, this._order);
    return add(out, reshape(this.bias, [1, this._table.length, 1, 1]));
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this._table.length}, kernelSize=${this.kernelSize}, connections=${this.weight.shape[0]}`;
  }
}

/** Euclidean RBF output units: score_i = −Σⱼ (xⱼ − wᵢⱼ)², with fixed ±1 codes w (not trained). */
export class RBFOutput extends Module {
  readonly weight: Parameter;
  readonly inFeatures: number;
  readonly numClasses: number;

  constructor(inFeatures: number, numClasses: number) {
    super();
    this.inFeatures = inFeatures;
    this.numClasses = numClasses;
    this.weight = new Parameter(empty([numClasses, inFeatures]), false);
    this.resetCodes();
  }

  /** Draw new ±1 codes (each component +1 or −1 with probability 1/2). */
  resetCodes(): void {
    noGrad(() => {
      const u = rand([this.numClasses, this.inFeatures]);
      const codes = where(gt(u, 0.5), 1, -1);
      this.weight.copy_(codes);
      u.dispose();
      codes.dispose();
    });
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 2 || x.shape[1] !== this.inFeatures) {
      throw this.layerError(`expected input [N, ${this.inFeatures}], got shape ${formatShape(x.shape)}`);
    }
    const diff = sub(unsqueeze(x, 1), unsqueeze(this.weight, 0));
    return neg(sum(pow(diff, 2), -1));
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, numClasses=${this.numClasses}, trainable=false`;
  }
}

export interface LeNet5OriginalOptions {
  numClasses?: number;
  inChannels?: number;
  /** "rbf" (default, the paper's fixed Euclidean RBF units) or a trainable "linear" layer. */
  output?: "rbf" | "linear";
}

export const LENET5_ORIGINAL_OPTIONS = optionNames<LeNet5OriginalOptions>({ numClasses: 1, inChannels: 1, output: 1 });

export class LeNet5Original extends Module {
  readonly c1: Conv2d;
  readonly s2: TrainableSubsampling;
  readonly c3: ConnectionTableConv2d;
  readonly s4: TrainableSubsampling;
  readonly c5: Conv2d;
  readonly f6: Linear;
  readonly output: RBFOutput | Linear;
  /** The squashing function, applied after every layer up to F6. */
  readonly act: ScaledTanh;

  constructor(opts: LeNet5OriginalOptions = {}) {
    super();
    checkOptions("LeNet5Original", opts, LENET5_ORIGINAL_OPTIONS);
    const numClasses = opts.numClasses ?? 10;
    const output = opts.output ?? "rbf";
    if (output !== "rbf" && output !== "linear") throw new RangeError(`lenet5: output must be "rbf" or "linear", got ${JSON.stringify(output)}`);
    this.c1 = new Conv2d(opts.inChannels ?? 1, 6, 5);
    this.s2 = new TrainableSubsampling(6);
    this.c3 = new ConnectionTableConv2d(6, LENET5_C3_TABLE, 5);
    this.s4 = new TrainableSubsampling(16);
    this.c5 = new Conv2d(16, 120, 5);
    this.f6 = new Linear(120, 84);
    this.output = output === "rbf" ? new RBFOutput(84, numClasses) : new Linear(84, numClasses);
    this.act = new ScaledTanh();
    this.resetParameters();
  }

  /** The paper's initialisation: U(−2.4/Fᵢ, 2.4/Fᵢ) for each unit's weights and bias, Fᵢ its fan-in. */
  resetParameters(): void {
    const fill = (t: Tensor, fanIn: number) => init.uniform(t, -2.4 / fanIn, 2.4 / fanIn);
    for (const layer of [this.c1, this.c5, this.f6, ...(this.output instanceof Linear ? [this.output] : [])]) {
      const fanIn = layer.weight.numel() / layer.weight.shape[0];
      fill(layer.weight, fanIn);
      if (layer.bias) fill(layer.bias, fanIn);
    }
    for (const s of [this.s2, this.s4]) {
      fill(s.weight, 4);
      fill(s.bias, 4);
    }
    // C3: each map's kernels and bias by that map's own fan-in (25 × its number of inputs).
    noGrad(() => {
      const k2 = this.c3.kernelSize ** 2;
      let row = 0;
      LENET5_C3_TABLE.forEach((ins, j) => {
        const bound = 2.4 / (k2 * ins.length);
        init.uniform(narrow(this.c3.weight, 0, row, ins.length), -bound, bound);
        init.uniform(narrow(this.c3.bias, 0, j, 1), -bound, bound);
        row += ins.length;
      });
    });
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.c1.inChannels || !((x.shape[2] === 32 && x.shape[3] === 32) || (x.shape[2] === 28 && x.shape[3] === 28))) {
      throw this.layerError(`expected input [N, ${this.c1.inChannels}, 32, 32] (or 28x28, padded to 32x32 as the paper does), got shape ${formatShape(x.shape)}`);
    }
    const f = (t: Tensor) => this.act.forward(t);
    let h = x.shape[2] === 28 ? pad(x, [2, 2, 2, 2]) : x;
    h = f(this.s2.forward(f(this.c1.forward(h))));
    h = f(this.s4.forward(f(this.c3.forward(h))));
    h = f(this.c5.forward(h));
    h = f(this.f6.forward(reshape(h, [h.shape[0], 120])));
    return this.output.forward(h);
  }
}

export const lenet5Original = (opts: LeNet5OriginalOptions = {}): LeNet5Original => new LeNet5Original(opts);
