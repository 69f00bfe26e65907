// Loss functions (torch.nn.functional's) and their modules (torch.nn's): regression losses (MSE,
// L1, Huber, smooth L1), classification losses (cross-entropy, NLL), hinge losses (multi-class
// margin, hinge embedding) and binary ones (BCE, BCE with logits). Each reduces with "mean"
// (default), "sum" or "none" as torch does. Most are compositions of differentiable ops; BCE is
// its own graph node so its gradient keeps torch's clamped form.
//
// One deliberate difference from torch: the elementwise losses throw when input and target shapes
// differ, where torch only warns and broadcasts (which almost always hides a bug, such as an
// [N] target against [N, 1] predictions silently becoming an [N, N] loss).

import { checkOptions } from "../core/options.js";
import { Tensor } from "../tensor/tensor.js";
import { tidy } from "../tensor/scope.js";
import { isFloating } from "../core/dtype.js";
import { broadcastShapes, formatShape, shapesEqual } from "../core/shape.js";
import { noGrad } from "../autograd/grad-mode.js";
import { record } from "../autograd/node.js";
import { assertFloating, assertTensor, commonBackend } from "../ops/util.js";
import {
  abs, add, cast, clamp, div, eq, log, lt, maximum, mul, ne, neg, softplus, square, sub, where,
} from "../ops/elementwise.js";
import { sum } from "../ops/reduce.js";
import { flatten, reshape, squeeze, unsqueeze } from "../ops/view.js";
import { logSoftmax } from "../ops/softmax.js";
import { gather } from "../ops/indexing.js";
import { fusedCrossEntropy } from "../ops/fused-cross-entropy.js";
import { arange } from "../tensor/creation.js";
import { Module } from "./module.js";
import { warnIfProbabilities } from "./score-kind-warnings.js";
import { traceable } from "../graph/recorder.js";
import { kernelCaptureActive } from "../graph/kernel-capture.js";
import { hostCheck } from "../graph/host-check.js";

export type Reduction = "mean" | "sum" | "none";

export interface ReductionOptions {
  /** "mean" (default) averages over elements, "sum" adds them, "none" returns them all. */
  reduction?: Reduction;
}

// ---------------------------------------------------------------------------------------------
// shared checks

function checkReduction(op: string, r: unknown): Reduction {
  if (r === undefined) return "mean";
  if (r !== "mean" && r !== "sum" && r !== "none") {
    throw new RangeError(`${op}: reduction must be "mean", "sum" or "none", got ${JSON.stringify(r)}`);
  }
  return r;
}

function checkNumber(op: string, name: string, v: number, ok: (v: number) => boolean, expected: string): number {
  if (typeof v !== "number" || !ok(v)) throw new RangeError(`${op}: ${name} must be ${expected}, got ${String(v)}`);
  return v;
}

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === "none") return loss;
  const total = sum(loss);
  return reduction === "sum" ? total : div(total, loss.numel());
}

/** Input and target of an elementwise loss: same device, same shape; target in input's dtype. */
function elementwisePair(op: string, input: Tensor, target: Tensor): Tensor {
  assertTensor(op, input);
  assertTensor(op, target, "target");
  assertFloating(op, input);
  commonBackend(op, input, target);
  if (!shapesEqual(input.shape, target.shape)) {
    throw new RangeError(
      `${op}: input of shape ${formatShape(input.shape)} and target of shape ${formatShape(target.shape)} must have the same shape ` +
        `(torch would broadcast them with a warning; reshape one of them, e.g. target.view(${formatShape(input.shape)}))`,
    );
  }
  return target.dtype === input.dtype ? target : cast(target, input.dtype);
}

/** An optional weight tensor that must broadcast to the input's shape (BCE weights, posWeight). */
function broadcastableWeight(op: string, name: string, w: Tensor | null | undefined, input: Tensor): Tensor | null {
  if (w === null || w === undefined) return null;
  assertTensor(op, w, name);
  assertFloating(op, w, name);
  commonBackend(op, input, w);
  let shape: number[] | null = null;
  try {
    shape = broadcastShapes(op, w.shape, input.shape);
  } catch {
    shape = null;
  }
  if (shape === null || !shapesEqual(shape, input.shape)) {
    throw new RangeError(`${op}: ${name} of shape ${formatShape(w.shape)} cannot be broadcast to the input's shape ${formatShape(input.shape)}`);
  }
  return w.dtype === input.dtype ? w : cast(w, input.dtype);
}

// ---------------------------------------------------------------------------------------------
// regression losses

/** Mean squared error: (input − target)², reduced. */
export function mseLoss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  const op = "mseLoss";
  const reduction = checkReduction(op, opts.reduction);
  const y = elementwisePair(op, input, target);
  return tidy(() => reduce(square(sub(input, y)), reduction));
}

/** Mean absolute error (L1): |input − target|, reduced. */
export function l1Loss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  const op = "l1Loss";
  const reduction = checkReduction(op, opts.reduction);
  const y = elementwisePair(op, input, target);
  return tidy(() => reduce(abs(sub(input, y)), reduction));
}

/** Huber loss: ½d² where |d| < delta, else delta·(|d| − ½delta), with d = input − target. */
export function huberLoss(input: Tensor, target: Tensor, opts: ReductionOptions & { delta?: number } = {}): Tensor {
  const op = "huberLoss";
  const reduction = checkReduction(op, opts.reduction);
  const delta = checkNumber(op, "delta", opts.delta ?? 1, (v) => v > 0 && Number.isFinite(v), "a positive number");
  const y = elementwisePair(op, input, target);
  return tidy(() => {
    const d = sub(input, y);
    const a = abs(d);
    const quadratic = mul(square(d), 0.5);
    const linear = mul(sub(a, 0.5 * delta), delta);
    return reduce(where(lt(a, delta), quadratic, linear), reduction);
  });
}

/**
 * Smooth L1 loss: ½d²/beta where |d| < beta, else |d| − ½beta. It equals Huber/beta; beta = 0 is
 * plain L1.
 */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: ReductionOptions & { beta?: number } = {}): Tensor {
  const op = "smoothL1Loss";
  const reduction = checkReduction(op, opts.reduction);
  const beta = checkNumber(op, "beta", opts.beta ?? 1, (v) => v >= 0 && Number.isFinite(v), "a non-negative number");
  const y = elementwisePair(op, input, target);
  return tidy(() => {
    const d = sub(input, y);
    const a = abs(d);
    if (beta === 0) return reduce(a, reduction);
    const quadratic = mul(square(d), 0.5 / beta);
    const linear = sub(a, 0.5 * beta);
    return reduce(where(lt(a, beta), quadratic, linear), reduction);
  });
}

// ---------------------------------------------------------------------------------------------
// classification: class indices or class probabilities over dimension 1 (0 for unbatched [C])

export interface NllLossOptions extends ReductionOptions {
  /** One rescaling weight per class, shape [C]. */
  weight?: Tensor | null;
  /** Targets equal to this contribute nothing, to the loss or to the mean's divisor. Default -100. */
  ignoreIndex?: number;
}

export interface CrossEntropyOptions extends NllLossOptions {
  /** Mix the target with the uniform distribution: (1 − ε)·target + ε/C. In [0, 1], default 0. */
  labelSmoothing?: number;
}

/** The class dimension and count of an input of shape [C], [N, C] or [N, C, d1, ...]. */
function classGeometry(op: string, input: Tensor): { classDim: number; numClasses: number } {
  if (input.ndim === 0) {
    throw new RangeError(`${op}: input must have shape [C], [N, C] or [N, C, d1, ...], got a 0-d tensor`);
  }
  const classDim = input.ndim === 1 ? 0 : 1;
  return { classDim, numClasses: input.shape[classDim] };
}

function checkClassWeight(op: string, weight: Tensor | null | undefined, input: Tensor, numClasses: number): Tensor | null {
  if (weight === null || weight === undefined) return null;
  assertTensor(op, weight, "weight");
  assertFloating(op, weight, "weight");
  commonBackend(op, input, weight);
  if (weight.ndim !== 1 || weight.shape[0] !== numClasses) {
    throw new RangeError(`${op}: weight must have shape [${numClasses}] (one per class), got ${formatShape(weight.shape)}`);
  }
  return weight.dtype === input.dtype ? weight : cast(weight, input.dtype);
}

function checkIgnoreIndex(op: string, v: number | undefined): number {
  return checkNumber(op, "ignoreIndex", v ?? -100, Number.isInteger, "an integer");
}

/**
 * Validate int32 class-index targets against the input ([N, d1, ...] for input [N, C, d1, ...])
 * and scan their values: every one is a class or ignoreIndex. Returns how many are not ignored.
 * The scan reads the targets on the host, which is cheap next to the loss itself on cpu; a
 * backend that cannot be read synchronously skips it (its gather kernel reports bad indices).
 */
function checkClassTargets(op: string, input: Tensor, target: Tensor, classDim: number, numClasses: number, ignoreIndex: number): number {
  const expected = input.shape.filter((_, i) => i !== classDim);
  if (!shapesEqual(target.shape, expected)) {
    if (input.ndim >= 2 && target.ndim >= 1 && target.ndim === expected.length && target.shape[0] !== expected[0]) {
      throw new RangeError(
        `${op}: batch size mismatch: input of shape ${formatShape(input.shape)} has ${expected[0]} samples but target of shape ${formatShape(target.shape)} has ${target.shape[0]}`,
      );
    }
    throw new RangeError(
      `${op}: expected target of shape ${formatShape(expected)} (one class index per sample for input of shape ${formatShape(input.shape)}), got ${formatShape(target.shape)}`,
    );
  }
  if (!target.backend.syncReadable) return -1;
  // Under a kernel capture the count must not shape the kernels that follow (a replay would reuse
  // it for batches that ignore other targets): the scan only validates, and the caller counts the
  // kept targets with kernels (-1).
  const capturing = kernelCaptureActive();
  const values = capturing ? hostCheck(() => target.dataSync()) : target.dataSync();
  let kept = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === ignoreIndex) continue;
    if (v < 0 || v >= numClasses) {
      throw new RangeError(`${op}: target ${v} is out of range for ${numClasses} classes`);
    }
    kept++;
  }
  return capturing ? -1 : kept;
}

/**
 * The negative log-likelihood part shared by nllLoss and crossEntropy: −w[t]·logProbs[t] per
 * sample, zero where the target is ignored, reduced; "mean" divides by the summed weights of
 * the targets that are not ignored (their count without weights), as torch.
 * Also returns what label smoothing needs: the mask of kept samples and the mean's divisor.
 */
function nllCore(
  logProbs: Tensor, target: Tensor, weight: Tensor | null, ignoreIndex: number, reduction: Reduction,
  classDim: number, kept: number,
): { loss: Tensor; keep: Tensor | null; divisor: Tensor | number } {
  const n = target.numel();
  // With no ignored targets (known from the host scan) the mask and the safe copy are skipped.
  const keep = kept === n ? null : ne(target, ignoreIndex);
  const safeTarget = keep ? where(keep, target, 0) : target;
  const picked = squeeze(gather(logProbs, classDim, unsqueeze(safeTarget, classDim)), classDim);
  const targetWeight = weight ? reshape(gather(weight, 0, flatten(safeTarget)), target.shape) : null;
  let contrib = targetWeight ? mul(picked, targetWeight) : picked;
  // where, not a multiply by 0: an ignored sample's picked log-probability may be -inf.
  if (keep) contrib = where(keep, contrib, 0);
  let divisor: Tensor | number;
  if (targetWeight) divisor = sum(keep ? where(keep, targetWeight, 0) : targetWeight);
  else divisor = kept >= 0 ? kept : sum(keep ?? ne(target, ignoreIndex));
  let loss: Tensor;
  if (reduction === "none") loss = neg(contrib);
  else if (reduction === "sum") loss = neg(sum(contrib));
  else loss = div(sum(contrib), typeof divisor === "number" ? -divisor : neg(divisor));
  return { loss, keep, divisor };
}

/** Weight of shape [C] reshaped to broadcast along the class dimension of an input of rank nd. */
function alongClassDim(weight: Tensor, nd: number, classDim: number): Tensor {
  const shape = new Array<number>(nd).fill(1);
  shape[classDim] = weight.shape[0];
  return reshape(weight, shape);
}

/**
 * Negative log-likelihood loss on log-probabilities [C], [N, C] or [N, C, d1, ...] and int32 class
 * indices [], [N] or [N, d1, ...]: −weight[t]·input[t] per sample.
 */
export function nllLoss(input: Tensor, target: Tensor, opts: NllLossOptions = {}): Tensor {
  const op = "nllLoss";
  assertTensor(op, input);
  assertTensor(op, target, "target");
  assertFloating(op, input);
  commonBackend(op, input, target);
  const reduction = checkReduction(op, opts.reduction);
  const ignoreIndex = checkIgnoreIndex(op, opts.ignoreIndex);
  const { classDim, numClasses } = classGeometry(op, input);
  const weight = checkClassWeight(op, opts.weight, input, numClasses);
  if (target.dtype !== "int32") {
    throw new TypeError(`${op}: target must be int32 class indices, got ${target.dtype} of shape ${formatShape(target.shape)}`);
  }
  const kept = checkClassTargets(op, input, target, classDim, numClasses, ignoreIndex);
  return tidy(() => nllCore(input, target, weight, ignoreIndex, reduction, classDim, kept).loss);
}

/**
 * Cross-entropy between logits [C], [N, C] or [N, C, d1, ...] and either int32 class indices
 * ([], [N] or [N, d1, ...]) or class probabilities of the input's shape. Computed through one
 * logSoftmax, so it is stable for any logits.
 *
 * Label smoothing ε follows torch exactly: with indices the loss is (1 − ε)·nll + (ε/C)·s where
 * s = −Σ_c weight[c]·logp[c] per sample (ignored samples count 0), reduced like nll ("mean"
 * divides by the same summed target weights); with probabilities the target becomes
 * (1 − ε)·p + ε/C. With probabilities, "mean" divides by the number of samples N·d1·…
 * (not by weights) and ignoreIndex does not apply, as in torch.
 */
// Traceable as one op: its fused kernel is not a public op, so graph capture records the call.
export const crossEntropy = traceable("crossEntropy", crossEntropyEager);

function crossEntropyEager(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const op = "crossEntropy";
  assertTensor(op, input);
  assertTensor(op, target, "target");
  assertFloating(op, input);
  commonBackend(op, input, target);
  const reduction = checkReduction(op, opts.reduction);
  const ignoreIndex = checkIgnoreIndex(op, opts.ignoreIndex);
  const smoothing = checkNumber(op, "labelSmoothing", opts.labelSmoothing ?? 0, (v) => v >= 0 && v <= 1, "in [0, 1]");
  const { classDim, numClasses } = classGeometry(op, input);
  const weight = checkClassWeight(op, opts.weight, input, numClasses);

  if (isFloating(target.dtype) && shapesEqual(target.shape, input.shape)) {
    const probs = target.dtype === input.dtype ? target : cast(target, input.dtype);
    return tidy(() => probabilityCrossEntropy(input, probs, weight, smoothing, reduction, classDim, numClasses));
  }
  if (target.dtype !== "int32") {
    throw new TypeError(
      `${op}: target must be int32 class indices (or float probabilities of the input's shape ${formatShape(input.shape)}), got ${target.dtype} of shape ${formatShape(target.shape)}`,
    );
  }
  const kept = checkClassTargets(op, input, target, classDim, numClasses, ignoreIndex);
  if (weight === null && smoothing === 0) {
    const fused = fusedCrossEntropy(input, target, ignoreIndex, reduction);
    if (fused) return fused;
  }
  return tidy(() => {
    const logProbs = logSoftmax(input, classDim);
    const nll = nllCore(logProbs, target, weight, ignoreIndex, reduction, classDim, kept);
    if (smoothing === 0) return nll.loss;
    // s (negated): Σ_c weight[c]·logp[c] per sample, zero for ignored samples.
    const weighted = weight ? mul(logProbs, alongClassDim(weight, input.ndim, classDim)) : logProbs;
    let s = sum(weighted, classDim);
    if (nll.keep) s = where(nll.keep, s, 0);
    let smooth: Tensor;
    if (reduction === "none") smooth = neg(s);
    else if (reduction === "sum") smooth = neg(sum(s));
    else smooth = div(sum(s), typeof nll.divisor === "number" ? -nll.divisor : neg(nll.divisor));
    return add(mul(nll.loss, 1 - smoothing), mul(smooth, smoothing / numClasses));
  });
}

function probabilityCrossEntropy(
  input: Tensor, probs: Tensor, weight: Tensor | null, smoothing: number, reduction: Reduction, classDim: number, numClasses: number,
): Tensor {
  const logProbs = logSoftmax(input, classDim);
  const p = smoothing > 0 ? add(mul(probs, 1 - smoothing), smoothing / numClasses) : probs;
  let terms = mul(logProbs, p);
  if (weight) terms = mul(terms, alongClassDim(weight, input.ndim, classDim));
  if (reduction === "none") return neg(sum(terms, classDim));
  if (reduction === "sum") return neg(sum(terms));
  // Divided by the number of samples; an empty batch gives NaN, as torch.
  return div(sum(terms), -(input.numel() / numClasses));
}

// ---------------------------------------------------------------------------------------------
// margin (hinge) losses: the linear SVM's losses, as R-CNN trains its per-class classifiers

export interface MultiMarginLossOptions extends ReductionOptions {
  /** 1 (default, the hinge) or 2 (the squared hinge). */
  p?: 1 | 2;
  /** The margin the true class's score must beat every other score by. Default 1. */
  margin?: number;
  /** One rescaling weight per class, shape [C], applied by the true class. */
  weight?: Tensor | null;
}

function checkMarginP(op: string, p: unknown): 1 | 2 {
  if (p === undefined) return 1;
  if (p !== 1 && p !== 2) throw new RangeError(`${op}: p must be 1 or 2 (the hinge or the squared hinge), got ${String(p)}`);
  return p;
}

const finiteNumber = (v: number): boolean => Number.isFinite(v);

/**
 * Multi-class hinge loss (torch's multi_margin_loss) on scores [C] or [N, C] and int32 class
 * indices [] or [N]: per sample, Σ_{i≠y} weight[y]·max(0, margin − x[y] + x[i])^p / C.
 */
export function multiMarginLoss(input: Tensor, target: Tensor, opts: MultiMarginLossOptions = {}): Tensor {
  const op = "multiMarginLoss";
  assertTensor(op, input);
  assertTensor(op, target, "target");
  assertFloating(op, input);
  commonBackend(op, input, target);
  const reduction = checkReduction(op, opts.reduction);
  const p = checkMarginP(op, opts.p);
  const margin = checkNumber(op, "margin", opts.margin ?? 1, finiteNumber, "a finite number");
  if (input.ndim !== 1 && input.ndim !== 2) {
    throw new RangeError(`${op}: input must have shape [C] or [N, C] (one score per class), got ${formatShape(input.shape)}`);
  }
  const { classDim, numClasses } = classGeometry(op, input);
  const weight = checkClassWeight(op, opts.weight, input, numClasses);
  if (target.dtype !== "int32") {
    throw new TypeError(`${op}: target must be int32 class indices, got ${target.dtype} of shape ${formatShape(target.shape)}`);
  }
  checkClassTargets(op, input, target, classDim, numClasses, Number.NaN);
  return tidy(() => {
    const y = unsqueeze(target, classDim);
    const trueScore = gather(input, classDim, y);
    const hinge = clamp(add(sub(input, trueScore), margin), 0);
    let terms = p === 2 ? square(hinge) : hinge;
    if (weight) terms = mul(terms, gather(weight, 0, flatten(y)).reshape(y.shape));
    // The true class's own term (margin − x[y] + x[y] = margin) is not part of the sum.
    const classes = arange(0, numClasses, 1, { dtype: "int32", device: input.device });
    terms = where(eq(classes, y), 0, terms);
    return reduce(div(sum(terms, classDim), numClasses), reduction);
  });
}

export interface HingeEmbeddingLossOptions extends ReductionOptions {
  /** The margin a dissimilar pair's (target −1) distance must reach. Default 1. */
  margin?: number;
}

/**
 * Hinge embedding loss (torch's hinge_embedding_loss) on distances and targets of ±1 of the same
 * shape: x where the target is 1, max(0, margin − x) where it is −1 (both terms for any other
 * target value, as torch computes it).
 */
export function hingeEmbeddingLoss(input: Tensor, target: Tensor, opts: HingeEmbeddingLossOptions = {}): Tensor {
  const op = "hingeEmbeddingLoss";
  const reduction = checkReduction(op, opts.reduction);
  const margin = checkNumber(op, "margin", opts.margin ?? 1, finiteNumber, "a finite number");
  const y = elementwisePair(op, input, target);
  return tidy(() => {
    const marginTerm = where(ne(y, 1), clamp(sub(margin, input), 0), 0);
    const selfTerm = where(ne(y, -1), input, 0);
    return reduce(add(marginTerm, selfTerm), reduction);
  });
}

// ---------------------------------------------------------------------------------------------
// binary classification

export interface BceOptions extends ReductionOptions {
  /** Rescaling weight broadcast to the input's shape (e.g. one per sample, [N, 1]). */
  weight?: Tensor | null;
}

export interface BceWithLogitsOptions extends BceOptions {
  /** Weight of positive examples, broadcast to the input's shape (usually one per class, [C]). */
  posWeight?: Tensor | null;
}

/** Host check that BCE's input holds probabilities (torch checks this inside its kernel). */
function checkProbabilities(op: string, input: Tensor): void {
  if (!input.backend.syncReadable) return;
  const values = input.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = input.dtype === "float32" ? Number(values[i].toPrecision(7)) : values[i];
    if (!(v >= 0 && v <= 1)) {
      throw new RangeError(
        `${op}: input must hold probabilities in [0, 1], found ${v} at flat index ${i} of shape ${formatShape(input.shape)} ` +
          "(apply sigmoid first, or use binaryCrossEntropyWithLogits on the logits)",
      );
    }
  }
}

/** torch's floor for x(1 − x) in BCE's gradient: the float32 constant 1e-12, in every dtype. */
const BCE_EPSILON = Math.fround(1e-12);

/** log(x) clamped below at -100, as torch's BCE does so that log(0) stays finite. */
const clampedLog = (x: Tensor): Tensor => clamp(log(x), -100);

/**
 * Binary cross-entropy between probabilities and targets of the same shape:
 * −weight·(t·log x + (1 − t)·log(1 − x)), each log clamped at −100 as torch.
 * The gradient is torch's: weight·(x − t)/max(x(1 − x), 1e-12) for the input (finite at 0 and 1).
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: BceOptions = {}): Tensor {
  const op = "binaryCrossEntropy";
  const reduction = checkReduction(op, opts.reduction);
  const y = elementwisePair(op, input, target);
  const weight = broadcastableWeight(op, "weight", opts.weight, input);
  checkProbabilities(op, input);
  return tidy(() => reduce(bceElementwise(input, y, weight), reduction));
}

function bceElementwise(x: Tensor, y: Tensor, weight: Tensor | null): Tensor {
  const out = noGrad(() => {
    const unweighted = neg(add(mul(y, clampedLog(x)), mul(sub(1, y), clampedLog(sub(1, x)))));
    return weight ? mul(unweighted, weight) : unweighted;
  });
  const inputs = weight ? [x, y, weight] : [x, y];
  return record("BinaryCrossEntropyBackward", inputs, out, (g, [sx, sy, sw], needs) => {
    const gw = sw ? mul(g, sw) : g;
    const lx = clampedLog(sx), l1x = clampedLog(sub(1, sx));
    const grads = [
      needs[0] ? div(mul(gw, sub(sx, sy)), maximum(mul(sx, sub(1, sx)), BCE_EPSILON)) : null,
      needs[1] ? mul(gw, sub(l1x, lx)) : null,
    ];
    if (sw) grads.push(needs[2] ? neg(mul(g, add(mul(sy, lx), mul(sub(1, sy), l1x)))) : null);
    return grads;
  }, inputs);
}

/**
 * Binary cross-entropy on logits, fused with the sigmoid for stability:
 * weight·[(1 − t)·x + (1 + (posWeight − 1)·t)·softplus(−x)], which never exponentiates a large
 * positive number; its input gradient is weight·[(1 + (posWeight − 1)·t)·σ(x) − posWeight·t].
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, opts: BceWithLogitsOptions = {}): Tensor {
  const op = "binaryCrossEntropyWithLogits";
  const reduction = checkReduction(op, opts.reduction);
  const y = elementwisePair(op, input, target);
  const weight = broadcastableWeight(op, "weight", opts.weight, input);
  const posWeight = broadcastableWeight(op, "posWeight", opts.posWeight, input);
  return tidy(() => {
    const logSigmoidTerm = softplus(neg(input)); // −log σ(x)
    const positive = posWeight ? mul(add(mul(sub(posWeight, 1), y), 1), logSigmoidTerm) : logSigmoidTerm;
    let loss = add(mul(sub(1, y), input), positive);
    if (weight) loss = mul(loss, weight);
    return reduce(loss, reduction);
  });
}

// ---------------------------------------------------------------------------------------------
// modules

/** torch's deprecated reduction flags, pointed to `reduction`. */
const LEGACY_REDUCTION = { size_average: 'reduction: "mean" or "sum"', reduce: 'reduction: "none"' };

/** Common base of the loss modules: a reduction and forward(input, target); `known` lists the options the loss takes. */
abstract class Loss extends Module {
  readonly reduction: Reduction;
  constructor(name: string, opts: ReductionOptions, known: readonly string[]) {
    super();
    checkOptions(name, opts, ["reduction", ...known], LEGACY_REDUCTION);
    this.reduction = checkReduction(name, opts.reduction);
  }
  abstract override forward(input: Tensor, target: Tensor): Tensor;
}

export class MSELoss extends Loss {
  constructor(opts: ReductionOptions = {}) {
    super("MSELoss", opts, []);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

export class L1Loss extends Loss {
  constructor(opts: ReductionOptions = {}) {
    super("L1Loss", opts, []);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(opts: ReductionOptions & { delta?: number } = {}) {
    super("HuberLoss", opts, ["delta"]);
    this.delta = checkNumber("HuberLoss", "delta", opts.delta ?? 1, (v) => v > 0 && Number.isFinite(v), "a positive number");
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(opts: ReductionOptions & { beta?: number } = {}) {
    super("SmoothL1Loss", opts, ["beta"]);
    this.beta = checkNumber("SmoothL1Loss", "beta", opts.beta ?? 1, (v) => v >= 0 && Number.isFinite(v), "a non-negative number");
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/** Class weights are a buffer named "weight", as torch registers them (saved and moved with .to). */
abstract class WeightedLoss extends Loss {
  declare readonly weight: Tensor | null;
  constructor(name: string, opts: ReductionOptions & { weight?: Tensor | null }, known: readonly string[]) {
    super(name, opts, ["weight", ...known]);
    const weight = opts.weight;
    if (weight !== null && weight !== undefined) assertTensor(name, weight, "weight");
    this.registerBuffer("weight", weight ?? null);
  }
}

export class NLLLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  /** Whether the first input was checked for probabilities (a Softmax where LogSoftmax belongs). */
  private _inputChecked = false;
  constructor(opts: NllLossOptions = {}) {
    super("NLLLoss", opts, ["ignoreIndex"]);
    this.ignoreIndex = checkIgnoreIndex("NLLLoss", opts.ignoreIndex);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    if (!this._inputChecked && input instanceof Tensor && input.ndim > 0) {
      this._inputChecked = true;
      warnIfProbabilities("NLLLoss", input, input.ndim === 1 ? 0 : 1, "log-probabilities");
    }
    return nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

export class CrossEntropyLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  /** Whether the first input was checked for probabilities (a model ending in Softmax). */
  private _inputChecked = false;
  constructor(opts: CrossEntropyOptions = {}) {
    super("CrossEntropyLoss", opts, ["ignoreIndex", "labelSmoothing"]);
    this.ignoreIndex = checkIgnoreIndex("CrossEntropyLoss", opts.ignoreIndex);
    this.labelSmoothing = checkNumber("CrossEntropyLoss", "labelSmoothing", opts.labelSmoothing ?? 0, (v) => v >= 0 && v <= 1, "in [0, 1]");
  }
  forward(input: Tensor, target: Tensor): Tensor {
    // Once per instance (so once per fit for a loss name): a Softmax output here is softmax'd twice.
    if (!this._inputChecked && input instanceof Tensor && input.ndim > 0) {
      this._inputChecked = true;
      warnIfProbabilities("CrossEntropyLoss", input, input.ndim === 1 ? 0 : 1);
    }
    return crossEntropy(input, target, {
      weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing,
    });
  }
}

export class BCELoss extends WeightedLoss {
  constructor(opts: BceOptions = {}) {
    super("BCELoss", opts, []);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

export class BCEWithLogitsLoss extends WeightedLoss {
  declare readonly pos_weight: Tensor | null;
  constructor(opts: BceWithLogitsOptions = {}) {
    super("BCEWithLogitsLoss", opts, ["posWeight"]);
    if (opts.posWeight !== null && opts.posWeight !== undefined) assertTensor("BCEWithLogitsLoss", opts.posWeight, "posWeight");
    this.registerBuffer("pos_weight", opts.posWeight ?? null);
  }
  get posWeight(): Tensor | null {
    return this.pos_weight;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, { weight: this.weight, posWeight: this.pos_weight, reduction: this.reduction });
  }
}

export class MultiMarginLoss extends WeightedLoss {
  readonly p: 1 | 2;
  readonly margin: number;
  constructor(opts: MultiMarginLossOptions = {}) {
    super("MultiMarginLoss", opts, ["p", "margin"]);
    this.p = checkMarginP("MultiMarginLoss", opts.p);
    this.margin = checkNumber("MultiMarginLoss", "margin", opts.margin ?? 1, finiteNumber, "a finite number");
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return multiMarginLoss(input, target, { p: this.p, margin: this.margin, weight: this.weight, reduction: this.reduction });
  }
}

export class HingeEmbeddingLoss extends Loss {
  readonly margin: number;
  constructor(opts: HingeEmbeddingLossOptions = {}) {
    super("HingeEmbeddingLoss", opts, ["margin"]);
    this.margin = checkNumber("HingeEmbeddingLoss", "margin", opts.margin ?? 1, finiteNumber, "a finite number");
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return hingeEmbeddingLoss(input, target, { margin: this.margin, reduction: this.reduction });
  }
}
