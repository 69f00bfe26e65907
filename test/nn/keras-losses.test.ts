// nb.losses (Keras' probability losses): parity with Keras' definitions computed by torch
// (scripts/fixtures/keras_losses.py), Keras' documented values, the class forms, option and
// shape errors, and the one-time warnings for the wrong kind of scores.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";
import { scoreKindWarnings } from "../helpers/warnings.js";

const L = nb.losses;
const int = (data: number[]): nb.Tensor => nb.tensor(data, { dtype: "int32" });

interface Stored { shape: number[]; dtype: "float64" | "int32"; data: number[] }
interface KerasCase {
  name: string;
  fn: "categoricalCrossentropy" | "sparseCategoricalCrossentropy" | "binaryCrossentropy";
  opts: Record<string, unknown>;
  float32: boolean;
  yPred: Stored;
  yTrue: Stored;
  output: Stored;
  proj: Stored;
  grad: Stored;
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/keras_losses.json", import.meta.url), "utf8")) as { cases: KerasCase[] };

const load = (s: Stored, dtype: "float32" | "float64"): nb.Tensor =>
  nb.tensor(Float64Array.from(s.data), { shape: s.shape }).to(s.dtype === "int32" ? "int32" : dtype);

function runCase(c: KerasCase, dtype: "float32" | "float64", tol: { rtol: number; atol: number }): void {
  const yPred = load(c.yPred, dtype).requiresGrad_();
  const fn = L[c.fn] as (p: nb.Tensor, t: nb.Tensor, o: Record<string, unknown>) => nb.Tensor;
  const out = fn(yPred, load(c.yTrue, dtype), c.opts);
  assert.deepEqual(out.shape, c.output.shape, `${c.name}: output shape`);
  assert.equal(out.dtype, dtype, `${c.name}: output dtype`);
  assertClose(out, Float64Array.from(c.output.data), { ...tol, msg: `${c.name} (${dtype}) output` });
  out.mul(load(c.proj, dtype)).sum().backward();
  assertClose(yPred.grad!, Float64Array.from(c.grad.data), { ...tol, msg: `${c.name} (${dtype}) gradient` });
}

test("categorical, sparse and binary crossentropy match Keras' definitions (torch float64 fixture): values and gradients", () => {
  assert.ok(fixture.cases.length >= 50);
  for (const c of fixture.cases) runCase(c, "float64", { rtol: 1e-10, atol: 1e-12 });
});

test("the same cases in float32 (those not saturated at 1 − 1e-7)", () => {
  for (const c of fixture.cases.filter((k) => k.float32)) runCase(c, "float32", { rtol: 2e-5, atol: 2e-6 });
});

test("Keras' documented example: [[.05, .95, 0], [.1, .8, .1]] against classes 1 and 2 gives 1.1769392", () => {
  const p = nb.tensor([[0.05, 0.95, 0], [0.1, 0.8, 0.1]]);
  assertClose(L.categoricalCrossentropy(p, nb.tensor([[0, 1, 0], [0, 0, 1]])), 1.1769392, { rtol: 1e-6 });
  assertClose(L.sparseCategoricalCrossentropy(p, int([1, 2])), 1.1769392, { rtol: 1e-6 });
  assertClose(L.sparseCategoricalCrossentropy(p, int([1, 2]), { reduction: "sum" }), 2.3538785, { rtol: 1e-6 });
  assertClose(L.sparseCategoricalCrossentropy(p, int([1, 2]), { reduction: "none" }), [0.05129344, 2.3025851], { rtol: 1e-6 });
  assertClose(L.categoricalCrossentropy(p, nb.tensor([[0, 1, 0], [0, 0, 1]]), { reduction: "sum_over_batch_size" }), 1.1769392, { rtol: 1e-6 });
});

test("probabilities in, logits with fromLogits: a softmax output under Keras' loss equals the logits under torch's", () => {
  const logits = nb.randn([5, 4], { generator: new nb.Generator(3) });
  const y = int([0, 3, 1, 1, 2]);
  const onehot = nb.oneHot(y, 4).to("float32");
  const torchLoss = nb.nn.crossEntropy(logits, y).item();
  assertClose(L.categoricalCrossentropy(nb.softmax(logits, -1), onehot), torchLoss, { rtol: 1e-5 });
  assertClose(L.sparseCategoricalCrossentropy(nb.softmax(logits, -1), y), torchLoss, { rtol: 1e-5 });
  assertClose(L.categoricalCrossentropy(logits, onehot, { fromLogits: true }), torchLoss, { rtol: 1e-5 });
  assertClose(L.sparseCategoricalCrossentropy(logits, y, { fromLogits: true }), torchLoss, { rtol: 1e-6 });
  assertClose(new L.CategoricalCrossentropy({ fromLogits: true }).forward(logits, nb.oneHot(y, 4)), torchLoss, { rtol: 1e-5 });
  const p = nb.sigmoid(logits);
  const t = nb.tensor([[1, 0, 0, 1], [0, 0, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0], [1, 0, 1, 0]]);
  assertClose(L.binaryCrossentropy(logits, t, { fromLogits: true }), nb.nn.binaryCrossEntropyWithLogits(logits, t), { rtol: 1e-5 });
  assertClose(new L.BinaryCrossentropy().forward(p, t), nb.nn.binaryCrossEntropy(p, t), { rtol: 1e-5 });
  // int 0/1 targets are cast, as Keras does.
  assertClose(L.binaryCrossentropy(p, t.to("int32")), L.binaryCrossentropy(p, t), { rtol: 0 });
});

test("loss objects carry Keras' names and options; bad options and shapes are explained", () => {
  const cce = new L.CategoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.1, reduction: "sum" });
  assert.equal(cce.name, "categorical_crossentropy");
  assert.equal(cce.fromLogits, true);
  assert.equal(cce.labelSmoothing, 0.1);
  assert.equal(cce.reduction, "sum");
  assert.ok(cce instanceof nb.nn.Module);
  assert.equal(new L.SparseCategoricalCrossentropy().name, "sparse_categorical_crossentropy");
  assert.equal(new L.BinaryCrossentropy().fromLogits, false);
  assertThrowsMatching(() => new L.CategoricalCrossentropy({ fromLogits: "yes" as unknown as boolean }), /^categorical_crossentropy: fromLogits must be true or false/);
  assertThrowsMatching(() => new L.BinaryCrossentropy({ labelSmoothing: 2 }), /labelSmoothing must be in \[0, 1\], got 2/);
  assertThrowsMatching(() => new L.SparseCategoricalCrossentropy({ reduction: "avg" as "mean" }), /reduction must be "mean" \(or Keras' "sum_over_batch_size"\), "sum" or "none"/);
  const p = nb.softmax(nb.zeros([3, 4]), -1);
  assertThrowsMatching(
    () => L.categoricalCrossentropy(p, int([0, 1, 2])),
    /^categoricalCrossentropy: yTrue must have yPred's shape \[3, 4\].*got int32 of shape \[3\]: yTrue holds class indices, so use sparseCategoricalCrossentropy/,
  );
  assertThrowsMatching(() => L.sparseCategoricalCrossentropy(p, nb.oneHot(int([0, 1, 2]), 4).to("float32")), /shape \[3\].*got \[3, 4\]: yTrue looks one-hot, so use categoricalCrossentropy/);
  assertThrowsMatching(() => L.sparseCategoricalCrossentropy(p, int([0, 4, 1])), /^sparseCategoricalCrossentropy: yTrue holds 4 at flat index 1; class indices must be integers from 0 to 3/);
  assertThrowsMatching(() => L.binaryCrossentropy(nb.zeros([4, 2]), nb.zeros([4])), /^binaryCrossentropy: yTrue of shape \[4\] must have yPred's shape \[4, 2\]/);
});

test("CrossEntropyLoss and NLLLoss warn once per instance when given probability rows", async () => {
  const logits = nb.tensor([[2, -1, 0.5], [0.1, 0.2, -3]]);
  const probs = nb.softmax(logits, 1);
  const y = int([0, 2]);
  const ce = new nb.nn.CrossEntropyLoss();
  assert.deepEqual(await scoreKindWarnings(() => { ce.forward(probs, y); ce.forward(probs, y); }), ["NABLA_LOGITS_LOOK_LIKE_PROBABILITIES"]);
  assert.deepEqual(await scoreKindWarnings(() => new nb.nn.CrossEntropyLoss().forward(logits, y)), []);
  // Logits that are all positive but do not sum to 1, and a one-class input, are not probabilities.
  assert.deepEqual(await scoreKindWarnings(() => new nb.nn.CrossEntropyLoss().forward(nb.tensor([[1, 2, 3]]), int([1]))), []);
  assert.deepEqual(await scoreKindWarnings(() => new nb.nn.NLLLoss().forward(probs, y)), ["NABLA_LOGITS_LOOK_LIKE_PROBABILITIES"]);
  assert.deepEqual(await scoreKindWarnings(() => new nb.nn.NLLLoss().forward(nb.logSoftmax(logits, 1), y)), []);
  // [N, C, H, W] inputs are checked along the class dimension 1, on a corner of the map.
  const spatialLogits = nb.randn([40, 3, 6, 6], { generator: new nb.Generator(1) });
  const pixels = nb.zeros([40, 6, 6], { dtype: "int32" });
  assert.deepEqual(await scoreKindWarnings(() => new nb.nn.CrossEntropyLoss().forward(nb.softmax(spatialLogits, 1), pixels)), ["NABLA_LOGITS_LOOK_LIKE_PROBABILITIES"]);
  assert.deepEqual(await scoreKindWarnings(() => new nb.nn.CrossEntropyLoss().forward(spatialLogits, pixels)), []);
  // Softmax along the wrong dimension is not a probability row along the class dimension.
  assert.deepEqual(await scoreKindWarnings(() => new nb.nn.CrossEntropyLoss().forward(nb.softmax(spatialLogits, 3), pixels)), []);
});

test("Keras losses warn once when fromLogits disagrees with what they are given", async () => {
  const logits = nb.tensor([[2, -1, 0.5], [0.1, 0.2, -3]]);
  const probs = nb.softmax(logits, 1);
  const onehot = nb.tensor([[1, 0, 0], [0, 0, 1]]);
  const fromLogits = new L.CategoricalCrossentropy({ fromLogits: true });
  assert.deepEqual(await scoreKindWarnings(() => { fromLogits.forward(probs, onehot); fromLogits.forward(probs, onehot); }), ["NABLA_LOGITS_LOOK_LIKE_PROBABILITIES"]);
  assert.deepEqual(await scoreKindWarnings(() => new L.CategoricalCrossentropy().forward(probs, onehot)), []);
  assert.deepEqual(await scoreKindWarnings(() => new L.CategoricalCrossentropy().forward(logits, onehot)), ["NABLA_PROBABILITIES_LOOK_LIKE_LOGITS"]);
  assert.deepEqual(await scoreKindWarnings(() => new L.SparseCategoricalCrossentropy().forward(logits, int([0, 2]))), ["NABLA_PROBABILITIES_LOOK_LIKE_LOGITS"]);
  assert.deepEqual(await scoreKindWarnings(() => new L.BinaryCrossentropy().forward(nb.tensor([0.2, 1.5]), nb.tensor([0, 1]))), ["NABLA_PROBABILITIES_LOOK_LIKE_LOGITS"]);
  assert.deepEqual(await scoreKindWarnings(() => new L.BinaryCrossentropy().forward(nb.tensor([0.2, 1]), nb.tensor([0, 1]))), []);
  assert.deepEqual(await scoreKindWarnings(() => new L.BinaryCrossentropy({ fromLogits: true }).forward(nb.tensor([0.2, 0.8]), nb.tensor([0, 1]))), []);
  // The functional forms never check (no instance to remember it by, and no per-call cost).
  assert.deepEqual(await scoreKindWarnings(() => nb.nn.crossEntropy(probs, int([0, 2]))), []);
});
