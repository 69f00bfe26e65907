// Adadelta (torch.optim.Adadelta, single-tensor form).

import type { Tensor } from "../tensor/tensor.js";
import { add, add_, addcmul_, div_, mul_, neg } from "../ops/elementwise.js";
import { zerosLike } from "../tensor/creation.js";
import type { OptionCheck } from "./checks.js";
import { resolveOptions } from "./checks.js";
import { sqrt_ } from "./inplace.js";
import { Optimizer, type ParamGroup, type ParamState, type ParamsInput } from "./optimizer.js";

export interface AdadeltaOptions {
  /** Scale η applied to the computed step (default 1, as in the paper). */
  lr: number;
  /** Decay ρ of the running averages (default 0.9). */
  rho: number;
  /** ε inside both square roots (default 1e-6). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Ascend the objective instead of descending it. */
  maximize: boolean;
}

const DEFAULTS: AdadeltaOptions = { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false };

/**
 * Adadelta (Zeiler 2012), exactly as torch.optim.Adadelta. Per parameter θ with gradient g:
 * ```
 * g ← −g if maximize;  g ← g + λθ if weightDecay
 * r ← ρ·r + (1 − ρ)·g²
 * Δ = √(u + ε) / √(r + ε) · g
 * u ← ρ·u + (1 − ρ)·Δ²
 * θ ← θ − η·Δ
 * ```
 * RMSprop's per-weight scaling (its r, see RMSprop) with the learning rate replaced by the root
 * of a running average u of past squared steps, so the step has the units of θ; ε sits under both
 * roots as in the paper.
 */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  constructor(params: ParamsInput<AdadeltaOptions>, options: Partial<AdadeltaOptions> = {}) {
    super(params, resolveOptions("Adadelta", options, DEFAULTS));
  }

  protected override checkOptions(o: AdadeltaOptions, check: OptionCheck): void {
    check.lr(o.lr);
    check.interval("rho value", o.rho, 0, 1, true, "rho");
    check.eps(o.eps);
    check.nonNegative("weightDecay", o.weightDecay);
    check.boolean("maximize", o.maximize);
  }

  protected override updateParam(param: Tensor, grad: Tensor, state: ParamState, g: ParamGroup & AdadeltaOptions): void {
    if (state.step === undefined) {
      state.step = 0;
      state.squareAvg = this.persistent(zerosLike(param));
      state.accDelta = this.persistent(zerosLike(param));
    }
    state.step = (state.step as number) + 1;
    let d = g.maximize ? neg(grad) : grad;
    if (g.weightDecay !== 0) d = add(d, param, { alpha: g.weightDecay });
    const squareAvg = state.squareAvg as Tensor, accDelta = state.accDelta as Tensor;
    addcmul_(mul_(squareAvg, g.rho), d, d, 1 - g.rho);
    const std = sqrt_(add(squareAvg, g.eps));
    const delta = mul_(div_(sqrt_(add(accDelta, g.eps)), std), d);
    addcmul_(mul_(accDelta, g.rho), delta, delta, 1 - g.rho);
    add_(param, delta, { alpha: -g.lr });
  }
}
