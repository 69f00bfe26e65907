// Unknown option names are errors (with "did you mean"), and DataLoader's transform options take
// nb.transforms objects as well as functions.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

const x = nb.arange(24, undefined, 1, { dtype: "float32" }).reshape([6, 1, 2, 2]);
const y = nb.arange(6, undefined, 1, { dtype: "int32" });
const ds = new nb.data.TensorDataset(x, y);

test("DataLoader: PyTorch's batch_size is an error that names batchSize, not batches of 1", () => {
  // @ts-expect-error batch_size is not an option (the type says so too)
  assertThrowsMatching(() => new nb.data.DataLoader(ds, { batch_size: 64 }),
    /^DataLoader: unknown option "batch_size" \(did you mean "batchSize"\?\); the options are batchSize, shuffle, dropLast, transform, batchTransform, seed, generator, sampler$/);
  // @ts-expect-error misspelt
  assertThrowsMatching(() => new nb.data.DataLoader(ds, { batchSize: 2, shufle: true }), /unknown option "shufle" \(did you mean "shuffle"\?\)/);
  // @ts-expect-error drop_last
  assertThrowsMatching(() => new nb.data.DataLoader(ds, { drop_last: true }), /did you mean "dropLast"/);
  // @ts-expect-error not an object
  assertThrowsMatching(() => new nb.data.DataLoader(ds, 64), /DataLoader: options must be an object such as \{ batchSize: \.\.\. \}, got 64/);
  // Options given as undefined are fine (they keep their defaults).
  assert.equal(new nb.data.DataLoader(ds, { batchSize: 4, seed: undefined }).batchSize, 4);
});

test("DataLoader: batchTransform and transform take nb.transforms objects (PyTorch's callables) as well as functions", () => {
  const normalize = new nb.transforms.Normalize([10], [2]);
  const byObject = [...new nb.data.DataLoader(ds, { batchSize: 6, batchTransform: normalize })][0][0];
  const byFunction = [...new nb.data.DataLoader(ds, { batchSize: 6, batchTransform: (t) => normalize.apply(t) })][0][0];
  assertClose(byObject, byFunction);
  assertClose(byObject.flatten().slice(0, 0, 3), [-5, -4.5, -4]);

  const perSample = new nb.transforms.Compose([new nb.transforms.Normalize([10], [2]), (t: nb.Tensor) => t.mul(2)]);
  const [bx, by] = [...new nb.data.DataLoader(ds, { batchSize: 3, transform: perSample })][1];
  assertClose(bx.flatten().slice(0, 0, 2), [2, 3]); // sample 3 starts at 12: (12 - 10) / 2 * 2
  assert.deepEqual(Array.from(by.dataSync()), [3, 4, 5]);

  // A user's own object with apply(x) is a transform too; so is fn.
  const own = { apply: (t: nb.Tensor) => t.add(1) };
  assertClose([...new nb.data.DataLoader(ds, { batchSize: 6, batchTransform: own })][0][0].flatten().slice(0, 0, 2), [1, 2]);
  assertClose([...new nb.data.DataLoader(ds, { batchSize: 6, batchTransform: normalize.fn })][0][0], byObject);
});

test("DataLoader: a transform that is neither a function nor has apply(x) fails when the loader is built", () => {
  // @ts-expect-error a number is not a transform
  assertThrowsMatching(() => new nb.data.DataLoader(ds, { transform: 3 }),
    /^DataLoader: transform must be a function \(x\) => x or a transform object with apply\(x\) \(e\.g\. new nb\.transforms\.Normalize\(\.\.\.\)\), got 3$/);
  // @ts-expect-error an object without apply
  assertThrowsMatching(() => new nb.data.DataLoader(ds, { batchTransform: { mean: 0 } }), /DataLoader: batchTransform must be a function .* got an object/);
});

test("nb.data.Transform and nb.transforms.TransformLike are one type", () => {
  // Compile-time: each is assignable to the other.
  const a: nb.data.Transform = new nb.transforms.RandomHorizontalFlip();
  const b: nb.transforms.TransformLike = a;
  const c: nb.data.Transform = b;
  const loader = new nb.data.DataLoader(ds, { batchSize: 2, transform: c, batchTransform: new nb.transforms.Compose([b]) });
  assert.equal(loader.length, 3);
});

test("randomSplit and kFold: unknown options are errors", () => {
  // @ts-expect-error random_state is scikit-learn's
  assertThrowsMatching(() => nb.data.kFold(10, 2, { shuffle: true, random_state: 1 }), /^kFold: unknown option "random_state" \(use seed\); the options are shuffle, seed$/);
  // @ts-expect-error misspelt
  assertThrowsMatching(() => nb.data.randomSplit(ds, [0.5, 0.5], { sed: 1 }), /^randomSplit: unknown option "sed" \(did you mean "seed"\?\); the options are seed, generator$/);
  assert.equal(nb.data.randomSplit(ds, [0.5, 0.5], { seed: 1 }).length, 2);
});
