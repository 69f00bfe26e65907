// Activation layers: the nonlinearities of the course's tables as modules (torch.nn.ReLU, ...).
// Most are stateless wrappers over elementwise ops; PReLU learns its slope, RReLU draws one per
// element while training, and Maxout learns a linear map whose pieces it maximises over.

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { rand, full, empty as emptyTensor } from "../tensor/creation.js";
import type { Generator } from "../tensor/random.js";
import {
  add, atan, binaryStep, div, elu, gelu, gt, hardtanh, le, leakyRelu, mul, relu, selu, sigmoid, softplus as softplusOp,
  softsign, tanh, where,
} from "../ops/elementwise.js";
import { max } from "../ops/reduce.js";
import { reshape } from "../ops/view.js";
import { logSoftmax, softmax } from "../ops/softmax.js";
import { linear } from "../ops/linalg.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { checkBool, checkChoice, checkInt, checkMinRank, checkNumber, checkPositive } from "./checks.js";
import * as init from "./init.js";
import type { LinearOptions } from "./linear.js";
import { traceable } from "../graph/recorder.js";

function asInput(m: Module, x: unknown): Tensor {
  return checkMinRank(m, x, 0, "any shape");
}

// ---------------------------------------------------------------------------------------------
// functional forms that are compositions (re-exported by nn.functional)

/** x where x > 0, else weight·x; weight has one slope, or one per channel (dim 1). */
export const prelu = traceable("prelu", function prelu(x: Tensor, weight: Tensor): Tensor {
  const n = weight.numel();
  let w: Tensor;
  if (n === 1) w = reshape(weight, []);
  else {
    const channels = x.ndim >= 2 ? x.shape[1] : 1;
    if (channels !== n) {
      throw new RangeError(`prelu: the weight has ${n} slopes but the input has ${channels} channels (dim 1 of shape ${formatShape(x.shape)})`);
    }
    w = reshape(weight, [n, ...new Array<number>(x.ndim - 2).fill(1)]);
  }
  return where(gt(x, 0), x, mul(w, x));
});

export interface RReluOptions {
  lower?: number;
  upper?: number;
  training?: boolean;
  generator?: Generator;
}

/**
 * Randomized leaky ReLU: while training each non-positive element gets its own slope drawn from
 * U(lower, upper) (and its gradient uses that slope); otherwise the slope is (lower + upper) / 2.
 */
export function rrelu(x: Tensor, opts: RReluOptions = {}): Tensor {
  const lower = opts.lower ?? 1 / 8, upper = opts.upper ?? 1 / 3;
  if (!opts.training) return leakyRelu(x, (lower + upper) / 2);
  const u = rand(x.shape, { dtype: x.dtype === "float64" ? "float64" : "float32", device: x.device, generator: opts.generator });
  const slopes = add(mul(u, upper - lower), lower);
  const noise = where(le(x, 0), slopes, 1);
  u.dispose();
  slopes.dispose();
  return mul(x, noise);
}

/** softplus with torch's beta and threshold: log(1 + exp(beta·x)) / beta, linear above the threshold. */
export const softplus = traceable("softplus", function softplus(x: Tensor, opts: { beta?: number; threshold?: number } = {}): Tensor {
  const beta = opts.beta ?? 1, threshold = opts.threshold ?? 20;
  if (beta === 1 && threshold === 20) return softplusOp(x);
  const bx = mul(x, beta);
  const smooth = beta === 1 ? softplusOp(bx) : div(softplusOp(bx), beta);
  return where(gt(bx, threshold), x, smooth);
});

/** Maxout: the maximum over `pieces` consecutive units of a linear map's output (last dim). */
export function maxout(x: Tensor, weight: Tensor, bias: Tensor | null, pieces: number): Tensor {
  const z = linear(x, weight, bias);
  const units = z.shape[z.ndim - 1] / pieces;
  return max(reshape(z, [...z.shape.slice(0, -1), units, pieces]), -1);
}

// ---------------------------------------------------------------------------------------------
// stateless activations

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(asInput(this, x));
  }
}

export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  constructor(negativeSlope = 0.01) {
    super();
    this.negativeSlope = checkNumber("LeakyReLU", "negativeSlope", negativeSlope);
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(asInput(this, x), this.negativeSlope);
  }
  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

export class ELU extends Module {
  readonly alpha: number;
  constructor(alpha = 1) {
    super();
    this.alpha = checkNumber("ELU", "alpha", alpha);
  }
  forward(x: Tensor): Tensor {
    return elu(asInput(this, x), this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

export class SELU extends Module {
  forward(x: Tensor): Tensor {
    return selu(asInput(this, x));
  }
}

export interface GELUOptions {
  /** "tanh": the tanh approximation; default "none" (the exact erf form). */
  approximate?: "none" | "tanh";
}
const GELU_OPTIONS = optionNames<GELUOptions>({ approximate: 1 });

export class GELU extends Module {
  readonly approximate: "none" | "tanh";
  constructor(opts: GELUOptions = {}) {
    super();
    checkOptions("GELU", opts, GELU_OPTIONS);
    this.approximate = checkChoice("GELU", "approximate", opts.approximate ?? "none", ["none", "tanh"] as const);
  }
  forward(x: Tensor): Tensor {
    return gelu(asInput(this, x), { approximate: this.approximate });
  }
  override extraRepr(): string {
    return `approximate=${JSON.stringify(this.approximate)}`;
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(asInput(this, x));
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(asInput(this, x));
  }
}

export interface SoftplusOptions {
  /** Default 1. */
  beta?: number;
  /** Above beta·x > threshold the layer is linear (default 20). */
  threshold?: number;
}
const SOFTPLUS_OPTIONS = optionNames<SoftplusOptions>({ beta: 1, threshold: 1 });

export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;
  constructor(opts: SoftplusOptions = {}) {
    super();
    checkOptions("Softplus", opts, SOFTPLUS_OPTIONS);
    this.beta = checkPositive("Softplus", "beta", opts.beta ?? 1);
    this.threshold = checkNumber("Softplus", "threshold", opts.threshold ?? 20);
  }
  forward(x: Tensor): Tensor {
    return softplus(asInput(this, x), { beta: this.beta, threshold: this.threshold });
  }
  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

export class Softsign extends Module {
  forward(x: Tensor): Tensor {
    return softsign(asInput(this, x));
  }
}

/** arctan(x), the course's "ArcTan" activation (outputs in (−π/2, π/2)). */
export class Atan extends Module {
  forward(x: Tensor): Tensor {
    return atan(asInput(this, x));
  }
}

/** Heaviside step: 1 where x > threshold, else 0. Its gradient is zero everywhere. */
export class BinaryStep extends Module {
  readonly threshold: number;
  constructor(threshold = 0) {
    super();
    this.threshold = checkNumber("BinaryStep", "threshold", threshold);
  }
  forward(x: Tensor): Tensor {
    return binaryStep(asInput(this, x), this.threshold);
  }
  override extraRepr(): string {
    return this.threshold === 0 ? "" : `threshold=${this.threshold}`;
  }
}

export class Hardtanh extends Module {
  readonly minVal: number;
  readonly maxVal: number;
  constructor(minVal = -1, maxVal = 1) {
    super();
    this.minVal = checkNumber("Hardtanh", "minVal", minVal);
    this.maxVal = checkNumber("Hardtanh", "maxVal", maxVal);
    if (this.maxVal <= this.minVal) throw new RangeError(`Hardtanh: maxVal must be greater than minVal, got minVal=${minVal}, maxVal=${maxVal}`);
  }
  forward(x: Tensor): Tensor {
    return hardtanh(asInput(this, x), this.minVal, this.maxVal);
  }
  override extraRepr(): string {
    return `minVal=${this.minVal}, maxVal=${this.maxVal}`;
  }
}

/** Passes its input through unchanged (a placeholder layer, as torch.nn.Identity). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

function checkSoftmaxDim(m: Module, x: Tensor, dim: number): void {
  if (dim < -Math.max(x.ndim, 1) || dim >= Math.max(x.ndim, 1)) {
    throw m.layerError(`dim ${dim} is out of range for an input of shape ${formatShape(x.shape)}`);
  }
}

/** Softmax along `dim` (the last dim when omitted, as Keras; torch's implicit choice is deprecated). */
export class Softmax extends Module {
  readonly dim: number;
  constructor(dim = -1) {
    super();
    this.dim = checkInt("Softmax", "dim", dim, -Infinity);
  }
  forward(x: Tensor): Tensor {
    checkSoftmaxDim(this, asInput(this, x), this.dim);
    return softmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class LogSoftmax extends Module {
  readonly dim: number;
  constructor(dim = -1) {
    super();
    this.dim = checkInt("LogSoftmax", "dim", dim, -Infinity);
  }
  forward(x: Tensor): Tensor {
    checkSoftmaxDim(this, asInput(this, x), this.dim);
    return logSoftmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

// ---------------------------------------------------------------------------------------------
// activations with state

/** Parametric ReLU: a learned slope for negative inputs, shared or one per channel (dim 1). */
export class PReLU extends Module {
  readonly weight: Parameter;
  readonly numParameters: number;
  constructor(numParameters = 1, init = 0.25) {
    super();
    checkInt("PReLU", "numParameters", numParameters);
    checkNumber("PReLU", "init", init);
    this.weight = new Parameter(full([numParameters], init));
    this.numParameters = numParameters;
  }
  forward(x: Tensor): Tensor {
    asInput(this, x);
    if (this.numParameters > 1) {
      if (x.ndim < 2) throw this.layerError(`expected an input with a channel dim (dim 1) of size ${this.numParameters}, got shape ${formatShape(x.shape)}`);
      if (x.shape[1] !== this.numParameters) {
        throw this.layerError(`expected input with ${this.numParameters} channels (dim 1), got ${x.shape[1]} in shape ${formatShape(x.shape)}`);
      }
    }
    return prelu(x, this.weight);
  }
  override extraRepr(): string {
    return `numParameters=${this.numParameters}`;
  }
}

/** Randomized leaky ReLU: a random slope in [lower, upper] per element in training, their mean in eval. */
export class RReLU extends Module {
  readonly lower: number;
  readonly upper: number;
  constructor(lower = 1 / 8, upper = 1 / 3) {
    super();
    this.lower = checkNumber("RReLU", "lower", lower);
    this.upper = checkNumber("RReLU", "upper", upper);
    if (upper < lower) throw new RangeError(`RReLU: lower must not exceed upper, got lower=${lower}, upper=${upper}`);
  }
  forward(x: Tensor): Tensor {
    return rrelu(asInput(this, x), { lower: this.lower, upper: this.upper, training: this.training });
  }
  override extraRepr(): string {
    return `lower=${this.lower}, upper=${this.upper}`;
  }
}

const MAXOUT_OPTIONS = optionNames<LinearOptions>({ bias: 1 });

/**
 * Maxout (Goodfellow et al.): a linear map to outFeatures·pieces units, then the maximum over each
 * group of `pieces` consecutive units. The gradient flows to the unit that won.
 */
export class Maxout extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly pieces: number;
  constructor(inFeatures: number, outFeatures: number, pieces: number, opts: LinearOptions = {}) {
    super();
    checkOptions("Maxout", opts, MAXOUT_OPTIONS, { use_bias: "bias", useBias: "bias" });
    checkInt("Maxout", "inFeatures", inFeatures);
    checkInt("Maxout", "outFeatures", outFeatures);
    checkInt("Maxout", "pieces", pieces);
    const hasBias = checkBool("Maxout", "bias", opts.bias ?? true);
    this.weight = new Parameter(emptyTensor([outFeatures * pieces, inFeatures]));
    this.bias = hasBias ? new Parameter(emptyTensor([outFeatures * pieces])) : null;
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.pieces = pieces;
    this.resetParameters();
  }
  /** torch.nn.Linear's default: kaiming-uniform with a = √5, bias from U(−1/√fanIn, 1/√fanIn). */
  resetParameters(): void {
    init.defaultLayerInit(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    checkMinRank(this, x, 1, "[..., inFeatures]");
    if (x.shape[x.ndim - 1] !== this.inFeatures) {
      throw this.layerError(`expected input with ${this.inFeatures} features (last dim), got ${x.shape[x.ndim - 1]} in shape ${formatShape(x.shape)}`);
    }
    return maxout(x, this.weight, this.bias, this.pieces);
  }
  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, pieces=${this.pieces}${this.bias ? "" : ", bias=false"}`;
  }
}
