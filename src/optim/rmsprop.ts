// RMSprop, optionally centered and with momentum (torch.optim.RMSprop, single-tensor form).

import type { Tensor } from "../tensor/tensor.js";
import { add, add_, addcdiv_, addcmul_, mul, mul_, neg, sqrt, sub } from "../ops/elementwise.js";
import { zerosLike } from "../tensor/creation.js";
import type { OptionCheck } from "./checks.js";
import { resolveOptions } from "./checks.js";
import { sqrt_ } from "./inplace.js";
import { Optimizer, type ParamGroup, type ParamState, type ParamsInput } from "./optimizer.js";

export interface RMSpropOptions {
  /** Learning rate η (default 1e-2). */
  lr: number;
  /** Smoothing constant α of the squared-gradient average (default 0.99). */
  alpha: number;
  /** ε added to the denominator (default 1e-8). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum μ of the update (default 0). */
  momentum: number;
  /** Normalise by the estimated variance (subtract the squared mean gradient). */
  centered: boolean;
  /** Ascend the objective instead of descending it. */
  maximize: boolean;
}

const DEFAULTS: RMSpropOptions = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false };

/**
 * RMSprop, exactly as torch.optim.RMSprop. Per parameter θ with gradient g:
 * ```
 * g ← −g if maximize;  g ← g + λθ if weightDecay
 * r ← α·r + (1 − α)·g²
 * if centered:  ḡ ← α·ḡ + (1 − α)·g;  d = √(r − ḡ²) + ε    else  d = √r + ε
 * if μ > 0:     b ← μ·b + g/d;  θ ← θ − η·b                 else  θ ← θ − η·g/d
 * ```
 * The textbook form r_t = β·r_{t−1} + (1 − β)·g·g, W ← W − η/√(ε + r_t)·g is the same update with
 * β = alpha, except that torch adds ε after the square root (√r + ε) instead of under it, so the
 * ε values are not interchangeable (near r = 0 torch's 1e-8 acts like ε = 1e-16 under the root).
 * `centered` and `momentum` are torch's extensions (Graves 2013): centering divides by an
 * estimate of the gradient's standard deviation instead of its root mean square.
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsInput<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(params, resolveOptions("RMSprop", options, DEFAULTS));
  }

  protected override checkOptions(o: RMSpropOptions, check: OptionCheck): void {
    check.lr(o.lr);
    check.nonNegative("alpha", o.alpha);
    check.eps(o.eps);
    check.nonNegative("weightDecay", o.weightDecay);
    check.nonNegative("momentum", o.momentum);
    check.boolean("centered", o.centered);
    check.boolean("maximize", o.maximize);
  }

  protected override updateParam(param: Tensor, grad: Tensor, state: ParamState, g: ParamGroup & RMSpropOptions): void {
    if (state.step === undefined) {
      state.step = 0;
      state.squareAvg = this.persistent(zerosLike(param));
    }
    // Created when first needed, so momentum or centering switched on later (OneCycleLR cycles
    // momentum) starts from zero, as torch's state created at the first step would.
    if (g.momentum > 0 && state.momentumBuffer === undefined) state.momentumBuffer = this.persistent(zerosLike(param));
    if (g.centered && state.gradAvg === undefined) state.gradAvg = this.persistent(zerosLike(param));
    state.step = (state.step as number) + 1;

    let d = g.maximize ? neg(grad) : grad;
    if (g.weightDecay !== 0) d = add(d, param, { alpha: g.weightDecay });

    const squareAvg = state.squareAvg as Tensor;
    addcmul_(mul_(squareAvg, g.alpha), d, d, 1 - g.alpha);
    let avg: Tensor;
    if (g.centered) {
      const gradAvg = state.gradAvg as Tensor;
      add_(mul_(gradAvg, g.alpha), d, { alpha: 1 - g.alpha });
      avg = sqrt_(sub(squareAvg, mul(gradAvg, gradAvg)));
    } else {
      avg = sqrt(squareAvg);
    }
    add_(avg, g.eps);
    if (g.momentum > 0) {
      const buf = state.momentumBuffer as Tensor;
      addcdiv_(mul_(buf, g.momentum), d, avg);
      add_(param, buf, { alpha: -g.lr });
    } else {
      addcdiv_(param, d, avg, -g.lr);
    }
  }
}
