// Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay
// (torch.optim.SGD, single-tensor form).

import type { Tensor } from "../tensor/tensor.js";
import { add, add_, mul_, neg } from "../ops/elementwise.js";
import { clone } from "../ops/view.js";
import { zerosLike } from "../tensor/creation.js";
import { fusedSgdStep } from "./fused.js";
import { stepArgs } from "../graph/step-args.js";
import type { OptionCheck } from "./checks.js";
import { resolveOptions } from "./checks.js";
import { Optimizer, type ParamGroup, type ParamState, type ParamsInput } from "./optimizer.js";

export interface SGDOptions {
  /** Learning rate η (default 1e-3, torch 2.x's default). */
  lr: number;
  /** Momentum factor μ (default 0: plain gradient descent). */
  momentum: number;
  /** Dampening τ of the gradient added to the momentum buffer (default 0). */
  dampening: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** L2 penalty λ added to the gradient: g ← g + λθ (default 0). */
  weightDecay: number;
  /** Ascend the objective instead of descending it. */
  maximize: boolean;
}

const DEFAULTS: SGDOptions = { lr: 1e-3, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false };

/**
 * SGD, exactly as torch.optim.SGD. Per parameter θ with gradient g:
 * ```
 * g ← −g if maximize;  g ← g + λθ if weightDecay
 * if μ ≠ 0:  b ← g on the first step, else b ← μ·b + (1 − τ)·g
 *            g ← g + μ·b if nesterov, else g ← b
 * θ ← θ − η·g
 * ```
 * Batch GD, SGD and mini-batch GD (W ← W − η·Σ∇E over all examples, one, or a mini-batch) are all
 * this optimizer: they differ only in which examples the loss (and so the gradient) is computed over.
 *
 * Momentum is often written with the learning rate inside the velocity: v ← αv − ηg, W ← W + v,
 * or V ← βV + α∇L, θ ← θ − V. torch keeps the buffer without the learning rate: with α = μ = β and
 * a constant η, that velocity is −η·b (first form) or η·b (second form), so the trajectories are
 * the same. They differ when η changes (a scheduler): torch applies the new η to the whole
 * buffer, a velocity with η inside keeps the old η in its history. torch's first step also starts
 * the buffer at g instead of (1 − τ)·g.
 *
 * Nesterov: the textbook form evaluates the gradient at the look-ahead point where momentum alone
 * would carry the weights (v ← αv + η∇E(W − αv), or V ← βV + α∇L(θ + βV); with the step
 * subtracted, the look-ahead is θ − αv). torch uses the equivalent reformulation of
 * Sutskever et al.: it stores the look-ahead point itself as θ, so the gradient computed at θ is
 * already the look-ahead gradient and no second evaluation is needed; the update then becomes
 * b ← μb + g, θ ← θ − η(g + μb).
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super(params, resolveOptions("SGD", options, DEFAULTS));
  }

  protected override checkOptions(o: SGDOptions, check: OptionCheck): void {
    check.lr(o.lr);
    check.nonNegative("momentum", o.momentum);
    check.number("dampening", o.dampening);
    check.nonNegative("weightDecay", o.weightDecay);
    check.boolean("nesterov", o.nesterov);
    check.boolean("maximize", o.maximize);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      check.fail(`Nesterov momentum requires a momentum > 0 and zero dampening (got momentum ${o.momentum}, dampening ${o.dampening})`);
    }
  }

  protected override updateParam(param: Tensor, grad: Tensor, state: ParamState, g: ParamGroup & SGDOptions): void {
    if (this.fusedUpdate(param, grad, state, g)) return;
    let d = g.maximize ? neg(grad) : grad;
    if (g.weightDecay !== 0) d = add(d, param, { alpha: g.weightDecay });
    if (g.momentum !== 0) {
      let buf = state.momentumBuffer as Tensor | undefined;
      if (buf === undefined) {
        // The first buffer is g itself; copy only when d is still the caller's .grad.
        buf = this.persistent(d === grad ? clone(d) : d);
        state.momentumBuffer = buf;
      } else {
        add_(mul_(buf, g.momentum), d, { alpha: 1 - g.dampening });
      }
      d = g.nesterov ? add(d, buf, { alpha: g.momentum }) : buf;
    }
    add_(param, d, { alpha: -g.lr });
  }

  /** The same update as one Backend.sgdStep call, when the backend has it (false otherwise). */
  private fusedUpdate(param: Tensor, grad: Tensor, state: ParamState, g: ParamGroup & SGDOptions): boolean {
    const existing = state.momentumBuffer as Tensor | undefined;
    const buffer = g.momentum === 0 ? null : (existing ?? zerosLike(param));
    // Through stepArgs: a compiled step's replay reads the options a scheduler may have changed.
    const done = fusedSgdStep(param, grad, buffer, stepArgs(() => ({
      lr: g.lr, momentum: g.momentum, dampening: g.dampening, weightDecay: g.weightDecay,
      nesterov: g.nesterov, maximize: g.maximize, firstStep: buffer !== null && existing === undefined,
    })));
    if (buffer && existing === undefined) {
      if (done) state.momentumBuffer = this.persistent(buffer);
      else buffer.dispose();
    }
    return done;
  }
}
