// Top-k accuracy: the fraction of samples whose true class is among the k highest scores (the
// course's top-5 error is 1 - topKAccuracy(scores, y, 5)). Ties are broken as scikit-learn's
// top_k_accuracy_score breaks them: it ranks classes by a stable ascending sort read backwards,
// so among equal scores the higher class index ranks first; NaN ranks above every number.

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { checkPair, checkRange, checkThreshold, predictionKind, readHost, readTargets } from "./inputs.js";
import type { Metric } from "./metric.js";

const METRIC = "topKAccuracy";

export interface TopKOptions {
  /** Binary probabilities above this count as class 1 when k = 1 (default 0.5). */
  threshold?: number;
  /** Log key (default "top{k}_accuracy", e.g. "top5_accuracy"). */
  name?: string;
}

/** A streaming top-k metric for fit's `metrics: [...]` (logged as "top{k}_accuracy"). */
export function topKAccuracy(k: number, opts?: TopKOptions): TopKAccuracy;
/** Top-k accuracy of scores [N, C] (or binary probabilities [N] / [N, 1], where C = 2). */
export function topKAccuracy(yPred: Tensor, yTrue: Tensor, k: number, opts?: TopKOptions): number;
export function topKAccuracy(first: number | Tensor, second?: Tensor | TopKOptions, k?: number, opts: TopKOptions = {}): number | TopKAccuracy {
  if (typeof first === "number") {
    if (second instanceof Tensor) throw new TypeError(`${METRIC}: give topKAccuracy(k) for a metric, or topKAccuracy(yPred, yTrue, k) for a value; got a number then a tensor`);
    return new TopKAccuracy(first, second ?? {});
  }
  if (!(second instanceof Tensor)) throw new TypeError(`${METRIC}: topKAccuracy(yPred, yTrue, k) needs yTrue as a tensor (or call topKAccuracy(k) for a metric)`);
  const m = new TopKAccuracy(k as number, opts);
  m.update(first, second);
  return m.compute();
}

/** Streaming top-k accuracy: hits and sample counts summed over batches. */
export class TopKAccuracy implements Metric {
  readonly name: string;
  private readonly threshold: number;
  private hits = 0;
  private total = 0;
  /** C of the first batch; later batches must agree. */
  private classes = 0;

  constructor(readonly k: number, opts: TopKOptions = {}) {
    if (typeof k !== "number" || !Number.isInteger(k) || k < 1) {
      throw new RangeError(`${METRIC}: k must be a positive integer, got ${String(k)}`);
    }
    this.threshold = checkThreshold(METRIC, opts.threshold ?? 0.5);
    this.name = opts.name ?? `top${k}_accuracy`;
  }

  update(yPred: Tensor, yTrue: Tensor): void {
    const n = checkPair(METRIC, yPred, yTrue);
    const kind = predictionKind(METRIC, yPred);
    if (kind === "labels") {
      throw new TypeError(
        `${METRIC}: yPred must be scores [N, C] (or binary probabilities [N]), not class indices (${yPred.dtype}, shape ${formatShape(yPred.shape)}): a single predicted class has no ranking`,
      );
    }
    const c = kind === "scores" ? yPred.shape[1] : 2;
    if (this.k > c) {
      throw new RangeError(`${METRIC}: k = ${this.k} is larger than the ${c} classes of yPred (shape ${formatShape(yPred.shape)})`);
    }
    if (this.classes !== 0 && c !== this.classes) {
      throw new RangeError(`${METRIC}: yPred has ${c} classes (shape ${formatShape(yPred.shape)}) but earlier batches had ${this.classes}`);
    }
    const target = readTargets(METRIC, yTrue, kind);
    checkRange(METRIC, "yTrue", target, c, `yPred (shape ${formatShape(yPred.shape)})`, 0);
    const scores = readHost(yPred);
    this.hits += kind === "binary" ? binaryHits(scores, target, this.k, this.threshold) : rankedHits(scores, target, n, c, this.k);
    this.total += n;
    this.classes = c;
  }

  /** Hits / samples; NaN before any sample. */
  compute(): number {
    return this.hits / this.total;
  }

  reset(): void {
    this.hits = 0;
    this.total = 0;
    this.classes = 0;
  }
}

/** With two classes, top-1 is the thresholded prediction and top-2 always hits. */
function binaryHits(p: ArrayLike<number>, target: Int32Array, k: number, threshold: number): number {
  if (k >= 2) return target.length;
  let hits = 0;
  for (let i = 0; i < target.length; i++) if ((p[i] > threshold ? 1 : 0) === target[i]) hits++;
  return hits;
}

/**
 * Counts rows whose true class ranks among the first k. A class outranks the true class t when
 * its score is greater, or equal with a higher index; NaN counts as greater than any number.
 * One pass per row, stopping once k classes outrank t, so no sort is needed.
 */
function rankedHits(s: ArrayLike<number>, target: Int32Array, n: number, c: number, k: number): number {
  let hits = 0;
  for (let i = 0, row = 0; i < n; i++, row += c) {
    const t = target[i];
    const st = s[row + t];
    const tIsNaN = st !== st;
    let above = 0;
    for (let j = 0; j < c && above < k; j++) {
      if (j === t) continue;
      const sj = s[row + j];
      const outranks = tIsNaN ? sj !== sj && j > t : sj !== sj || sj > st || (sj === st && j > t);
      if (outranks) above++;
    }
    if (above < k) hits++;
  }
  return hits;
}
