import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

const x = nb.arange(10).reshape([10, 1]);
const y = nb.arange(10, undefined, 1, { dtype: "int32" });
const ds = new nb.data.TensorDataset(x, y);

test("TensorDataset indexes samples and checks lengths", () => {
  assert.equal(ds.length, 10);
  const [xi, yi] = ds.get(3);
  assertClose(xi, [3]);
  assert.equal(yi.item(), 3);
  assertThrowsMatching(() => ds.get(10), /index 10 is out of range for a dataset of 10 samples/);
  assertThrowsMatching(() => new nb.data.TensorDataset(nb.zeros([3, 2]), nb.zeros([4])), /TensorDataset:.*\[3, 2\].*\[4\]/);
});

test("DataLoader batches in order, keeps or drops the last partial batch", () => {
  const sizes = [...new nb.data.DataLoader(ds, { batchSize: 4 })].map(([bx]) => bx.shape[0]);
  assert.deepEqual(sizes, [4, 4, 2]);
  const dropped = [...new nb.data.DataLoader(ds, { batchSize: 4, dropLast: true })];
  assert.equal(dropped.length, 2);
  assert.equal(new nb.data.DataLoader(ds, { batchSize: 4 }).length, 3);
  const [bx, by] = [...new nb.data.DataLoader(ds, { batchSize: 4 })][1];
  assertClose(bx, [[4], [5], [6], [7]]);
  assert.deepEqual(Array.from(by.dataSync()), [4, 5, 6, 7]);
});

test("shuffling is a seeded permutation that changes every epoch", () => {
  const epoch = (l: nb.data.DataLoader) => [...l].flatMap(([, b]) => Array.from(b.dataSync()));
  const a = new nb.data.DataLoader(ds, { batchSize: 3, shuffle: true, seed: 5 });
  const b = new nb.data.DataLoader(ds, { batchSize: 3, shuffle: true, seed: 5 });
  const e1 = epoch(a), e2 = epoch(a);
  assert.deepEqual(e1, epoch(b));
  assert.deepEqual([...e1].sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.notDeepEqual(e1, e2);
  assert.notDeepEqual(e1, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test("per-sample and per-batch transforms apply", async () => {
  const l = new nb.data.DataLoader(ds, { batchSize: 5, transform: (t) => t.mul(2), batchTransform: (t) => t.add(1) });
  const batches: nb.Tensor[] = [];
  for await (const [bx] of l) batches.push(bx);
  assertClose(batches[0], [[1], [3], [5], [7], [9]]);
});

test("randomSplit makes disjoint subsets of the requested sizes", () => {
  const [a, b, c] = nb.data.randomSplit(ds, [0.6, 0.2, 0.2], { seed: 1 });
  assert.deepEqual([a.length, b.length, c.length], [6, 2, 2]);
  const all = [...a.indices, ...b.indices, ...c.indices].sort((p, q) => p - q);
  assert.deepEqual(all, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const [bx] = b.getBatch([0, 1]);
  assertClose(bx, [[b.indices[0]], [b.indices[1]]]);
  assertThrowsMatching(() => nb.data.randomSplit(ds, [3, 3]), /randomSplit: sizes \[3,3\] must be fractions summing to 1 or counts summing to the dataset length 10/);
});

test("kFold puts each sample in exactly one validation fold", () => {
  const folds = nb.data.kFold(11, 3);
  assert.deepEqual(folds.map((f) => f.validation.length), [4, 4, 3]);
  assert.deepEqual(folds.flatMap((f) => f.validation).sort((p, q) => p - q), Array.from({ length: 11 }, (_, i) => i));
  for (const f of folds) assert.equal(f.train.length + f.validation.length, 11);
  assert.deepEqual(folds[0].validation, [0, 1, 2, 3]);
  assertThrowsMatching(() => nb.data.kFold(5, 1), /kFold: k must be an integer >= 2/);
});
