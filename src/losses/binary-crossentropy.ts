// Keras' binary cross-entropy: yPred holds probabilities (a Sigmoid output) unless fromLogits is
// set, yTrue 0/1 labels (or soft labels) of the same shape. Keras' numerics: probabilities are
// clipped to [1e-7, 1 − 1e-7] before the logs (torch's BCE clamps each log at −100 instead).
// The per-sample loss is the mean over the last axis for yPred of rank 2 or more ([N, K]:
// multi-label), each element for rank 1 ([N]), as Keras reduces it.

import type { Tensor } from "../tensor/tensor.js";
import { tidy } from "../tensor/scope.js";
import { formatShape, shapesEqual } from "../core/shape.js";
import { add, cast, clamp, log, mul, neg, sub } from "../ops/elementwise.js";
import { mean } from "../ops/reduce.js";
import { reshape } from "../ops/view.js";
import { assertFloating, assertTensor, commonBackend } from "../ops/util.js";
import { binaryCrossEntropyWithLogits } from "../nn/loss.js";
import { warnIfNotProbabilities } from "../nn/score-kind-warnings.js";
import {
  EPSILON, KerasLoss, type SmoothableLossOptions,
  checkFromLogits, checkLabelSmoothing, checkReduction, reducePerSample,
} from "./keras-loss.js";

/** yTrue in yPred's shape; [N] against [N, 1] (or the reverse) is reshaped, as Keras does. */
function sameShapeTarget(op: string, yPred: Tensor, yTrue: Tensor): Tensor {
  if (shapesEqual(yPred.shape, yTrue.shape)) return yTrue;
  const dropOnes = (s: readonly number[]): number[] => (s.length > 1 && s[s.length - 1] === 1 ? s.slice(0, -1) : [...s]);
  if (shapesEqual(dropOnes(yPred.shape), dropOnes(yTrue.shape))) return reshape(yTrue, yPred.shape);
  throw new RangeError(`${op}: yTrue of shape ${formatShape(yTrue.shape)} must have yPred's shape ${formatShape(yPred.shape)}`);
}

/** Keras' binary_crossentropy: −(y·log p + (1 − y)·log(1 − p)), averaged over the last axis, reduced. */
export function binaryCrossentropy(yPred: Tensor, yTrue: Tensor, opts: SmoothableLossOptions = {}): Tensor {
  const op = "binaryCrossentropy";
  assertTensor(op, yPred, "yPred");
  assertTensor(op, yTrue, "yTrue");
  assertFloating(op, yPred, "yPred");
  commonBackend(op, yPred, yTrue);
  const fromLogits = checkFromLogits(op, opts.fromLogits);
  const reduction = checkReduction(op, opts.reduction);
  const smoothing = checkLabelSmoothing(op, opts.labelSmoothing);
  return tidy(() => {
    let y = sameShapeTarget(op, yPred, yTrue);
    if (y.dtype !== yPred.dtype) y = cast(y, yPred.dtype);
    if (smoothing > 0) y = add(mul(y, 1 - smoothing), 0.5 * smoothing);
    let elementwise: Tensor;
    if (fromLogits) elementwise = binaryCrossEntropyWithLogits(yPred, y, { reduction: "none" });
    else {
      const p = clamp(yPred, EPSILON, 1 - EPSILON);
      elementwise = neg(add(mul(y, log(p)), mul(sub(1, y), log(sub(1, p)))));
    }
    const perSample = yPred.ndim >= 2 ? mean(elementwise, -1) : elementwise;
    return reducePerSample(perSample, reduction);
  });
}

/** Keras' BinaryCrossentropy: forward(yPred, yTrue) with 0/1 (or soft) targets. */
export class BinaryCrossentropy extends KerasLoss {
  readonly labelSmoothing: number;
  constructor(opts: SmoothableLossOptions = {}) {
    super("binary_crossentropy", opts);
    this.labelSmoothing = checkLabelSmoothing("BinaryCrossentropy", opts.labelSmoothing);
  }
  // Logits of a binary output are any numbers (values in [0, 1] are plausible logits): no check.
  protected checkInputKind(yPred: Tensor): void {
    if (!this.fromLogits) warnIfNotProbabilities("BinaryCrossentropy", yPred, 1);
  }
  protected compute(yPred: Tensor, yTrue: Tensor): Tensor {
    return binaryCrossentropy(yPred, yTrue, { fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing, reduction: this.reduction });
  }
}
