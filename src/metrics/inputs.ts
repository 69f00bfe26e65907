// Turning one batch of (yPred, yTrue) tensors into host arrays of class indices, with the checks
// every metric shares. yTrue may be class indices or one-hot rows (Keras' to_categorical).
// Metrics are read by people, so they work on plain numbers on the host; the only device work is
// the argmax over [N, C] scores, so that just N indices cross the bus.

import type { TypedArray } from "../core/dtype.js";
import { isFloating } from "../core/dtype.js";
import { formatShape } from "../core/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { noGrad } from "../autograd/grad-mode.js";
import { argmax } from "../ops/reduce.js";
import { to } from "../ops/view.js";
import { assertTensor } from "../ops/util.js";

/**
 * How yPred was read: "scores" = logits/probabilities [N, C] (argmax taken), "binary" =
 * probabilities [N] or [N, 1] thresholded, "labels" = class indices [N] (int32 or bool).
 */
export type PredictionKind = "scores" | "binary" | "labels";

export interface LabelBatch {
  readonly pred: Int32Array;
  readonly target: Int32Array;
  readonly kind: PredictionKind;
  /** Classes the batch itself fixes: C of scores, 2 of binary probabilities, 0 for labels. */
  readonly fixedClasses: number;
  /** Largest class index seen in pred or target, plus one. */
  readonly span: number;
}

/** The class count already known when a batch arrives, and where it came from (for messages). */
export interface KnownClasses {
  count: number;
  source: string;
}

/** A row-major host copy of t, from any backend. */
export function readHost(t: Tensor): TypedArray {
  if (t.backend.syncReadable) return t.dataSync();
  const onCpu = noGrad(() => to(t, "cpu"));
  try {
    return onCpu.dataSync();
  } finally {
    if (onCpu !== t) onCpu.dispose();
  }
}

/** How yPred of this shape and dtype is read (and a clear error when it cannot be). */
export function predictionKind(metric: string, yPred: Tensor): PredictionKind {
  const s = yPred.shape;
  const floating = isFloating(yPred.dtype);
  if (s.length === 1 || (s.length === 2 && s[1] === 1)) return floating ? "binary" : "labels";
  if (s.length === 2 && s[1] >= 2) return "scores";
  throw new RangeError(
    `${metric}: yPred must be scores [N, C], probabilities [N] or [N, 1], or int32 class indices [N]; ` +
      `got ${yPred.dtype} of shape ${formatShape(s)}`,
  );
}

export function checkThreshold(metric: string, threshold: unknown): number {
  if (typeof threshold !== "number" || !Number.isFinite(threshold)) {
    throw new TypeError(`${metric}: threshold must be a finite number, got ${String(threshold)}`);
  }
  return threshold;
}

export function checkClassCount(metric: string, numClasses: unknown): number | undefined {
  if (numClasses === undefined) return undefined;
  if (typeof numClasses !== "number" || !Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`${metric}: numClasses must be a positive integer, got ${String(numClasses)}`);
  }
  return numClasses;
}

/** Whether yTrue is one-hot rows (or class probabilities) [N, C], as Keras' to_categorical gives. */
const isOneHot = (yTrue: Tensor): boolean => yTrue.ndim === 2 && yTrue.shape[1] >= 2;

/** Checks yTrue's shape against yPred's and returns N. */
export function checkPair(metric: string, yPred: Tensor, yTrue: Tensor): number {
  assertTensor(metric, yPred, "yPred");
  assertTensor(metric, yTrue, "yTrue");
  const t = yTrue.shape;
  if (!(t.length === 1 || (t.length === 2 && t[1] === 1) || isOneHot(yTrue))) {
    throw new RangeError(`${metric}: yTrue must hold one class index per sample, shape [N] or [N, 1], or one-hot rows [N, C]; got shape ${formatShape(t)}`);
  }
  if (yPred.ndim === 0) {
    throw new RangeError(`${metric}: yPred must be scores [N, C], probabilities [N] or [N, 1], or class indices [N]; got a 0-d tensor`);
  }
  if (isOneHot(yTrue) && yPred.ndim === 2 && yPred.shape[1] >= 2 && yPred.shape[1] !== t[1]) {
    throw new RangeError(`${metric}: yTrue is one-hot for ${t[1]} classes (shape ${formatShape(t)}) but yPred scores ${yPred.shape[1]} (shape ${formatShape(yPred.shape)})`);
  }
  const n = yPred.shape[0];
  if (t[0] !== n) {
    throw new RangeError(
      `${metric}: yPred has ${n} samples (shape ${formatShape(yPred.shape)}) but yTrue has ${t[0]} (shape ${formatShape(t)})`,
    );
  }
  return n;
}

/**
 * Reads a batch into predicted and true class indices. `known` is the class count fixed so far
 * (numClasses, or earlier batches' scores); a batch that disagrees with it is an error.
 */
export function readLabels(metric: string, yPred: Tensor, yTrue: Tensor, threshold: number, known: KnownClasses | null): LabelBatch {
  checkPair(metric, yPred, yTrue);
  const kind = predictionKind(metric, yPred);
  const fixedClasses = kind === "scores" ? yPred.shape[1] : kind === "binary" ? 2 : 0;
  if (known && fixedClasses > 0 && fixedClasses !== known.count) {
    const what = kind === "scores" ? `scores for ${fixedClasses} classes (shape ${formatShape(yPred.shape)})` : `binary probabilities (2 classes, shape ${formatShape(yPred.shape)})`;
    throw new RangeError(`${metric}: yPred holds ${what}, but ${known.source} says ${known.count} classes`);
  }
  const limit = known ? known.count : fixedClasses > 0 ? fixedClasses : Infinity;
  const limitSource = known ? known.source : kind === "scores" ? `yPred's scores (shape ${formatShape(yPred.shape)})` : "binary probabilities";

  const target = readTargets(metric, yTrue, kind);
  const pred = kind === "scores" ? argmaxRows(yPred) : kind === "binary" ? thresholded(yPred, threshold) : readIndices(yPred);
  let span = 0;
  span = checkRange(metric, "yTrue", target, limit, limitSource, span);
  span = checkRange(metric, "yPred", pred, limit, limitSource, span);
  return { pred, target, kind, fixedClasses, span };
}

/**
 * yTrue as class indices: int32/bool indices, the argmax of one-hot rows [N, C] (Keras'
 * categorical accuracy), or float 0/1 next to binary probabilities.
 */
export function readTargets(metric: string, yTrue: Tensor, kind: PredictionKind): Int32Array {
  if (isOneHot(yTrue)) return oneHotClasses(metric, yTrue);
  if (!isFloating(yTrue.dtype)) return readIndices(yTrue);
  // Binary cross-entropy wants float 0/1 targets, so those are accepted next to probabilities.
  const values = readHost(yTrue);
  if (kind === "binary") {
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v !== 0 && v !== 1) {
        throw new TypeError(`${metric}: float yTrue next to binary probabilities must hold 0 or 1, got ${v} at index ${i} (${yTrue.dtype}, shape ${formatShape(yTrue.shape)})`);
      }
      out[i] = v;
    }
    return out;
  }
  throw new TypeError(
    `${metric}: yTrue must hold int32 class indices, got ${yTrue.dtype} (shape ${formatShape(yTrue.shape)}); convert it with y.to("int32")`,
  );
}

/**
 * The class of each one-hot (or class-probability) row: its first maximum. Rows must be
 * distributions, so multi-label 0/1 targets (rows summing to 0 or to more than 1) are refused
 * rather than scored as if each row had one class.
 */
function oneHotClasses(metric: string, yTrue: Tensor): Int32Array {
  const [n, c] = yTrue.shape;
  const v = readHost(yTrue);
  const out = new Int32Array(n);
  for (let i = 0, row = 0; i < n; i++, row += c) {
    let best = 0, total = 0;
    for (let j = 0; j < c; j++) {
      const x = v[row + j];
      if (!(x >= 0)) throw new RangeError(`${metric}: one-hot yTrue holds ${x} in row ${i}; rows must be one-hot or class probabilities (shape ${formatShape(yTrue.shape)})`);
      total += x;
      if (x > v[row + best]) best = j;
    }
    if (Math.abs(total - 1) > 1e-3) {
      throw new RangeError(
        `${metric}: row ${i} of yTrue (shape ${formatShape(yTrue.shape)}) sums to ${total}, so it is not one-hot; ` +
          "give one class per sample (one-hot rows or class indices); multi-label targets have no single class to compare",
      );
    }
    out[i] = best;
  }
  return out;
}

function readIndices(t: Tensor): Int32Array {
  const v = readHost(t);
  return v instanceof Int32Array ? v : Int32Array.from(v);
}

function argmaxRows(scores: Tensor): Int32Array {
  const idx = noGrad(() => argmax(scores, 1));
  try {
    return readIndices(idx);
  } finally {
    idx.dispose();
  }
}

function thresholded(probabilities: Tensor, threshold: number): Int32Array {
  const p = readHost(probabilities);
  const out = new Int32Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = p[i] > threshold ? 1 : 0;
  return out;
}

/** Checks 0 <= label < limit for every label and returns max(span, largest label + 1). */
export function checkRange(metric: string, which: string, labels: Int32Array, limit: number, limitSource: string, span: number): number {
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (c < 0) throw new RangeError(`${metric}: ${which} holds class ${c} at index ${i}; class indices must be >= 0`);
    if (c >= limit) {
      throw new RangeError(`${metric}: ${which} holds class ${c} at index ${i}, outside the ${limit} classes of ${limitSource} (valid: 0 to ${limit - 1})`);
    }
    if (c >= span) span = c + 1;
  }
  return span;
}
