// What nb.losses' Keras-semantics losses share: their options (fromLogits, labelSmoothing,
// reduction), Keras' epsilon, the reduction of per-sample losses, and the Module base class that
// makes an instance usable as fit's `loss` (checking its first input once, see score-kind-warnings).

import type { Tensor } from "../tensor/tensor.js";
import { div } from "../ops/elementwise.js";
import { sum } from "../ops/reduce.js";
import { Module } from "../nn/module.js";

/** Keras' backend epsilon: probabilities are clipped to [EPSILON, 1 − EPSILON] before the log. */
export const EPSILON = 1e-7;

/**
 * "mean" (Keras' "sum_over_batch_size", accepted as an alias) averages the per-sample losses,
 * "sum" adds them, "none" returns them.
 */
export type KerasReduction = "mean" | "sum" | "none" | "sum_over_batch_size";

export interface KerasLossOptions {
  /** yPred holds logits rather than probabilities (default false, as in Keras). */
  fromLogits?: boolean;
  reduction?: KerasReduction;
}

export interface SmoothableLossOptions extends KerasLossOptions {
  /** Squeeze the targets towards uniform (categorical: ε/C) or 0.5 (binary), in [0, 1]. Default 0. */
  labelSmoothing?: number;
}

export function checkReduction(op: string, r: unknown): "mean" | "sum" | "none" {
  if (r === undefined || r === "mean" || r === "sum_over_batch_size") return "mean";
  if (r === "sum" || r === "none") return r;
  throw new RangeError(`${op}: reduction must be "mean" (or Keras' "sum_over_batch_size"), "sum" or "none", got ${JSON.stringify(r)}`);
}

export function checkFromLogits(op: string, v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== "boolean") throw new TypeError(`${op}: fromLogits must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

export function checkLabelSmoothing(op: string, v: unknown): number {
  if (v === undefined) return 0;
  if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new RangeError(`${op}: labelSmoothing must be in [0, 1], got ${String(v)}`);
  return v;
}

export function reducePerSample(perSample: Tensor, reduction: "mean" | "sum" | "none"): Tensor {
  if (reduction === "none") return perSample;
  const total = sum(perSample);
  return reduction === "sum" ? total : div(total, perSample.numel());
}

/**
 * Base of the Keras loss classes. forward(yPred, yTrue) keeps nabla's argument order (prediction
 * first, as every nabla loss and metric), where a Keras loss object is called (yTrue, yPred).
 */
export abstract class KerasLoss extends Module {
  /** Keras' name of the loss, e.g. "categorical_crossentropy". */
  readonly name: string;
  readonly fromLogits: boolean;
  readonly reduction: "mean" | "sum" | "none";
  /** Whether the first input was checked for the kind of scores this loss expects. */
  private _inputChecked = false;

  constructor(name: string, opts: KerasLossOptions) {
    super();
    this.name = name;
    this.fromLogits = checkFromLogits(name, opts.fromLogits);
    this.reduction = checkReduction(name, opts.reduction);
  }

  forward(yPred: Tensor, yTrue: Tensor): Tensor {
    if (!this._inputChecked) {
      this._inputChecked = true;
      this.checkInputKind(yPred);
    }
    return this.compute(yPred, yTrue);
  }

  override extraRepr(): string {
    return `fromLogits=${this.fromLogits}, reduction=${this.reduction}`;
  }

  /** Warns (once, on the first input) when yPred is not the kind of scores fromLogits says. */
  protected abstract checkInputKind(yPred: Tensor): void;
  protected abstract compute(yPred: Tensor, yTrue: Tensor): Tensor;
}
