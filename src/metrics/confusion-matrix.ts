// The confusion matrix, laid out as scikit-learn's confusion_matrix: entry [t][p] counts the
// samples of true class t predicted as class p (rows = true class, columns = predicted).

import type { Tensor } from "../tensor/tensor.js";
import { ClassTally } from "./class-tally.js";
import { buildReport, type ClassificationReport, type ReportOptions } from "./classification-report.js";
import type { Metric } from "./metric.js";

const METRIC = "confusionMatrix";

export interface ConfusionMatrixOptions {
  /** Matrix size; inferred (C of scores, 2 for binary, else the largest label + 1) when left out. */
  numClasses?: number;
  /** Binary probabilities above this count as class 1 (default 0.5). */
  threshold?: number;
}

/** The numClasses x numClasses confusion matrix of one set of predictions. */
export function confusionMatrix(yPred: Tensor, yTrue: Tensor, opts: ConfusionMatrixOptions = {}): number[][] {
  const m = new ConfusionMatrix(opts.numClasses, opts);
  m.update(yPred, yTrue);
  return m.compute();
}

/** Streaming confusion matrix; its counts also give a classification report (`report()`). */
export class ConfusionMatrix implements Metric {
  readonly name: string;
  private readonly tally: ClassTally;

  constructor(numClasses?: number, opts: { threshold?: number; name?: string } = {}) {
    this.tally = new ClassTally(METRIC, { numClasses, threshold: opts.threshold }, true);
    this.name = opts.name ?? "confusion_matrix";
  }

  update(yPred: Tensor, yTrue: Tensor): void {
    this.tally.update(yPred, yTrue);
  }

  compute(): number[][] {
    return this.tally.matrix.map((row) => [...row]);
  }

  /** The classification report of everything accumulated so far. */
  report(opts: Omit<ReportOptions, "numClasses" | "threshold"> = {}): ClassificationReport {
    return buildReport("classificationReport", this.tally, opts);
  }

  reset(): void {
    this.tally.reset();
  }
}
