// Metrics on Keras-style inputs: one-hot label rows (to_categorical) wherever class indices are
// accepted, Keras' metric names, and nb.metrics.topKAccuracy(k) as a metric for fit.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

const M = nb.metrics;
const int = (xs: number[]): nb.Tensor => nb.tensor(xs, { dtype: "int32" });

// Scores for 6 samples over 4 classes; argmax 0 2 1 3 3 1, second choice 1 0 2 0 2 0: against
// labels 0 0 1 3 2 2, top-1 hits 3 of 6 and top-2 hits 5 of 6.
const scores = nb.tensor([
  [0.9, 0.5, 0.1, 0.0], [0.3, 0.0, 0.8, 0.1], [0.2, 0.9, 0.3, 0.1],
  [0.4, 0.0, 0.1, 0.7], [0.0, 0.1, 0.3, 0.6], [0.5, 0.6, 0.0, 0.1],
]);
const labels = int([0, 0, 1, 3, 2, 2]);
const floatOneHot = nb.oneHot(labels, 4).to("float32");
const intOneHot = nb.oneHot(labels, 4);

test("one-hot label rows (float or int32) give exactly what class indices give, for every metric", () => {
  for (const onehot of [floatOneHot, intOneHot]) {
    assert.equal(M.accuracy(scores, onehot), M.accuracy(scores, labels));
    assert.equal(M.accuracy(scores, onehot), 3 / 6);
    assert.equal(M.topKAccuracy(scores, onehot, 2), M.topKAccuracy(scores, labels, 2));
    assert.deepEqual(M.f1(scores, onehot, { average: null }), M.f1(scores, labels, { average: null }));
    assert.equal(M.precision(scores, onehot, { average: "weighted" }), M.precision(scores, labels, { average: "weighted" }));
    assert.equal(M.recall(scores, onehot), M.recall(scores, labels));
    assert.deepEqual(M.confusionMatrix(scores, onehot), M.confusionMatrix(scores, labels));
    assert.equal(M.classificationReport(scores, onehot).toString(), M.classificationReport(scores, labels).toString());
  }
  // Soft targets count their most probable class, as Keras' categorical_accuracy does.
  const soft = nb.tensor([[0.7, 0.3, 0, 0], [0.6, 0, 0.4, 0], [0.1, 0.8, 0.1, 0], [0, 0, 0.2, 0.8], [0.3, 0, 0.5, 0.2], [0, 0.1, 0.9, 0]]);
  assert.equal(M.accuracy(scores, soft), M.accuracy(scores, labels));
  // Class indices as predictions against one-hot truth.
  assert.equal(M.accuracy(int([0, 2, 1, 3, 3, 1]), floatOneHot), 3 / 6);
  // Multi-label 0/1 rows have no single class: refused rather than argmax'd.
  assertThrowsMatching(() => M.accuracy(scores, nb.tensor([[1, 1, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 0, 1, 0]])), /^accuracy: row 0 of yTrue \(shape \[6, 4\]\) sums to 2, so it is not one-hot/);
  assertThrowsMatching(() => M.topKAccuracy(scores, nb.zeros([6, 4]), 2), /^topKAccuracy: row 0 of yTrue \(shape \[6, 4\]\) sums to 0/);
  // A streaming metric may see one-hot and index batches alike.
  const streaming = new M.Accuracy();
  streaming.update(scores.slice(0, 0, 3), floatOneHot.slice(0, 0, 3));
  streaming.update(scores.slice(0, 3, 6), labels.slice(0, 3, 6));
  assert.equal(streaming.compute(), 3 / 6);
});

test("Keras' metric names categorical_accuracy and sparse_categorical_accuracy log under their own keys", () => {
  for (const name of ["categorical_accuracy", "sparse_categorical_accuracy"]) {
    const m = M.metricFromName(name);
    assert.equal(m.name, name);
    m.update(scores, name === "categorical_accuracy" ? floatOneHot : labels);
    assert.equal(m.compute(), 3 / 6);
  }
  assert.ok(M.METRIC_NAMES.includes("categorical_accuracy"));
  assertThrowsMatching(() => M.metricFromName("binary_accuracy"), /valid names are "accuracy", .*and Keras' "categorical_accuracy", "sparse_categorical_accuracy"/);
});

test("topKAccuracy(k) is a metric for fit, topKAccuracy(yPred, yTrue, k) a value", async () => {
  const metric = M.topKAccuracy(2);
  assert.ok(metric instanceof M.TopKAccuracy);
  assert.ok(M.isMetric(metric));
  assert.equal(metric.name, "top2_accuracy");
  assert.equal(M.topKAccuracy(3, { name: "top3" }).name, "top3");
  metric.update(scores, labels);
  assert.equal(metric.compute(), M.topKAccuracy(scores, labels, 2));
  assert.equal(metric.compute(), 5 / 6);
  assertThrowsMatching(() => M.topKAccuracy(0), /^topKAccuracy: k must be a positive integer, got 0/);
  assertThrowsMatching(() => (M.topKAccuracy as (...a: unknown[]) => unknown)(2, scores, labels), /give topKAccuracy\(k\) for a metric, or topKAccuracy\(yPred, yTrue, k\) for a value/);

  // In fit's metrics, next to the "topk:K" name: the same values under the same key.
  const x = nb.randn([48, 4], { generator: new nb.Generator(1) });
  const y = nb.randint(0, 4, [48], { generator: new nb.Generator(2) });
  const run = async (m: string | nb.metrics.Metric): Promise<nb.History> => {
    nb.manualSeed(9);
    const model = new nb.nn.Linear(4, 4);
    return nb.fit(model, {
      train: { x, y }, validationSplit: 0.25, epochs: 2, batchSize: 12, seed: 3, verbose: 0,
      optimizer: new nb.optim.SGD(model.parameters(), { lr: 0.1 }), loss: "crossEntropy", metrics: [m],
    });
  };
  const viaFunction = await run(M.topKAccuracy(2));
  const viaName = await run("topk:2");
  assert.deepEqual(viaFunction.top2_accuracy, viaName.top2_accuracy);
  assert.deepEqual(viaFunction.val_top2_accuracy, viaName.val_top2_accuracy);
  assert.equal(viaFunction.top2_accuracy.length, 2);
});
