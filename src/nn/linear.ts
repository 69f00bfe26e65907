// Linear (fully connected, Keras' Dense) and the reshaping layers around it: Flatten, Unflatten.

import { Tensor } from "../tensor/tensor.js";
import { formatShape, numelOf } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { empty as emptyTensor } from "../tensor/creation.js";
import { flatten, unflatten } from "../ops/view.js";
import { linear } from "../ops/linalg.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { checkBool, checkInt, checkMinRank } from "./checks.js";
import * as init from "./init.js";

export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

const LINEAR_OPTIONS = optionNames<LinearOptions>({ bias: 1 });
/** Keras' spelling (Dense's use_bias). */
const LINEAR_ADVICE: Readonly<Record<string, string>> = { use_bias: "bias", useBias: "bias" };

/** y = x·Wᵀ + b over the last dim of x. weight is [outFeatures, inFeatures], as torch's. */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    checkOptions("Linear", opts, LINEAR_OPTIONS, LINEAR_ADVICE);
    checkInt("Linear", "inFeatures", inFeatures, 0);
    checkInt("Linear", "outFeatures", outFeatures, 0);
    const hasBias = checkBool("Linear", "bias", opts.bias ?? true);
    this.weight = new Parameter(emptyTensor([outFeatures, inFeatures]));
    this.bias = hasBias ? new Parameter(emptyTensor([outFeatures])) : null;
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.resetParameters();
  }

  /** torch's default: kaiming-uniform with a = √5 (U(−1/√fanIn, 1/√fanIn)), bias from the same range. */
  resetParameters(): void {
    init.defaultLayerInit(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    checkMinRank(this, x, 1, "[..., inFeatures]");
    const got = x.shape[x.ndim - 1];
    if (got !== this.inFeatures) {
      throw this.layerError(`expected input with ${this.inFeatures} features (last dim), got ${got} in shape ${formatShape(x.shape)}`);
    }
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** Flatten dims startDim..endDim into one (by default every dim but the batch dim). */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;
  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = checkInt("Flatten", "startDim", startDim, -Infinity);
    this.endDim = checkInt("Flatten", "endDim", endDim, -Infinity);
  }
  forward(x: Tensor): Tensor {
    checkMinRank(this, x, 0, "any shape");
    const n = Math.max(x.ndim, 1);
    const s = this.startDim < 0 ? this.startDim + n : this.startDim;
    const e = this.endDim < 0 ? this.endDim + n : this.endDim;
    if (s < 0 || s >= n || e < 0 || e >= n) {
      throw this.layerError(`startDim ${this.startDim} and endDim ${this.endDim} must be dims of the input, got shape ${formatShape(x.shape)} (${x.ndim}D)`);
    }
    if (s > e) throw this.layerError(`startDim ${this.startDim} comes after endDim ${this.endDim} for an input of shape ${formatShape(x.shape)}`);
    return flatten(x, this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/** Split one dim into several: Unflatten(1, [C, H, W]) turns [N, C·H·W] into [N, C, H, W]. */
export class Unflatten extends Module {
  readonly dim: number;
  readonly unflattenedSize: number[];
  constructor(dim: number, unflattenedSize: readonly number[]) {
    super();
    this.dim = checkInt("Unflatten", "dim", dim, -Infinity);
    if (!Array.isArray(unflattenedSize) || unflattenedSize.length === 0 ||
      unflattenedSize.some((s) => !Number.isInteger(s) || (s < 0 && s !== -1)) || unflattenedSize.filter((s) => s === -1).length > 1) {
      throw new RangeError(`Unflatten: unflattenedSize must be a non-empty array of sizes (at most one -1), got ${JSON.stringify(unflattenedSize)}`);
    }
    this.unflattenedSize = [...unflattenedSize];
  }
  forward(x: Tensor): Tensor {
    checkMinRank(this, x, 1, "any shape");
    const d = this.dim < 0 ? this.dim + x.ndim : this.dim;
    if (d < 0 || d >= x.ndim) throw this.layerError(`dim ${this.dim} is out of range for an input of shape ${formatShape(x.shape)}`);
    const known = numelOf(this.unflattenedSize.filter((s) => s !== -1));
    const fits = this.unflattenedSize.includes(-1) ? known > 0 && x.shape[d] % known === 0 : known === x.shape[d];
    if (!fits) {
      throw this.layerError(`cannot split dim ${d} of size ${x.shape[d]} (input shape ${formatShape(x.shape)}) into ${formatShape(this.unflattenedSize)}`);
    }
    return unflatten(x, d, this.unflattenedSize);
  }
  override extraRepr(): string {
    return `dim=${this.dim}, unflattenedSize=${formatShape(this.unflattenedSize)}`;
  }
}
