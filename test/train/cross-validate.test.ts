import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";

/** Two Gaussian blobs in 2-d, labels 0/1 — separable, so a small MLP reaches ~100%. */
function blobs(n: number, seed: number): { x: nb.Tensor; y: nb.Tensor } {
  const g = new nb.Generator(seed);
  const y = nb.randint(0, 2, [n], { generator: g });
  const centers = nb.tensor([[-2, -2], [2, 2]]);
  const x = nb.indexSelect(centers, 0, y).add(nb.randn([n, 2], { generator: g }).mul(0.7));
  return { x, y };
}

function mlp(): nb.nn.Module {
  return new nb.nn.Sequential(new nb.nn.Linear(2, 8), new nb.nn.ReLU(), new nb.nn.Linear(8, 2));
}

const adam = (m: nb.nn.Module) => new nb.optim.Adam(m.parameters(), { lr: 0.02 });

/** A dataset that records which sample indices are read, into whichever bucket is current. */
class RecordingDataset implements nb.data.Dataset {
  readonly inner: nb.data.TensorDataset;
  bucket: number[] | null = null;
  constructor(x: nb.Tensor, y: nb.Tensor) {
    this.inner = new nb.data.TensorDataset(x, y);
  }
  get length() {
    return this.inner.length;
  }
  get(i: number): nb.data.Sample {
    this.bucket?.push(i);
    return this.inner.get(i);
  }
  getBatch(indices: readonly number[]): nb.data.Sample {
    this.bucket?.push(...indices);
    return this.inner.getBatch(indices);
  }
}

const sorted = (a: Iterable<number>) => [...a].sort((p, q) => p - q);

test("crossValidate builds one model per fold, trains on the other folds and scores each sample held out exactly once", async () => {
  const { x, y } = blobs(61, 1);
  const ds = new RecordingDataset(x, y);
  const built: number[] = [];
  const trained: number[][] = [], scored: number[][] = [];
  // Training reads go to trained[fold]; after onTrainEnd, evaluation reads go to scored[fold].
  const phase = { onTrainEnd: () => { ds.bucket = scored[scored.length - 1]; } };
  const cv = await nb.crossValidate((fold) => {
    built.push(fold);
    trained.push([]);
    scored.push([]);
    ds.bucket = trained[fold];
    return mlp();
  }, ds, { k: 5, seed: 3, verbose: 0, fitOptions: { epochs: 1, batchSize: 16, loss: "crossEntropy", optimizer: adam, metrics: ["accuracy"], callbacks: [phase] } });
  ds.bucket = null;

  assert.deepEqual(built, [0, 1, 2, 3, 4], "a fresh model for every fold");
  assert.equal(cv.k, 5);
  assert.deepEqual(cv.folds.map((f) => f.validationIndices.length), [13, 12, 12, 12, 12], "61 samples in 5 folds: sizes differ by at most 1");
  assert.deepEqual(sorted(cv.folds.flatMap((f) => f.validationIndices)), Array.from({ length: 61 }, (_, i) => i), "each sample held out exactly once");
  for (const f of cv.folds) {
    assert.deepEqual(sorted([...f.trainIndices, ...f.validationIndices]), Array.from({ length: 61 }, (_, i) => i), "train and held-out partition the data");
    // One epoch reads every training sample once; evaluation reads the held-out ones.
    assert.deepEqual(sorted(trained[f.fold]), sorted(f.trainIndices), `fold ${f.fold} trained on exactly the other folds`);
    assert.deepEqual(sorted(scored[f.fold]), sorted(f.validationIndices), `fold ${f.fold} scored on exactly its held-out fold`);
    assert.deepEqual(Object.keys(f.metrics).sort(), ["accuracy", "loss"]);
    assert.equal(f.history.loss.length, 1);
  }
});

test("crossValidate's fold scores are the held-out folds' scores, and mean/std (sample std) are computed from them", async () => {
  const { x, y } = blobs(40, 2);
  // A frozen model (lr 0) that always predicts class 0: its accuracy on a fold is that fold's share of class 0.
  const constant = () => {
    const m = new nb.nn.Linear(2, 2);
    nb.noGrad(() => { m.weight.zero_(); m.bias!.copy_(nb.tensor([1, 0])); });
    return { model: m, optimizer: new nb.optim.SGD(m.parameters(), { lr: 0 }) };
  };
  const cv = await nb.crossValidate(constant, { x, y }, { k: 4, seed: 5, verbose: 0, fitOptions: { epochs: 1, loss: "crossEntropy" }, metrics: ["accuracy"] });
  const labels = Array.from(y.dataSync());
  const expected = cv.folds.map((f) => f.validationIndices.filter((i) => labels[i] === 0).length / f.validationIndices.length);
  cv.folds.forEach((f, i) => assert.ok(Math.abs(f.metrics.accuracy - expected[i]) < 1e-12, `fold ${i}: ${f.metrics.accuracy} vs ${expected[i]}`));
  const lossOfConstant = Math.log(1 + Math.E ** -1); // −log softmax([1, 0])[0]
  const lossExpected = expected.map((p0) => p0 * lossOfConstant + (1 - p0) * (1 + lossOfConstant)); // class 1: −log softmax([1,0])[1] = 1 + log(1+e^−1)
  cv.folds.forEach((f, i) => assert.ok(Math.abs(f.metrics.loss - lossExpected[i]) < 1e-6));

  const mean = expected.reduce((a, b) => a + b, 0) / 4;
  const std = Math.sqrt(expected.reduce((a, v) => a + (v - mean) ** 2, 0) / 3);
  assert.ok(Math.abs(cv.mean.accuracy - mean) < 1e-12);
  assert.ok(Math.abs(cv.std.accuracy - std) < 1e-12, "std divides by k − 1");
  assert.ok(std > 0, "the folds differ, so the std test means something");
  const table = String(cv);
  assert.match(table, /fold\s+loss\s+accuracy/);
  assert.match(table, new RegExp(`mean ± std\\s+.*${mean.toFixed(4)} ± ${std.toFixed(4)}`));
  assert.equal(table.split("\n").length, 6, "header, 4 folds, mean ± std");
});

test("crossValidate learns the separable problem and is reproducible under a seed", async () => {
  const data = blobs(90, 3);
  const run = (seed: number) => nb.crossValidate(() => ({ model: mlp() }), data, {
    k: 3, seed, verbose: 0, fitOptions: { epochs: 4, batchSize: 16, loss: "crossEntropy", metrics: ["accuracy"], optimizer: adam },
  });
  const a = await run(11), b = await run(11), c = await run(12);
  assert.ok(a.mean.accuracy > 0.9, `mean held-out accuracy ${a.mean.accuracy}`);
  assert.deepEqual(a.folds.map((f) => f.metrics), b.folds.map((f) => f.metrics), "same seed, same scores");
  assert.deepEqual(a.folds.map((f) => f.history), b.folds.map((f) => f.history), "same seed, same training");
  assert.notDeepEqual(a.folds.map((f) => f.validationIndices), c.folds.map((f) => f.validationIndices), "another seed, other folds");
  const unshuffled = await nb.crossValidate(mlp, data, { k: 3, shuffle: false, verbose: 0, fitOptions: { epochs: 1, loss: "crossEntropy", optimizer: adam } });
  assert.deepEqual(unshuffled.folds[1].validationIndices, Array.from({ length: 30 }, (_, i) => 30 + i), "shuffle: false gives contiguous folds");
});

test("crossValidate rejects bad k, a missing optimizer and bad builders with messages naming it", async () => {
  const data = blobs(10, 4);
  const fitOptions = { epochs: 1, loss: "crossEntropy", optimizer: adam };
  await assert.rejects(nb.crossValidate(mlp, data, { k: 1, fitOptions }), /^RangeError: crossValidate: k must be an integer >= 2, got 1/);
  await assert.rejects(nb.crossValidate(mlp, data, { k: 2.5, fitOptions }), /crossValidate: k must be an integer >= 2/);
  await assert.rejects(nb.crossValidate(mlp, data, { k: 11, fitOptions }), /crossValidate: k=11 folds need at least 11 samples, the dataset has 10/);
  await assert.rejects(nb.crossValidate(mlp, data, { k: 2, verbose: 0, fitOptions: { epochs: 1, loss: "crossEntropy" } }), /crossValidate: the builder returned a Module without an optimizer/);
  await assert.rejects(nb.crossValidate(() => 3 as never, data, { k: 2, verbose: 0, fitOptions }), /crossValidate: the builder must return an nb.nn.Module or \{ model, optimizer \}, got number 3/);
  await assert.rejects(nb.crossValidate(mlp, { x: 1 } as never, { k: 2, fitOptions }), /crossValidate: data must be a DataLoader, a Dataset, or \{ x, y \} tensors/);
  await assert.rejects(nb.crossValidate(mlp, data, {} as never), /crossValidate: options \{ fitOptions/);
});
