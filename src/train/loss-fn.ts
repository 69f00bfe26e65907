// The loss argument of fit/evaluate: a function (output, target) => scalar, a loss Module, or a
// name ("crossEntropy", "mse", ...).

import type { Tensor } from "../tensor/tensor.js";
import { Module } from "../nn/module.js";
import * as losses from "../nn/loss.js";

export type LossFn = (output: Tensor, target: Tensor) => Tensor;
export type LossSpec = LossFn | Module | string;

const BY_NAME: Record<string, LossFn> = {
  crossentropy: (o, t) => losses.crossEntropy(o, t),
  categoricalcrossentropy: (o, t) => losses.crossEntropy(o, t),
  sparsecategoricalcrossentropy: (o, t) => losses.crossEntropy(o, t),
  nll: (o, t) => losses.nllLoss(o, t),
  nllloss: (o, t) => losses.nllLoss(o, t),
  mse: (o, t) => losses.mseLoss(o, t),
  mseloss: (o, t) => losses.mseLoss(o, t),
  meansquarederror: (o, t) => losses.mseLoss(o, t),
  l1: (o, t) => losses.l1Loss(o, t),
  mae: (o, t) => losses.l1Loss(o, t),
  huber: (o, t) => losses.huberLoss(o, t),
  smoothl1: (o, t) => losses.smoothL1Loss(o, t),
  bce: (o, t) => losses.binaryCrossEntropy(o, t),
  binarycrossentropy: (o, t) => losses.binaryCrossEntropy(o, t),
  bcewithlogits: (o, t) => losses.binaryCrossEntropyWithLogits(o, t),
};

export function resolveLoss(spec: LossSpec, where: string): LossFn {
  if (spec instanceof Module) return (o, t) => spec.forward(o, t) as Tensor;
  if (typeof spec === "function") return spec;
  if (typeof spec === "string") {
    const fn = BY_NAME[spec.toLowerCase().replace(/[^a-z0-9]/g, "")];
    if (fn) return fn;
    throw new RangeError(`${where}: unknown loss "${spec}"; use one of crossEntropy, nll, mse, l1, huber, smoothL1, bce, bceWithLogits, a loss Module or a function`);
  }
  throw new TypeError(`${where}: loss must be a function, a loss Module or a name such as "crossEntropy"`);
}
