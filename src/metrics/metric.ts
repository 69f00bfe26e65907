// The streaming metric contract nb.fit and nb.evaluate drive: update once per batch, compute at the
// end of the epoch, reset before the next. Metrics accumulate counts, never per-batch values, so
// compute() equals the metric on the whole set however the batches were cut.

import type { Tensor } from "../tensor/tensor.js";

/** A metric's value: a number, one number per class, or a matrix (the confusion matrix). */
export type MetricValue = number | number[] | number[][];

export interface Metric {
  /** The key its value is logged under (History, callbacks' logs): "accuracy", "top5_accuracy", ... */
  readonly name: string;
  update(yPred: Tensor, yTrue: Tensor): void;
  compute(): MetricValue;
  reset(): void;
}

/** Whether x looks like a Metric (any object with name, update, compute and reset). */
export function isMetric(x: unknown): x is Metric {
  if (typeof x !== "object" || x === null) return false;
  const m = x as Record<string, unknown>;
  return typeof m.name === "string" && typeof m.update === "function" && typeof m.compute === "function" && typeof m.reset === "function";
}
