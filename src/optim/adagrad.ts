// Adagrad (torch.optim.Adagrad, single-tensor form).

import type { Tensor } from "../tensor/tensor.js";
import { add, addcdiv_, addcmul_, neg, sqrt, add_ } from "../ops/elementwise.js";
import { fullLike } from "../tensor/creation.js";
import type { OptionCheck } from "./checks.js";
import { resolveOptions } from "./checks.js";
import { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState, type ParamsInput } from "./optimizer.js";

export interface AdagradOptions {
  /** Learning rate η (default 1e-2). */
  lr: number;
  /** Learning-rate decay κ: step t uses η/(1 + (t − 1)·κ) (default 0). */
  lrDecay: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** ε added to the denominator (default 1e-10). */
  eps: number;
  /** Starting value of the sum of squared gradients (default 0). */
  initialAccumulatorValue: number;
  /** Ascend the objective instead of descending it. */
  maximize: boolean;
}

const DEFAULTS: AdagradOptions = { lr: 1e-2, lrDecay: 0, weightDecay: 0, eps: 1e-10, initialAccumulatorValue: 0, maximize: false };

/**
 * Adagrad (Duchi et al. 2011), exactly as torch.optim.Adagrad. Per parameter θ with gradient g,
 * at step t = 1, 2, …:
 * ```
 * g ← −g if maximize;  g ← g + λθ if weightDecay
 * r ← r + g²                          (r starts at initialAccumulatorValue)
 * θ ← θ − η/(1 + (t − 1)·κ) · g/(√r + ε)
 * ```
 * The textbook form r_t = Σ_τ g_τ·g_τ, W ← W − η/√(εI + r_t)·g_t is the same accumulation and
 * per-weight step, except that torch adds ε after the square root instead of under it (near
 * r = 0 its default 1e-10 acts like ε = 1e-20 under the root), and adds the optional lr decay and
 * starting value. Like torch, the state (step 0 and the accumulator) exists from construction;
 * each group's own initialAccumulatorValue is used (torch uses the constructor's for all groups).
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: ParamsInput<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    super(params, resolveOptions("Adagrad", options, DEFAULTS));
  }

  protected override checkOptions(o: AdagradOptions, check: OptionCheck): void {
    check.lr(o.lr);
    check.nonNegative("lrDecay", o.lrDecay);
    check.nonNegative("weightDecay", o.weightDecay);
    check.nonNegative("initialAccumulatorValue", o.initialAccumulatorValue);
    check.eps(o.eps);
    check.boolean("maximize", o.maximize);
  }

  override addParamGroup(group: ParamGroupInput<AdagradOptions>): void {
    super.addParamGroup(group);
    const added = this.paramGroups[this.paramGroups.length - 1];
    for (const p of added.params) this.state.set(p, this.initialState(p, added));
  }

  private initialState(p: Tensor, g: ParamGroup & AdagradOptions): ParamState {
    return { step: 0, sum: this.persistent(fullLike(p, g.initialAccumulatorValue)) };
  }

  protected override updateParam(param: Tensor, grad: Tensor, state: ParamState, g: ParamGroup & AdagradOptions): void {
    if (state.sum === undefined) Object.assign(state, this.initialState(param, g));
    const step = (state.step as number) + 1;
    state.step = step;
    let d = g.maximize ? neg(grad) : grad;
    if (g.weightDecay !== 0) d = add(d, param, { alpha: g.weightDecay });
    const clr = g.lr / (1 + (step - 1) * g.lrDecay);
    const sum = state.sum as Tensor;
    addcmul_(sum, d, d, 1);
    const std = add_(sqrt(sum), g.eps);
    addcdiv_(param, d, std, -clr);
  }
}
