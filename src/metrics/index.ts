// nb.metrics: classification metrics with scikit-learn's definitions, as plain numbers.
//
// Inputs: yPred is logits/probabilities [N, C] (argmax taken), binary probabilities [N] or [N, 1]
// (class 1 when above `threshold`, default 0.5), or int32 class indices [N]; yTrue holds int32
// class indices [N] or one-hot rows [N, C] (Keras' to_categorical; the argmax is the class), and
// float 0/1 is accepted next to binary probabilities, as BCE targets are float.
//
// Functions (accuracy, topKAccuracy, precision, recall, f1, confusionMatrix, classificationReport)
// score one set of predictions. The classes (Accuracy, TopKAccuracy, Precision, Recall, F1,
// ConfusionMatrix) stream: update() per batch sums counts, compute() gives the value on all of it.
// topKAccuracy(k) is the metric form of topKAccuracy(yPred, yTrue, k).
// metricFromName maps nb.fit's metric names to them; each metric's `name` is its log key:
//   "accuracy" -> "accuracy", "topk:5" -> "top5_accuracy", "precision" / "recall" / "f1" -> the same,
//   "f1:micro" -> "f1_micro" (and likewise for the other averages and metrics).
export type { Metric, MetricValue } from "./metric.js";
export { isMetric } from "./metric.js";
export type { TallyOptions as LabelOptions } from "./class-tally.js";
export { accuracy, Accuracy, type AccuracyOptions } from "./accuracy.js";
export { topKAccuracy, TopKAccuracy, type TopKOptions } from "./top-k.js";
export {
  precision, recall, f1, Precision, Recall, F1,
  type Average, type PrecisionRecallOptions, type ClassScores, type PerClassScores,
} from "./precision-recall.js";
export { confusionMatrix, ConfusionMatrix, type ConfusionMatrixOptions } from "./confusion-matrix.js";
export { classificationReport, type ClassificationReport, type ClassReportRow, type ReportOptions } from "./classification-report.js";
export { metricFromName, toMetric, METRIC_NAMES, type MetricName } from "./from-name.js";
