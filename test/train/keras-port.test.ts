// What a user porting a Keras classifier does: a Sequential ending in Softmax, loss
// "categorical_crossentropy", one-hot labels from to_categorical, metrics by Keras name. It must
// train as Keras trains it (probabilities in), with no double softmax, and one-hot labels must
// pass through fit, validationSplit, DataLoaders, evaluate and every metric.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { scoreKindWarnings } from "../helpers/warnings.js";

/** Three Gaussian blobs in 2-d with int32 labels 0..2. */
function blobs(n: number, seed: number): { x: nb.Tensor; y: nb.Tensor } {
  const g = new nb.Generator(seed);
  const y = nb.randint(0, 3, [n], { generator: g });
  const centers = nb.tensor([[-2, 0], [2, 0], [0, 2.5]]);
  const x = nb.indexSelect(centers, 0, y).add(nb.randn([n, 2], { generator: g }).mul(0.8));
  return { x, y };
}

/** Keras' to_categorical: float32 one-hot rows. */
const toCategorical = (y: nb.Tensor): nb.Tensor => nb.oneHot(y, 3).to("float32");

/** The same initial weights with or without a final Softmax layer (it has no parameters). */
function classifier(seed: number, softmax: boolean): nb.nn.Module {
  nb.manualSeed(seed);
  const layers: nb.nn.Module[] = [new nb.nn.Linear(2, 16), new nb.nn.ReLU(), new nb.nn.Linear(16, 3)];
  if (softmax) layers.push(new nb.nn.Softmax(-1));
  return new nb.nn.Sequential(...layers);
}

const train = blobs(192, 1), testSet = blobs(96, 2);
const common = { epochs: 3, batchSize: 32, seed: 7, verbose: 0 as const };
const sgd = (m: nb.nn.Module): nb.optim.Optimizer => new nb.optim.SGD(m.parameters(), { lr: 0.1 });
const near = (a: number, e: number, tol: number, msg: string): void => assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${msg}: got ${a}, expected ${e}`);

/** Keras' categorical cross-entropy on the host: −Σ y·log(clip(p / Σp, 1e-7, 1 − 1e-7)), averaged. */
function manualKerasLoss(p: nb.Tensor, onehot: nb.Tensor): number {
  const [n, c] = p.shape;
  const pv = p.dataSync(), yv = onehot.dataSync();
  let total = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < c; j++) s += pv[i * c + j];
    for (let j = 0; j < c; j++) total -= yv[i * c + j] * Math.log(Math.min(Math.max(pv[i * c + j] / s, 1e-7), 1 - 1e-7));
  }
  return total / n;
}

test("a Keras port (Softmax output, categorical_crossentropy, one-hot labels) trains exactly as the logits model under crossEntropy", async () => {
  const kerasModel = classifier(1, true), torchModel = classifier(1, false);
  const warnings = await scoreKindWarnings(async () => {
    const hk = await nb.fit(kerasModel, {
      ...common, train: { x: train.x, y: toCategorical(train.y) }, optimizer: sgd(kerasModel), loss: "categorical_crossentropy", metrics: ["accuracy"],
    });
    const ht = await nb.fit(torchModel, { ...common, train, optimizer: sgd(torchModel), loss: "crossEntropy", metrics: ["accuracy"] });
    for (let e = 0; e < 3; e++) {
      near(hk.loss[e], ht.loss[e], 1e-5, `epoch ${e} loss`);
      assert.equal(hk.accuracy[e], ht.accuracy[e], `epoch ${e} accuracy`);
    }
    assert.ok(hk.loss[2] < 0.7 * hk.loss[0], `the loss falls: ${hk.loss}`);
  });
  assert.deepEqual(warnings, [], "the right loss for each model warns about nothing");

  // Test loss as Keras computes it, from the model's probabilities.
  const onehot = toCategorical(testSet.y);
  const logs = await nb.evaluate(kerasModel, { x: testSet.x, y: onehot }, { loss: "categorical_crossentropy" });
  near(logs.loss, manualKerasLoss(nb.predict(kerasModel, testSet.x), onehot), 1e-6, "evaluate's loss against the manual Keras formula");
  const torchLogs = await nb.evaluate(torchModel, testSet, { loss: "crossEntropy" });
  near(logs.loss, torchLogs.loss, 1e-5, "same test loss as the logits model");
  assert.equal(logs.accuracy, torchLogs.accuracy, "evaluate's default accuracy reads one-hot labels");
  assert.ok(logs.accuracy > 0.85, `test accuracy ${logs.accuracy}`);

  // The trap this fixes: crossEntropy (logits) on the Softmax output applies softmax twice.
  let doubled = NaN;
  const trap = await scoreKindWarnings(async () => {
    doubled = (await nb.evaluate(kerasModel, { x: testSet.x, y: onehot }, { loss: "crossEntropy" })).loss;
  });
  assert.ok(doubled > 1.5 * logs.loss, `softmax twice gives a much larger loss: ${doubled} vs ${logs.loss}`);
  assert.deepEqual(trap, ["NABLA_LOGITS_LOOK_LIKE_PROBABILITIES"]);
});

test("sparse_categorical_crossentropy with class indices, and loss objects with fromLogits, train the same way", async () => {
  const reference = classifier(2, false);
  const hRef = await nb.fit(reference, { ...common, train, optimizer: sgd(reference), loss: "crossEntropy" });
  const sparse = classifier(2, true);
  const hSparse = await nb.fit(sparse, { ...common, train, optimizer: sgd(sparse), loss: "sparse_categorical_crossentropy" });
  const logitsKeras = classifier(2, false);
  const hLogits = await nb.fit(logitsKeras, {
    ...common, train: { x: train.x, y: toCategorical(train.y) }, optimizer: sgd(logitsKeras), loss: new nb.losses.CategoricalCrossentropy({ fromLogits: true }),
  });
  const sparseLogits = classifier(2, false);
  const hSparseLogits = await nb.fit(sparseLogits, {
    ...common, train, optimizer: sgd(sparseLogits), loss: new nb.losses.SparseCategoricalCrossentropy({ fromLogits: true }),
  });
  for (let e = 0; e < 3; e++) {
    near(hSparse.loss[e], hRef.loss[e], 1e-5, `sparse epoch ${e}`);
    near(hLogits.loss[e], hRef.loss[e], 1e-5, `CategoricalCrossentropy({ fromLogits: true }) epoch ${e}`);
    near(hSparseLogits.loss[e], hRef.loss[e], 1e-5, `SparseCategoricalCrossentropy({ fromLogits: true }) epoch ${e}`);
  }
});

test("one-hot labels pass through validationSplit, DataLoaders, evaluate, every metric and the classification report", async () => {
  const onehot = toCategorical(train.y);
  const metrics = () => ["accuracy", "categorical_accuracy", "sparse_categorical_accuracy", nb.metrics.topKAccuracy(2), "f1", "precision:micro"];
  const a = classifier(3, false), b = classifier(3, false);
  // crossEntropy takes class probabilities as torch does, so the same model trains on either form.
  const hOneHot = await nb.fit(a, { ...common, train: { x: train.x, y: onehot }, validationSplit: 0.25, optimizer: sgd(a), loss: "crossEntropy", metrics: metrics() });
  const hIndices = await nb.fit(b, { ...common, train, validationSplit: 0.25, optimizer: sgd(b), loss: "crossEntropy", metrics: metrics() });
  assert.deepEqual(Object.keys(hOneHot), Object.keys(hIndices));
  for (const key of ["val_accuracy", "val_categorical_accuracy", "val_sparse_categorical_accuracy", "top2_accuracy", "val_top2_accuracy", "f1", "val_f1", "val_precision_micro"]) {
    assert.ok(key in hOneHot, `history has ${key}`);
    hOneHot[key].forEach((v, e) => near(v, hIndices[key][e], 1e-9, `${key} epoch ${e}`));
  }
  hOneHot.loss.forEach((v, e) => near(v, hIndices.loss[e], 1e-5, `loss epoch ${e}`));

  // A DataLoader over one-hot labels, evaluate's default metric (accuracy), and the report.
  const loader = new nb.data.DataLoader(new nb.data.TensorDataset(testSet.x, toCategorical(testSet.y)), { batchSize: 16 });
  const viaLoader = await nb.evaluate(a, loader, { metrics: ["accuracy", nb.metrics.topKAccuracy(2)] });
  const viaIndices = await nb.evaluate(a, testSet, { metrics: ["accuracy", nb.metrics.topKAccuracy(2)] });
  assert.deepEqual(viaLoader, viaIndices);
  const scores = nb.predict(a, testSet.x);
  assert.deepEqual(nb.metrics.confusionMatrix(scores, toCategorical(testSet.y)), nb.metrics.confusionMatrix(scores, testSet.y));
  assert.equal(nb.metrics.classificationReport(scores, toCategorical(testSet.y)).toString(), nb.metrics.classificationReport(scores, testSet.y).toString());
});

test("the probabilities-where-logits-belong warning fires once per fit, and only then", async () => {
  const softmaxModel = classifier(4, true), logitsModel = classifier(4, false);
  const opts = { ...common, epochs: 2, validation: testSet, optimizer: sgd(softmaxModel) };
  assert.deepEqual(
    await scoreKindWarnings(() => nb.fit(softmaxModel, { ...opts, train, loss: "crossEntropy" })),
    ["NABLA_LOGITS_LOOK_LIKE_PROBABILITIES"], "one warning for a 2-epoch fit with validation",
  );
  assert.deepEqual(await scoreKindWarnings(() => nb.fit(softmaxModel, { ...opts, train, loss: "crossEntropy" })), ["NABLA_LOGITS_LOOK_LIKE_PROBABILITIES"], "again for the next fit");
  assert.deepEqual(await scoreKindWarnings(() => nb.fit(softmaxModel, { ...opts, train, loss: "nll" })), ["NABLA_LOGITS_LOOK_LIKE_PROBABILITIES"]);
  assert.deepEqual(await scoreKindWarnings(() => nb.fit(softmaxModel, { ...opts, train, loss: "sparse_categorical_crossentropy" })), []);
  assert.deepEqual(await scoreKindWarnings(() => nb.fit(logitsModel, { ...opts, optimizer: sgd(logitsModel), train, loss: "crossEntropy" })), []);
  // The reverse mistake: a logits model under Keras' probability loss.
  assert.deepEqual(
    await scoreKindWarnings(() => nb.fit(logitsModel, { ...opts, optimizer: sgd(logitsModel), train, loss: "sparse_categorical_crossentropy" })),
    ["NABLA_PROBABILITIES_LOOK_LIKE_LOGITS"],
  );
});

test("binary_crossentropy is Keras' (probabilities, [N] labels for an [N, 1] output); bce stays torch's", async () => {
  const g = new nb.Generator(5);
  const y = nb.randint(0, 2, [128], { generator: g }).to("float32");
  const x = y.unsqueeze(1).mul(3).sub(1.5).add(nb.randn([128, 2], { generator: g }));
  nb.manualSeed(5);
  const model = new nb.nn.Sequential(new nb.nn.Linear(2, 1), new nb.nn.Sigmoid());
  const history = await nb.fit(model, { ...common, train: { x, y }, optimizer: sgd(model), loss: "binary_crossentropy", metrics: ["accuracy"] });
  assert.ok(history.loss[2] < history.loss[0], `the loss falls: ${history.loss}`);
  const keras = await nb.evaluate(model, { x, y }, { loss: "binary_crossentropy" });
  const torch = await nb.evaluate(model, { x, y: y.unsqueeze(1) }, { loss: "bce" });
  near(keras.loss, torch.loss, 1e-5, "no saturation: Keras' clip and torch's clamp agree");
  assert.equal(keras.accuracy, torch.accuracy);
  assert.ok(keras.accuracy > 0.8, `accuracy ${keras.accuracy}`);
  // torch's names keep torch's rules: BCE wants the target in the input's shape.
  await assert.rejects(nb.evaluate(model, { x, y }, { loss: "binaryCrossEntropy" }), /binaryCrossEntropy: input of shape \[32, 1\] and target of shape \[32\]/);
});
