// Dropout layers (torch.nn.Dropout, Dropout1d/2d/3d, AlphaDropout, FeatureAlphaDropout): active
// only in training mode, identity in eval. Inverted scaling (kept units × 1/(1−p)) keeps the
// expected activation the same, so nothing changes at inference time.

import { Tensor } from "../tensor/tensor.js";
import type { Generator } from "../tensor/random.js";
import { checkOptions, optionNames } from "../core/options.js";
import { alphaDropout, dropout, dropout1d, dropout2d, dropout3d, featureAlphaDropout } from "../ops/dropout.js";
import { Module } from "./module.js";
import { checkInput, checkMinRank, checkProbability } from "./checks.js";

export interface DropoutLayerOptions {
  /** Where the masks' random numbers come from (default: the global generator, seeded by nb.manualSeed). */
  generator?: Generator;
}

const DROPOUT_LAYER_OPTIONS = optionNames<DropoutLayerOptions>({ generator: 1 });

type DropFn = (x: Tensor, p: number, training: boolean, opts: { generator?: Generator }) => Tensor;

abstract class DropoutBase extends Module {
  readonly p: number;
  private readonly _generator: Generator | undefined;
  constructor(p: number, opts: DropoutLayerOptions) {
    super();
    checkOptions(new.target.name, opts, DROPOUT_LAYER_OPTIONS, { seed: "generator: new nb.Generator(seed)" });
    this.p = checkProbability(new.target.name, "p", p);
    this._generator = opts.generator;
  }
  protected abstract drop(): DropFn;
  protected abstract check(x: unknown): Tensor;
  forward(x: Tensor): Tensor {
    this.check(x);
    return this.drop()(x, this.p, this.training, { generator: this._generator });
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/** Zero each element with probability p during training. */
export class Dropout extends DropoutBase {
  constructor(p = 0.5, opts: DropoutLayerOptions = {}) {
    super(p, opts);
  }
  protected drop(): DropFn { return dropout; }
  protected check(x: unknown): Tensor { return checkMinRank(this, x, 0, "any shape"); }
}

/** Zero whole channels of [N, C, L] (or [C, L]) with probability p during training. */
export class Dropout1d extends DropoutBase {
  constructor(p = 0.5, opts: DropoutLayerOptions = {}) {
    super(p, opts);
  }
  protected drop(): DropFn { return dropout1d; }
  protected check(x: unknown): Tensor { return checkInput(this, x, [2, 3], "[N, C, L] or unbatched [C, L]"); }
}

/** Zero whole feature maps of [N, C, H, W] (or [C, H, W]) with probability p during training (spatial dropout). */
export class Dropout2d extends DropoutBase {
  constructor(p = 0.5, opts: DropoutLayerOptions = {}) {
    super(p, opts);
  }
  protected drop(): DropFn { return dropout2d; }
  protected check(x: unknown): Tensor { return checkInput(this, x, [3, 4], "[N, C, H, W] or unbatched [C, H, W]"); }
}

/** Zero whole volumes of [N, C, D, H, W] (or [C, D, H, W]) with probability p during training. */
export class Dropout3d extends DropoutBase {
  constructor(p = 0.5, opts: DropoutLayerOptions = {}) {
    super(p, opts);
  }
  protected drop(): DropFn { return dropout3d; }
  protected check(x: unknown): Tensor { return checkInput(this, x, [4, 5], "[N, C, D, H, W] or unbatched [C, D, H, W]"); }
}

/** Dropout for SELU networks: keeps the mean and variance of the activations (dropped units go to −λα). */
export class AlphaDropout extends DropoutBase {
  constructor(p = 0.5, opts: DropoutLayerOptions = {}) {
    super(p, opts);
  }
  protected drop(): DropFn { return alphaDropout; }
  protected check(x: unknown): Tensor { return checkMinRank(this, x, 0, "any shape"); }
}

/** Alpha dropout of whole channels of [N, C, ...]. */
export class FeatureAlphaDropout extends DropoutBase {
  constructor(p = 0.5, opts: DropoutLayerOptions = {}) {
    super(p, opts);
  }
  protected drop(): DropFn { return featureAlphaDropout; }
  protected check(x: unknown): Tensor { return checkMinRank(this, x, 2, "[N, C, ...]"); }
}
