// nb.metrics on hand-worked examples, input forms, metric names and error messages.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

const M = nb.metrics;
const int = (xs: number[]): nb.Tensor => nb.tensor(xs, { dtype: "int32" });
const close = (a: number, e: number, msg?: string): void => assert.ok(Math.abs(a - e) < 1e-12, `${msg ?? ""} got ${a}, expected ${e}`);
const closeAll = (a: number[], e: number[], msg?: string): void => {
  assert.equal(a.length, e.length, `${msg ?? ""} length`);
  a.forEach((x, i) => close(x, e[i], `${msg ?? ""}[${i}]`));
};

// True 0 1 2 2 2, predicted 0 0 2 2 1. Confusion [[1,0,0],[1,0,0],[0,1,2]]:
// precision per class 1/2, 0/1, 2/2; recall 1/1, 0/1, 2/3; F1 2/3, 0, 4/5.
const yTrue = int([0, 1, 2, 2, 2]);
const yPred = int([0, 0, 2, 2, 1]);

test("hand-worked: accuracy, confusion matrix, per-class and averaged scores", () => {
  close(M.accuracy(yPred, yTrue), 3 / 5);
  assert.deepEqual(M.confusionMatrix(yPred, yTrue), [[1, 0, 0], [1, 0, 0], [0, 1, 2]]);
  assert.deepEqual(M.confusionMatrix(yPred, yTrue, { numClasses: 4 }), [[1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 2, 0], [0, 0, 0, 0]]);
  closeAll(M.precision(yPred, yTrue, { average: null }), [1 / 2, 0, 1]);
  closeAll(M.recall(yPred, yTrue, { average: null }), [1, 0, 2 / 3]);
  closeAll(M.f1(yPred, yTrue, { average: null }), [2 / 3, 0, 4 / 5]);
  close(M.precision(yPred, yTrue), (1 / 2 + 0 + 1) / 3, "default average is macro");
  close(M.recall(yPred, yTrue, { average: "macro" }), (1 + 0 + 2 / 3) / 3);
  close(M.f1(yPred, yTrue, { average: "macro" }), (2 / 3 + 0 + 4 / 5) / 3, "macro F1 averages per-class F1");
  close(M.precision(yPred, yTrue, { average: "weighted" }), (1 / 2 * 1 + 0 * 1 + 1 * 3) / 5);
  close(M.f1(yPred, yTrue, { average: "weighted" }), (2 / 3 * 1 + 0 + 4 / 5 * 3) / 5);
  for (const s of [M.precision, M.recall, M.f1]) close(s(yPred, yTrue, { average: "micro" }), 3 / 5, "micro = accuracy");
});

test("hand-worked: scores are argmax'd (first maximum) and may be non-contiguous", () => {
  // Stored transposed ([C, N]) and viewed as [N, C]: a strided view.
  const scoresT = nb.tensor([
    [5, 4, 0, 0, 0],
    [0, 1, 1, 0, 3],
    [0, 4, 3, 2, 1],
  ]);
  const scores = scoresT.transpose(0, 1);
  assert.equal(scores.isContiguous(), false);
  // argmax per row: 0, 0 (tie 4/4 with class 2, first wins), 2, 2, 1 = yPred above.
  close(M.accuracy(scores, yTrue), 3 / 5);
  assert.deepEqual(M.confusionMatrix(scores, yTrue), [[1, 0, 0], [1, 0, 0], [0, 1, 2]]);
  closeAll(M.recall(scores, yTrue, { average: null }), [1, 0, 2 / 3]);
});

test("hand-worked: top-k accuracy, ties ranked as scikit-learn ranks them", () => {
  // Row 0: true class 2 (0.4) is beaten by class 1 (0.5): rank 2.
  // Row 1: true class 0 (0.3) is beaten by class 2 (0.4) and by class 1's equal 0.3 (higher index): rank 3.
  const s = nb.tensor([[0.1, 0.5, 0.4], [0.3, 0.3, 0.4]]);
  const y = int([2, 0]);
  close(M.topKAccuracy(s, y, 1), 0);
  close(M.topKAccuracy(s, y, 2), 0.5);
  close(M.topKAccuracy(s, y, 3), 1);
  // The course's top-5 error.
  const logits = nb.tensor([[9, 8, 7, 6, 5, 4, 3], [1, 2, 3, 4, 5, 6, 7]]);
  close(1 - M.topKAccuracy(logits, int([4, 0]), 5), 0.5, "top-5 error");
  // NaN ranks above every number (as numpy's sort puts it last), so argmax and top-1 pick it.
  const withNaN = nb.tensor([[0.2, NaN, 0.7], [NaN, 0.1, 0.9]]);
  close(M.topKAccuracy(withNaN, int([1, 2]), 1), 0.5);
  close(M.accuracy(withNaN, int([1, 0])), 1);
  // Binary probabilities: top-1 is the thresholded class, top-2 always hits.
  close(M.topKAccuracy(nb.tensor([0.9, 0.2, 0.6]), int([1, 1, 0]), 1), 1 / 3);
  close(M.topKAccuracy(nb.tensor([0.9, 0.2, 0.6]), int([1, 1, 0]), 2), 1);
});

test("hand-worked: binary probabilities, threshold and posLabel", () => {
  // p > 0.5 gives 1 0 1 0 (0.5 itself is class 0): TP 1, FP 1, FN 1, TN 1.
  const p = nb.tensor([0.9, 0.4, 0.6, 0.5]);
  const y = int([1, 1, 0, 0]);
  close(M.accuracy(p, y), 0.5);
  close(M.precision(p, y), 0.5, "default average on probabilities is binary");
  close(M.recall(p, y), 0.5);
  close(M.f1(p, y), 0.5);
  assert.deepEqual(M.confusionMatrix(p, y), [[1, 1], [1, 1]]);
  // threshold 0.45: 1 0 1 1, TP 1, FP 2, FN 1.
  close(M.precision(p, y, { threshold: 0.45 }), 1 / 3);
  close(M.recall(p, y, { threshold: 0.45 }), 1 / 2);
  close(M.f1(p, y, { threshold: 0.45 }), 2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2));
  // posLabel 0 at threshold 0.65: 1 0 0 0, class 0 predicted 3 times (2 right), both true 0s found.
  close(M.precision(p, y, { threshold: 0.65, posLabel: 0 }), 2 / 3);
  close(M.recall(p, y, { threshold: 0.65, posLabel: 0 }), 1);
  // Logits: threshold 0.
  close(M.accuracy(nb.tensor([[2.5], [-1], [0.3]]), int([1, 0, 0]), { threshold: 0 }), 2 / 3);
  // Class indices with average "binary".
  close(M.precision(int([1, 1, 0, 1]), int([1, 0, 0, 1]), { average: "binary" }), 2 / 3);
  // A bool prediction vector is read as class indices.
  close(M.accuracy(nb.tensor([true, false, true]), int([1, 0, 0])), 2 / 3);
});

test("zeroDivision: classes never predicted or never present", () => {
  // Class 1 never true and never predicted, class 2 predicted but never true.
  const y = int([0, 0, 0]);
  const p = int([0, 0, 2]);
  closeAll(M.precision(p, y, { average: null }), [1, 0, 0]);
  closeAll(M.precision(p, y, { average: null, zeroDivision: 1 }), [1, 1, 0]);
  closeAll(M.recall(p, y, { average: null }), [2 / 3, 0, 0]);
  closeAll(M.recall(p, y, { average: null, zeroDivision: 1 }), [2 / 3, 1, 1]);
  // F1 of class 1 with zeroDivision 1: P = R = 1 so F1 = 1; class 2: P = 0, R = 1 so F1 = 0.
  closeAll(M.f1(p, y, { average: null, zeroDivision: 1 }), [0.8, 1, 0]);
  // Macro averages over the classes that occur (0 and 2), as scikit-learn's default labels.
  close(M.recall(p, y, { average: "macro", zeroDivision: 1 }), (2 / 3 + 1) / 2);
  close(M.recall(p, y, { average: "macro", zeroDivision: 1, labels: [0, 1, 2] }), (2 / 3 + 1 + 1) / 3);
  // Weighted by support: class 2 has none.
  close(M.recall(p, y, { average: "weighted", zeroDivision: 1 }), 2 / 3);
  // No samples: accuracy is NaN, micro precision the zeroDivision value.
  const none = int([]);
  assert.ok(Number.isNaN(M.accuracy(none, none)));
  assert.equal(M.precision(none, none, { average: "micro", zeroDivision: 1 }), 1);
  assert.ok(Number.isNaN(M.precision(none, none, { average: "macro" })));
});

test("classification report: numbers, names, and scikit-learn's layout", () => {
  const r = M.classificationReport(yPred, yTrue, { targetNames: ["cat", "dog", "bird"] });
  assert.deepEqual(r.classes.map((c) => [c.label, c.name, c.support]), [[0, "cat", 1], [1, "dog", 1], [2, "bird", 3]]);
  close(r.accuracy, 0.6);
  close(r.macroAvg.recall, 5 / 9);
  close(r.weightedAvg.precision, 0.7);
  assert.equal(
    r.toString(),
    [
      "              precision    recall  f1-score   support",
      "",
      "         cat       0.50      1.00      0.67         1",
      "         dog       0.00      0.00      0.00         1",
      "        bird       1.00      0.67      0.80         3",
      "",
      "    accuracy                           0.60         5",
      "   macro avg       0.50      0.56      0.49         5",
      "weighted avg       0.70      0.60      0.61         5",
      "",
    ].join("\n"),
  );
});

test("streaming: counts add up over batches, names are log keys", () => {
  const acc = new M.Accuracy();
  acc.update(int([0, 1]), int([0, 0]));
  acc.update(int([1, 1, 1, 1]), int([1, 1, 1, 1]));
  close(acc.compute(), 5 / 6, "5 right of 6, not the mean of 1/2 and 1");
  assert.ok(Number.isNaN(new M.Accuracy().compute()), "no samples yet");
  const cm = new M.ConfusionMatrix();
  cm.update(int([0]), int([0]));
  cm.update(int([3, 1]), int([1, 3]));
  assert.deepEqual(cm.compute(), [[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 1, 0, 0]]);
  const rec = new M.Recall({ average: null });
  rec.update(int([0, 0]), int([0, 1]));
  rec.update(int([2, 1]), int([2, 1]));
  closeAll(rec.compute() as number[], [1, 1 / 2, 1]);
  assert.deepEqual(
    [new M.Accuracy(), new M.TopKAccuracy(5), new M.Precision(), new M.Recall(), new M.F1(), new M.ConfusionMatrix(3)].map((m) => m.name),
    ["accuracy", "top5_accuracy", "precision", "recall", "f1", "confusion_matrix"],
  );
  assert.equal(new M.F1({ name: "f1_macro" }).name, "f1_macro");
});

test("metricFromName: names, log keys and a clear error", () => {
  const cases: [string, string, unknown][] = [
    ["accuracy", "accuracy", M.Accuracy],
    ["topk:5", "top5_accuracy", M.TopKAccuracy],
    ["precision", "precision", M.Precision],
    ["recall", "recall", M.Recall],
    ["f1", "f1", M.F1],
    ["f1:micro", "f1_micro", M.F1],
    ["precision:weighted", "precision_weighted", M.Precision],
    ["Recall:Macro", "recall_macro", M.Recall],
  ];
  for (const [name, key, cls] of cases) {
    const m = M.metricFromName(name);
    assert.equal(m.name, key, name);
    assert.ok(m instanceof (cls as new () => unknown), name);
  }
  assert.equal((M.metricFromName("topk:3") as nb.metrics.TopKAccuracy).k, 3);
  // Each name gives a fresh metric with the asked average.
  const micro = M.metricFromName("f1:micro");
  micro.update(yPred, yTrue);
  close(micro.compute() as number, 0.6);
  const custom = { name: "mine", update() {}, compute: () => 1, reset() {} };
  assert.equal(M.toMetric(custom), custom);
  assert.equal(M.toMetric("accuracy").name, "accuracy");
  assertThrowsMatching(() => M.metricFromName("auc"), /metricFromName: unknown metric "auc"/, /"accuracy", "topk:K".*"precision", "recall", "f1"/);
  assertThrowsMatching(() => M.metricFromName("f1:mean"), /unknown average "mean" in "f1:mean"/);
  assertThrowsMatching(() => M.metricFromName("topk:0"), /k must be at least 1 in "topk:0"/);
  assertThrowsMatching(() => M.toMetric({ name: "x" } as unknown as nb.metrics.Metric), /name, update, compute and reset/);
});

test("errors name the metric and the offending shapes or values", () => {
  const scores = nb.zeros([4, 5]);
  const y4 = int([0, 1, 2, 3]);
  assertThrowsMatching(() => M.accuracy(scores, int([0, 1, 2, 3, 4])), /^accuracy: yPred has 4 samples \(shape \[4, 5\]\) but yTrue has 5 \(shape \[5\]\)/);
  assertThrowsMatching(() => M.f1(scores, nb.tensor([0, 1, 2, 3])), /^f1: yTrue must hold int32 class indices, got float32 \(shape \[4\]\); convert it with y.to\("int32"\)/);
  assertThrowsMatching(() => M.accuracy(nb.tensor([0.2, 0.8]), nb.tensor([0, 0.5])), /^accuracy: float yTrue next to binary probabilities must hold 0 or 1, got 0.5 at index 1/);
  assertThrowsMatching(() => M.topKAccuracy(scores, y4, 6), /^topKAccuracy: k = 6 is larger than the 5 classes of yPred \(shape \[4, 5\]\)/);
  assertThrowsMatching(() => M.topKAccuracy(scores, y4, 0), /^topKAccuracy: k must be a positive integer, got 0/);
  assertThrowsMatching(() => M.topKAccuracy(y4, y4, 1), /^topKAccuracy: yPred must be scores \[N, C\].*not class indices \(int32, shape \[4\]\)/);
  assertThrowsMatching(
    () => M.precision(scores, y4, { average: "mean" as nb.metrics.Average }),
    /^precision: unknown average "mean"; expected "macro", "micro", "weighted", "binary" or null/,
  );
  assertThrowsMatching(() => new M.Recall({ average: "samples" as nb.metrics.Average }), /^recall: unknown average "samples"/);
  assertThrowsMatching(() => M.recall(scores, int([0, 1, 5, 2])), /^recall: yTrue holds class 5 at index 2, outside the 5 classes of yPred's scores \(shape \[4, 5\]\)/);
  assertThrowsMatching(() => M.accuracy(int([0, 1]), int([0, -1])), /^accuracy: yTrue holds class -1 at index 1; class indices must be >= 0/);
  assertThrowsMatching(() => M.accuracy(int([0, 7]), int([0, 1]), { numClasses: 3 }), /^accuracy: yPred holds class 7 at index 1, outside the 3 classes of numClasses = 3/);
  assertThrowsMatching(() => M.accuracy(scores, y4, { numClasses: 3 }), /^accuracy: yPred holds scores for 5 classes \(shape \[4, 5\]\), but numClasses = 3 says 3 classes/);
  assertThrowsMatching(() => M.precision(yPred, yTrue, { average: "binary" }), /^precision: average "binary" needs at most two classes, but yTrue and yPred hold classes \[0, 1, 2\]/);
  assertThrowsMatching(() => M.f1(int([0, 2]), int([2, 0]), { average: "binary" }), /^f1: posLabel = 1 is not one of the classes present, \[0, 2\]/);
  assertThrowsMatching(() => M.f1(yPred, yTrue, { zeroDivision: 2 as 0 }), /^f1: zeroDivision must be 0 or 1, got 2/);
  assertThrowsMatching(() => M.f1(yPred, yTrue, { labels: [0, -1] }), /^f1: labels must be class indices/);
  assertThrowsMatching(() => M.accuracy(nb.zeros([2, 3, 4]), int([0, 1])), /^accuracy: yPred must be scores \[N, C\].*got float32 of shape \[2, 3, 4\]/);
  assertThrowsMatching(() => M.accuracy(scores, nb.zeros([4, 5, 2], { dtype: "int32" })), /^accuracy: yTrue must hold one class index per sample, shape \[N\] or \[N, 1\], or one-hot rows \[N, C\]; got shape \[4, 5, 2\]/);
  assertThrowsMatching(() => M.accuracy(scores, nb.zeros([4, 3])), /^accuracy: yTrue is one-hot for 3 classes \(shape \[4, 3\]\) but yPred scores 5 \(shape \[4, 5\]\)/);
  assertThrowsMatching(() => M.accuracy([0, 1] as unknown as nb.Tensor, y4), /^accuracy: yPred must be a Tensor/);
  assertThrowsMatching(() => M.confusionMatrix(yPred, yTrue, { numClasses: 0 }), /^confusionMatrix: numClasses must be a positive integer, got 0/);
  assertThrowsMatching(
    () => M.classificationReport(yPred, yTrue, { targetNames: ["cat", "dog"] }),
    /^classificationReport: targetNames has 2 names \(indexed by class\) but class 2 is reported/,
  );
  // Streaming: a batch whose class count disagrees with the earlier ones.
  const acc = new M.Accuracy();
  acc.update(nb.zeros([2, 5]), int([0, 1]));
  assertThrowsMatching(() => acc.update(nb.zeros([2, 4]), int([0, 1])), /^accuracy: yPred holds scores for 4 classes \(shape \[2, 4\]\), but earlier batches \(scores for 5 classes\) says 5 classes/);
  const top = new M.TopKAccuracy(2);
  top.update(nb.zeros([2, 5]), int([0, 1]));
  assertThrowsMatching(() => top.update(nb.zeros([2, 4]), int([0, 1])), /^topKAccuracy: yPred has 4 classes \(shape \[2, 4\]\) but earlier batches had 5/);
});
