// Accuracy: the fraction of samples whose predicted class is the true one (scikit-learn's
// accuracy_score). Scores [N, C] are argmax'd, binary probabilities thresholded.

import type { Tensor } from "../tensor/tensor.js";
import { ClassTally, type TallyOptions } from "./class-tally.js";
import type { Metric } from "./metric.js";

export interface AccuracyOptions extends TallyOptions {
  /** Log key (default "accuracy"). */
  name?: string;
}

/** Accuracy of one set of predictions; NaN when there are no samples (as scikit-learn). */
export function accuracy(yPred: Tensor, yTrue: Tensor, opts: TallyOptions = {}): number {
  const m = new Accuracy(opts);
  m.update(yPred, yTrue);
  return m.compute();
}

/** Streaming accuracy: correct and total counts summed over batches. */
export class Accuracy implements Metric {
  readonly name: string;
  private readonly tally: ClassTally;

  constructor(opts: AccuracyOptions = {}) {
    this.name = opts.name ?? "accuracy";
    this.tally = new ClassTally("accuracy", opts);
  }

  update(yPred: Tensor, yTrue: Tensor): void {
    this.tally.update(yPred, yTrue);
  }

  compute(): number {
    return this.tally.correct / this.tally.total;
  }

  reset(): void {
    this.tally.reset();
  }
}
