// Keras' categorical and sparse categorical cross-entropy: yPred holds class probabilities along
// its last axis (a Softmax output) unless fromLogits is set, yTrue holds one-hot rows (or any
// class probabilities) or class indices. Keras' numerics: probabilities are divided by their sum,
// clipped to [1e-7, 1 − 1e-7], then logged; with fromLogits a log-softmax is taken instead.
// (Keras' TensorFlow backend clips before normalising in the sparse case; its other backends
// normalise first, as here, so sparse(p, t) equals categorical(p, oneHot(t)) exactly.)

import type { Tensor } from "../tensor/tensor.js";
import { tidy } from "../tensor/scope.js";
import { isFloating } from "../core/dtype.js";
import { formatShape, shapesEqual } from "../core/shape.js";
import { add, cast, clamp, div, log, mul, neg } from "../ops/elementwise.js";
import { sum } from "../ops/reduce.js";
import { reshape, squeeze, unsqueeze } from "../ops/view.js";
import { logSoftmax } from "../ops/softmax.js";
import { gather } from "../ops/indexing.js";
import { assertFloating, assertTensor, commonBackend } from "../ops/util.js";
import { crossEntropy } from "../nn/loss.js";
import { warnIfNotProbabilities, warnIfProbabilities } from "../nn/score-kind-warnings.js";
import {
  EPSILON, KerasLoss, type KerasLossOptions, type SmoothableLossOptions,
  checkFromLogits, checkLabelSmoothing, checkReduction, reducePerSample,
} from "./keras-loss.js";

function checkPrediction(op: string, yPred: Tensor, yTrue: Tensor): number {
  assertTensor(op, yPred, "yPred");
  assertTensor(op, yTrue, "yTrue");
  assertFloating(op, yPred, "yPred");
  commonBackend(op, yPred, yTrue);
  if (yPred.ndim === 0) throw new RangeError(`${op}: yPred must hold class scores along its last axis ([N, C]), got a 0-d tensor`);
  return yPred.ndim - 1;
}

/** Log-probabilities along the last axis, computed as Keras does. */
function kerasLogProbabilities(yPred: Tensor, axis: number, fromLogits: boolean): Tensor {
  if (fromLogits) return logSoftmax(yPred, axis);
  const normalised = div(yPred, sum(yPred, axis, true));
  return log(clamp(normalised, EPSILON, 1 - EPSILON));
}

/**
 * Keras' categorical_crossentropy: −Σ_c yTrue[c]·log p[c] over the last axis, per sample, then
 * reduced. yTrue has yPred's shape (one-hot rows, e.g. from nb.oneHot, or probabilities).
 */
export function categoricalCrossentropy(yPred: Tensor, yTrue: Tensor, opts: SmoothableLossOptions = {}): Tensor {
  const op = "categoricalCrossentropy";
  const axis = checkPrediction(op, yPred, yTrue);
  const fromLogits = checkFromLogits(op, opts.fromLogits);
  const reduction = checkReduction(op, opts.reduction);
  const smoothing = checkLabelSmoothing(op, opts.labelSmoothing);
  if (!shapesEqual(yPred.shape, yTrue.shape)) {
    const hint = !isFloating(yTrue.dtype) && shapesEqual(yTrue.shape, yPred.shape.slice(0, -1))
      ? ': yTrue holds class indices, so use sparseCategoricalCrossentropy ("sparse_categorical_crossentropy"), or one-hot them with nb.oneHot(y, C)'
      : "";
    throw new RangeError(
      `${op}: yTrue must have yPred's shape ${formatShape(yPred.shape)} (one-hot rows or class probabilities), got ${yTrue.dtype} of shape ${formatShape(yTrue.shape)}${hint}`,
    );
  }
  return tidy(() => {
    const target = yTrue.dtype === yPred.dtype ? yTrue : cast(yTrue, yPred.dtype);
    const classes = yPred.shape[axis];
    const y = smoothing > 0 ? add(mul(target, 1 - smoothing), smoothing / classes) : target;
    const perSample = neg(sum(mul(y, kerasLogProbabilities(yPred, axis, fromLogits)), axis));
    return reducePerSample(perSample, reduction);
  });
}

/** Class indices for yPred [..., C]: int32 (or whole floats) of shape [...] or [..., 1]. */
function classIndices(op: string, yPred: Tensor, yTrue: Tensor): Tensor {
  const expected = yPred.shape.slice(0, -1);
  let t = yTrue;
  if (!shapesEqual(t.shape, expected)) {
    if (t.ndim === expected.length + 1 && t.shape[t.ndim - 1] === 1 && shapesEqual(t.shape.slice(0, -1), expected)) t = reshape(t, expected);
    else {
      const hint = isFloating(t.dtype) && shapesEqual(t.shape, yPred.shape)
        ? ': yTrue looks one-hot, so use categoricalCrossentropy ("categorical_crossentropy")'
        : "";
      throw new RangeError(
        `${op}: yTrue must hold one class index per sample, shape ${formatShape(expected)}, for yPred of shape ${formatShape(yPred.shape)}; got ${formatShape(yTrue.shape)}${hint}`,
      );
    }
  }
  const classes = yPred.shape[yPred.ndim - 1];
  if (t.backend.syncReadable) {
    const values = t.dataSync();
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isInteger(v) || v < 0 || v >= classes) {
        throw new RangeError(`${op}: yTrue holds ${v} at flat index ${i}; class indices must be integers from 0 to ${classes - 1}`);
      }
    }
  }
  return t.dtype === "int32" ? t : cast(t, "int32");
}

/**
 * Keras' sparse_categorical_crossentropy: −log p[yTrue] per sample, then reduced. yTrue holds
 * class indices of shape yPred.shape without its last axis (a trailing 1 is accepted).
 */
export function sparseCategoricalCrossentropy(yPred: Tensor, yTrue: Tensor, opts: KerasLossOptions = {}): Tensor {
  const op = "sparseCategoricalCrossentropy";
  const axis = checkPrediction(op, yPred, yTrue);
  const fromLogits = checkFromLogits(op, opts.fromLogits);
  const reduction = checkReduction(op, opts.reduction);
  return tidy(() => {
    const target = classIndices(op, yPred, yTrue);
    // Logits [N, C]: torch's cross-entropy is the same function and has a fused kernel.
    if (fromLogits && yPred.ndim === 2) return crossEntropy(yPred, target, { reduction });
    const logp = kerasLogProbabilities(yPred, axis, fromLogits);
    const perSample = neg(squeeze(gather(logp, axis, unsqueeze(target, axis)), axis));
    return reducePerSample(perSample, reduction);
  });
}

/** Keras' CategoricalCrossentropy: forward(yPred, yTrue) with one-hot or probability targets. */
export class CategoricalCrossentropy extends KerasLoss {
  readonly labelSmoothing: number;
  constructor(opts: SmoothableLossOptions = {}) {
    super("categorical_crossentropy", opts);
    this.labelSmoothing = checkLabelSmoothing("CategoricalCrossentropy", opts.labelSmoothing);
  }
  protected checkInputKind(yPred: Tensor): void {
    checkProbabilityOrLogits("CategoricalCrossentropy", yPred, this.fromLogits);
  }
  protected compute(yPred: Tensor, yTrue: Tensor): Tensor {
    return categoricalCrossentropy(yPred, yTrue, { fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing, reduction: this.reduction });
  }
}

/** Keras' SparseCategoricalCrossentropy: forward(yPred, yTrue) with class-index targets. */
export class SparseCategoricalCrossentropy extends KerasLoss {
  constructor(opts: KerasLossOptions = {}) {
    super("sparse_categorical_crossentropy", opts);
  }
  protected checkInputKind(yPred: Tensor): void {
    checkProbabilityOrLogits("SparseCategoricalCrossentropy", yPred, this.fromLogits);
  }
  protected compute(yPred: Tensor, yTrue: Tensor): Tensor {
    return sparseCategoricalCrossentropy(yPred, yTrue, { fromLogits: this.fromLogits, reduction: this.reduction });
  }
}

function checkProbabilityOrLogits(loss: string, yPred: Tensor, fromLogits: boolean): void {
  if (yPred.ndim === 0) return; // the loss itself reports it
  // Scores that are divided by their sum may exceed 1; only negative ones cannot be probabilities.
  if (fromLogits) warnIfProbabilities(`${loss}({ fromLogits: true })`, yPred, yPred.ndim - 1);
  else warnIfNotProbabilities(loss, yPred, Infinity);
}
