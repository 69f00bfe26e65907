// NAdam: Adam with Nesterov momentum (torch.optim.NAdam, single-tensor form).

import type { Tensor } from "../tensor/tensor.js";
import { add, add_, addcdiv_, addcmul_, div, mul_, neg } from "../ops/elementwise.js";
import { zerosLike } from "../tensor/creation.js";
import type { OptionCheck } from "./checks.js";
import { resolveOptions } from "./checks.js";
import { sqrt_ } from "./inplace.js";
import { Optimizer, type ParamGroup, type ParamState, type ParamsInput } from "./optimizer.js";

export interface NAdamOptions {
  /** Learning rate η (default 2e-3). */
  lr: number;
  /** [β1, β2] (default [0.9, 0.999]). */
  betas: [number, number];
  /** ε added to √v̂ (default 1e-8). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** ψ of the momentum schedule μ_t = β1·(1 − ½·0.96^(t·ψ)) (default 4e-3). */
  momentumDecay: number;
  /** Ascend the objective instead of descending it (torch 2.x's option). */
  maximize: boolean;
}

const DEFAULTS: NAdamOptions = { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, maximize: false };

const fround = Math.fround;

/**
 * NAdam (Dozat 2016), exactly as torch.optim.NAdam. Per parameter, at step t = 1, 2, …:
 * ```
 * g ← −g if maximize;  g ← g + λθ if weightDecay
 * μ_t = β1·(1 − ½·0.96^(t·ψ)),  μ_{t+1} likewise,  Π_t = μ_1·…·μ_t
 * m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²
 * d = √(v/(1 − β2^t)) + ε
 * θ ← θ − η·(1 − μ_t)/(1 − Π_t) · g/d − η·μ_{t+1}/(1 − Π_t·μ_{t+1}) · m/d
 * ```
 * It is Adam (see Adam) with the first moment replaced by a Nesterov look-ahead: the update uses
 * the momentum the next step will have (μ_{t+1}·m) plus the current gradient, the adaptive form
 * of NAG's "evaluate ahead of the momentum" (v ← αv + η∇E(W − αv), see SGD's nesterov).
 *
 * This follows torch 2.x, where Π_{t+1} = Π_t·μ_{t+1}. torch 1.13 multiplied μ_t in once more
 * (Π_t·μ_t·μ_{t+1}), a bug fixed in torch 2.0 (pytorch/pytorch#92699); the two differ slightly in
 * the momentum term's bias correction.
 */
export class NAdam extends Optimizer<NAdamOptions> {
  constructor(params: ParamsInput<NAdamOptions>, options: Partial<NAdamOptions> = {}) {
    super(params, resolveOptions("NAdam", options, DEFAULTS));
  }

  protected override checkOptions(o: NAdamOptions, check: OptionCheck): void {
    check.lr(o.lr);
    check.eps(o.eps);
    check.betas(o.betas);
    check.nonNegative("weightDecay", o.weightDecay);
    check.nonNegative("momentumDecay", o.momentumDecay);
    check.boolean("maximize", o.maximize);
  }

  protected override updateParam(param: Tensor, grad: Tensor, state: ParamState, g: ParamGroup & NAdamOptions): void {
    const [beta1, beta2] = g.betas;
    if (state.step === undefined) {
      state.step = 0;
      state.muProduct = 1;
      state.expAvg = this.persistent(zerosLike(param));
      state.expAvgSq = this.persistent(zerosLike(param));
    }
    const step = (state.step as number) + 1;
    state.step = step;
    const m = state.expAvg as Tensor, v = state.expAvgSq as Tensor;

    let d = g.maximize ? neg(grad) : grad;
    if (g.weightDecay !== 0) d = add(d, param, { alpha: g.weightDecay });

    const mu = beta1 * (1 - 0.5 * 0.96 ** (step * g.momentumDecay));
    const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * g.momentumDecay));
    // Π_t is a 0-d float32 tensor in torch (Π ← Π·μ rounds μ and the product to float32); Π_{t+1}
    // is then computed in double from its value.
    const muProduct = fround((state.muProduct as number) * fround(mu));
    const muProductNext = muProduct * muNext;
    state.muProduct = muProduct;

    add_(mul_(m, beta1), d, { alpha: 1 - beta1 });
    addcmul_(mul_(v, beta2), d, d, 1 - beta2);

    const denom = add_(sqrt_(div(v, 1 - beta2 ** step)), g.eps);
    addcdiv_(param, d, denom, (-g.lr * (1 - mu)) / (1 - muProduct));
    addcdiv_(param, m, denom, (-g.lr * muNext) / (1 - muProductNext));
  }
}
