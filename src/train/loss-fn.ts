// The loss argument of fit/evaluate: a function (output, target) => scalar, a loss Module (torch's,
// e.g. new nb.nn.CrossEntropyLoss(), or Keras', e.g. new nb.losses.CategoricalCrossentropy({
// fromLogits: true })), or a name. PyTorch names mean what they mean in PyTorch ("crossEntropy"
// takes logits) and Keras names what they mean in Keras ("categorical_crossentropy" takes
// probabilities). A name gives a fresh loss module per fit, so its one-time input check (a
// Softmax output given to crossEntropy, see nn/score-kind-warnings.ts) runs once per fit.

import type { Tensor } from "../tensor/tensor.js";
import { Module } from "../nn/module.js";
import * as losses from "../nn/loss.js";
import { BinaryCrossentropy } from "../losses/binary-crossentropy.js";
import { CategoricalCrossentropy, SparseCategoricalCrossentropy } from "../losses/categorical-crossentropy.js";

export type LossFn = (output: Tensor, target: Tensor) => Tensor;
export type LossSpec = LossFn | Module | string;

const asFn = (m: Module): LossFn => (o, t) => m.forward(o, t) as Tensor;

// Keyed by the name in lower case without punctuation ("cross_entropy" -> "crossentropy").
const BY_NAME: Record<string, () => LossFn> = {
  crossentropy: () => asFn(new losses.CrossEntropyLoss()),
  crossentropyloss: () => asFn(new losses.CrossEntropyLoss()),
  nll: () => asFn(new losses.NLLLoss()),
  nllloss: () => asFn(new losses.NLLLoss()),
  categoricalcrossentropy: () => asFn(new CategoricalCrossentropy()),
  sparsecategoricalcrossentropy: () => asFn(new SparseCategoricalCrossentropy()),
  mse: () => (o, t) => losses.mseLoss(o, t),
  mseloss: () => (o, t) => losses.mseLoss(o, t),
  meansquarederror: () => (o, t) => losses.mseLoss(o, t),
  l1: () => (o, t) => losses.l1Loss(o, t),
  l1loss: () => (o, t) => losses.l1Loss(o, t),
  mae: () => (o, t) => losses.l1Loss(o, t),
  meanabsoluteerror: () => (o, t) => losses.l1Loss(o, t),
  huber: () => (o, t) => losses.huberLoss(o, t),
  smoothl1: () => (o, t) => losses.smoothL1Loss(o, t),
  bce: () => (o, t) => losses.binaryCrossEntropy(o, t),
  bceloss: () => (o, t) => losses.binaryCrossEntropy(o, t),
  binarycrossentropy: () => (o, t) => losses.binaryCrossEntropy(o, t),
  bcewithlogits: () => (o, t) => losses.binaryCrossEntropyWithLogits(o, t),
  bcewithlogitsloss: () => (o, t) => losses.binaryCrossEntropyWithLogits(o, t),
};

/**
 * Keras writes "crossentropy" as one word ("binary_crossentropy", "BinaryCrossentropy"); torch
 * writes it as two ("binary_cross_entropy", "binaryCrossEntropy"). Only the binary loss exists
 * under both names, and its spelling picks Keras' clipped numerics or torch's.
 */
const isKerasSpelling = (name: string): boolean => /[cC]rossentropy/.test(name);

export function resolveLoss(spec: LossSpec, where: string): LossFn {
  if (spec instanceof Module) return asFn(spec);
  if (typeof spec === "function") return spec;
  if (typeof spec === "string") {
    const key = spec.toLowerCase().replace(/[^a-z0-9]/g, "");
    if (key === "binarycrossentropy" && isKerasSpelling(spec)) return asFn(new BinaryCrossentropy());
    const make = BY_NAME[key];
    if (make) return make();
    throw new RangeError(
      `${where}: unknown loss "${spec}"; use a PyTorch name (crossEntropy, nll, mse, l1, huber, smoothL1, bce, bceWithLogits), ` +
        "a Keras name (categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy, mean_squared_error, mean_absolute_error), " +
        "a loss Module (e.g. new nb.losses.CategoricalCrossentropy({ fromLogits: true })) or a function",
    );
  }
  throw new TypeError(`${where}: loss must be a function, a loss Module or a name such as "crossEntropy" or "categorical_crossentropy"`);
}
