// Adam and its AMSGrad variant (torch.optim.Adam, single-tensor form). AdamW shares the update
// (adamUpdate below) with decoupled weight decay.

import type { Tensor } from "../tensor/tensor.js";
import { add, add_, addcdiv_, addcmul_, div_, maximum_, mul_, neg, sqrt } from "../ops/elementwise.js";
import { zerosLike } from "../tensor/creation.js";
import { fusedAdamStep } from "./fused.js";
import { stepArgs } from "../graph/step-args.js";
import type { OptionCheck } from "./checks.js";
import { resolveOptions } from "./checks.js";
import { Optimizer, type ParamGroup, type ParamState, type ParamsInput } from "./optimizer.js";

export interface AdamOptions {
  /** Learning rate η (default 1e-3). */
  lr: number;
  /** Decay rates [β1, β2] of the first and second moment averages (default [0.9, 0.999]). */
  betas: [number, number];
  /** ε added to the denominator √v̂ (default 1e-8). */
  eps: number;
  /** Weight decay λ: Adam adds λθ to the gradient (L2), AdamW decays θ directly. */
  weightDecay: number;
  /** Divide by the running maximum of v̂ (AMSGrad, Reddi et al. 2018). */
  amsgrad: boolean;
  /** Ascend the objective instead of descending it. */
  maximize: boolean;
}

export const ADAM_DEFAULTS: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false };

export function checkAdamOptions(o: AdamOptions, check: OptionCheck): void {
  check.lr(o.lr);
  check.eps(o.eps);
  check.betas(o.betas);
  check.nonNegative("weightDecay", o.weightDecay);
  check.boolean("amsgrad", o.amsgrad);
  check.boolean("maximize", o.maximize);
}

/**
 * Adam, exactly as torch.optim.Adam. Per parameter θ with gradient g, at step t = 1, 2, …:
 * ```
 * g ← −g if maximize;  g ← g + λθ if weightDecay
 * m ← β1·m + (1 − β1)·g            first moment (mean of gradients)
 * v ← β2·v + (1 − β2)·g²           second moment (mean of squared gradients)
 * v_max ← max(v_max, v)            AMSGrad only; v_max replaces v below
 * θ ← θ − η/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε)
 * ```
 * i.e. θ ← θ − η·m̂/(√v̂ + ε) with the bias corrections m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t).
 *
 * Other notations: V (first moment, β1) and U (second moment, β2) with θ ← θ − α·V̂/√(Û + ε) is
 * the same rule. r_t = β1·r + (1 − β1)·g·g, s_t = β2·s + (1 − β2)·g², W ← W − η/√(ε + r̂)·ŝ has the
 * names swapped: read by their decay rates, r is the first moment (its g·g should be g) and s the
 * second, so as written it divides the second moment by the root of the first. The intended rule,
 * torch's and this one (Kingma & Ba), divides the first moment m (β1) by the root of the second
 * v (β2). Bias correction here divides by 1 − β^t (not 1 − β), and ε is added after the square
 * root, not under it.
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, resolveOptions("Adam", options, ADAM_DEFAULTS));
  }

  protected override checkOptions(o: AdamOptions, check: OptionCheck): void {
    checkAdamOptions(o, check);
  }

  protected override updateParam(param: Tensor, grad: Tensor, state: ParamState, group: ParamGroup & AdamOptions): void {
    adamUpdate(param, grad, state, group, false, (t) => this.persistent(t));
  }
}

/** One Adam / AdamW step of one parameter (torch's _single_tensor_adam / _single_tensor_adamw). */
export function adamUpdate(
  param: Tensor, grad: Tensor, state: ParamState, g: ParamGroup & AdamOptions, decoupled: boolean, persistent: (t: Tensor) => Tensor,
): void {
  if (state.step === undefined) {
    state.step = 0;
    state.expAvg = persistent(zerosLike(param));
    state.expAvgSq = persistent(zerosLike(param));
  }
  if (g.amsgrad && state.maxExpAvgSq === undefined) state.maxExpAvgSq = persistent(zerosLike(param));
  const m = state.expAvg as Tensor, v = state.expAvgSq as Tensor;
  // The step count and everything derived from it (or from the group's options, which schedulers
  // change) through stepArgs, so a compiled step's replay recomputes them (graph/step-args.ts).
  const p = stepArgs(() => {
    const [beta1, beta2] = g.betas;
    const step = (state.step as number) + 1;
    state.step = step;
    const stepSize = g.lr / (1 - beta1 ** step);
    return {
      lr: g.lr, beta1, beta2, eps: g.eps, weightDecay: g.weightDecay, stepSize, bias2Sqrt: Math.sqrt(1 - beta2 ** step),
      decoupled, amsgrad: g.amsgrad, maximize: g.maximize,
      // The composite update's scale, as it reaches a kernel (so a capture can bind it).
      negStepSize: -stepSize,
    };
  });
  const { beta1, beta2, bias2Sqrt, negStepSize } = p;
  const fused = fusedAdamStep(param, grad, m, v, g.amsgrad ? (state.maxExpAvgSq as Tensor) : null, p);
  if (fused) return;

  let d = g.maximize ? neg(grad) : grad;
  if (decoupled) mul_(param, 1 - g.lr * g.weightDecay);
  else if (g.weightDecay !== 0) d = add(d, param, { alpha: g.weightDecay });

  add_(mul_(m, beta1), d, { alpha: 1 - beta1 });
  addcmul_(mul_(v, beta2), d, d, 1 - beta2);

  let second = v;
  if (g.amsgrad) {
    second = state.maxExpAvgSq as Tensor;
    maximum_(second, v);
  }
  const denom = add_(div_(sqrt(second), bias2Sqrt), g.eps);
  addcdiv_(param, m, denom, negStepSize);
}
