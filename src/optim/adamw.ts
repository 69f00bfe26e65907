// AdamW: Adam with decoupled weight decay (torch.optim.AdamW, single-tensor form).

import type { Tensor } from "../tensor/tensor.js";
import type { OptionCheck } from "./checks.js";
import { resolveOptions } from "./checks.js";
import { ADAM_DEFAULTS, type AdamOptions, adamUpdate, checkAdamOptions } from "./adam.js";
import { Optimizer, type ParamGroup, type ParamState, type ParamsInput } from "./optimizer.js";

export type AdamWOptions = AdamOptions;

const DEFAULTS: AdamWOptions = { ...ADAM_DEFAULTS, weightDecay: 1e-2 };

/**
 * AdamW (Loshchilov & Hutter), exactly as torch.optim.AdamW: Adam's update (see Adam) with the
 * weight decay taken out of the gradient and applied to the weights directly, before the moments
 * are updated:
 * ```
 * θ ← θ·(1 − η·λ)                 decoupled decay (default λ = 1e-2)
 * m, v (and v_max) as in Adam, from the raw gradient
 * θ ← θ − η/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε)
 * ```
 * With Adam's coupled L2 decay, λθ passes through the moment averages and is divided by √v̂, so
 * weights with large gradients are barely decayed; here every weight shrinks by the same factor.
 * L2 regularisation as a λ‖W‖² term in the loss (nb.regularizers.l2) is the coupled form.
 */
export class AdamW extends Optimizer<AdamWOptions> {
  constructor(params: ParamsInput<AdamWOptions>, options: Partial<AdamWOptions> = {}) {
    super(params, resolveOptions("AdamW", options, DEFAULTS));
  }

  protected override checkOptions(o: AdamWOptions, check: OptionCheck): void {
    checkAdamOptions(o, check);
  }

  protected override updateParam(param: Tensor, grad: Tensor, state: ParamState, group: ParamGroup & AdamWOptions): void {
    adamUpdate(param, grad, state, group, true, (t) => this.persistent(t));
  }
}
