// Running per-class counts over batches: true positives, predicted and actual counts per class,
// and optionally the whole confusion matrix. Every classification metric is a function of these
// counts, so summing them batch by batch gives exactly the value on the whole set.

import type { Tensor } from "../tensor/tensor.js";
import { checkClassCount, checkThreshold, readLabels, type KnownClasses, type LabelBatch } from "./inputs.js";

export interface TallyOptions {
  /** The number of classes; inferred (C of scores, 2 for binary, else the largest label + 1) when left out. */
  numClasses?: number;
  /** Binary probabilities above this count as class 1 (default 0.5). */
  threshold?: number;
}

/** Per-class totals, indexed by class. */
export interface ClassTotals {
  readonly numClasses: number;
  readonly truePositives: readonly number[];
  readonly predicted: readonly number[];
  readonly actual: readonly number[];
  readonly correct: number;
  readonly total: number;
  /** Every batch so far held binary probabilities ([N] or [N, 1] floats). */
  readonly allBinary: boolean;
}

export class ClassTally implements ClassTotals {
  truePositives: number[] = [];
  predicted: number[] = [];
  actual: number[] = [];
  /** matrix[t][p]: samples of true class t predicted as p (kept only when asked for). */
  matrix: number[][] = [];
  correct = 0;
  total = 0;
  allBinary = true;
  private known: KnownClasses | null;
  private readonly optionClasses: number | undefined;
  private readonly threshold: number;

  constructor(private readonly metric: string, opts: TallyOptions = {}, private readonly keepMatrix = false) {
    this.optionClasses = checkClassCount(metric, opts.numClasses);
    this.threshold = checkThreshold(metric, opts.threshold ?? 0.5);
    this.known = null;
    this.reset();
  }

  get numClasses(): number {
    return this.truePositives.length;
  }

  /** The class count fixed by numClasses or by earlier batches' scores, if any. */
  get fixedClasses(): number | undefined {
    return this.known?.count;
  }

  reset(): void {
    this.correct = 0;
    this.total = 0;
    this.allBinary = true;
    this.truePositives = [];
    this.predicted = [];
    this.actual = [];
    this.matrix = [];
    this.known = this.optionClasses === undefined ? null : { count: this.optionClasses, source: `numClasses = ${this.optionClasses}` };
    this.grow(this.optionClasses ?? 0);
  }

  update(yPred: Tensor, yTrue: Tensor): LabelBatch {
    const batch = readLabels(this.metric, yPred, yTrue, this.threshold, this.known);
    if (this.known === null && batch.fixedClasses > 0) {
      this.known = { count: batch.fixedClasses, source: `earlier batches (${batch.kind === "scores" ? "scores" : "binary probabilities"} for ${batch.fixedClasses} classes)` };
    }
    if (batch.kind !== "binary") this.allBinary = false;
    this.grow(Math.max(batch.span, batch.fixedClasses));
    const { pred, target } = batch;
    const tp = this.truePositives, predicted = this.predicted, actual = this.actual;
    let correct = 0;
    for (let i = 0; i < pred.length; i++) {
      const p = pred[i], t = target[i];
      predicted[p]++;
      actual[t]++;
      if (p === t) {
        tp[p]++;
        correct++;
      }
    }
    if (this.keepMatrix) {
      const m = this.matrix;
      for (let i = 0; i < pred.length; i++) m[target[i]][pred[i]]++;
    }
    this.correct += correct;
    this.total += pred.length;
    return batch;
  }

  private grow(n: number): void {
    const old = this.truePositives.length;
    if (n <= old) return;
    for (let c = old; c < n; c++) {
      this.truePositives.push(0);
      this.predicted.push(0);
      this.actual.push(0);
    }
    if (this.keepMatrix) {
      for (const row of this.matrix) for (let c = old; c < n; c++) row.push(0);
      for (let c = old; c < n; c++) this.matrix.push(new Array<number>(n).fill(0));
    }
  }
}
