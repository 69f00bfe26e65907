// Metric names for nb.fit's `metrics: ["accuracy", "topk:5", ...]` option. Each name gives a fresh
// streaming metric whose `name` is its Keras-style log key (validation adds the "val_" prefix):
//   "accuracy"                         -> Accuracy,        key "accuracy"
//   "categorical_accuracy" | "sparse_categorical_accuracy" -> Accuracy under Keras' key of that
//                                         name (targets one-hot rows or class indices: both work)
//   "topk:K"  (e.g. "topk:5")          -> TopKAccuracy(K), key "topK_accuracy" (e.g. "top5_accuracy")
//   "precision" | "recall" | "f1"      -> default average, key "precision" | "recall" | "f1"
//   "precision:AVG" (AVG = macro, micro, weighted or binary) -> that average, key "precision_AVG"

import { Accuracy } from "./accuracy.js";
import { isMetric, type Metric } from "./metric.js";
import { F1, Precision, Recall, type Average } from "./precision-recall.js";
import { TopKAccuracy } from "./top-k.js";

/** The names metricFromName understands, for messages and documentation. */
export const METRIC_NAMES = ["accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "topk:K", "precision", "recall", "f1", "precision:AVG", "recall:AVG", "f1:AVG"] as const;

const SCORE_METRICS = { precision: Precision, recall: Recall, f1: F1 } as const;
const NAMED_AVERAGES: readonly string[] = ["macro", "micro", "weighted", "binary"];

export type MetricName = "accuracy" | "categorical_accuracy" | "sparse_categorical_accuracy" | "precision" | "recall" | "f1" | `topk:${number}` | `${"precision" | "recall" | "f1"}:${"macro" | "micro" | "weighted" | "binary"}`;

function unknown(name: unknown, why = "unknown metric"): Error {
  return new RangeError(
    `metricFromName: ${why} ${JSON.stringify(name)}; valid names are "accuracy", "topk:K" (e.g. "topk:5"), ` +
      `"precision", "recall", "f1", each of the last three optionally with ":macro", ":micro", ":weighted" or ":binary" (e.g. "f1:micro"), ` +
      `and Keras' "categorical_accuracy", "sparse_categorical_accuracy"`,
  );
}

/** A new streaming metric for a name such as "accuracy", "topk:5" or "f1:weighted". */
export function metricFromName(name: MetricName | string): Metric {
  if (typeof name !== "string") throw unknown(name, "metric names are strings, got");
  const key = name.trim().toLowerCase();
  if (key === "accuracy") return new Accuracy();
  // Keras' explicit names; Accuracy reads one-hot rows and class indices alike.
  if (key === "categorical_accuracy" || key === "sparse_categorical_accuracy") return new Accuracy({ name: key });
  const topk = /^topk:(\d+)$/.exec(key);
  if (topk) {
    const k = Number(topk[1]);
    if (k < 1) throw unknown(name, "k must be at least 1 in");
    return new TopKAccuracy(k);
  }
  const [base, average, ...rest] = key.split(":");
  if (rest.length === 0 && base in SCORE_METRICS) {
    const Make = SCORE_METRICS[base as keyof typeof SCORE_METRICS];
    if (average === undefined) return new Make();
    if (NAMED_AVERAGES.includes(average)) return new Make({ average: average as Average, name: `${base}_${average}` });
    throw unknown(name, `unknown average "${average}" in`);
  }
  throw unknown(name);
}

/** A Metric as given, or the one a name stands for (nb.fit's `metrics` entries). */
export function toMetric(spec: MetricName | string | Metric): Metric {
  if (typeof spec === "string") return metricFromName(spec);
  if (isMetric(spec)) return spec;
  throw new TypeError(`metricFromName: a metric is a name (e.g. "accuracy", "topk:5") or an object with name, update, compute and reset; got ${spec === null ? "null" : typeof spec}`);
}
