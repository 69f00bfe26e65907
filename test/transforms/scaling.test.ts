// Normalize, the fitted scalers (Standardize, MinMaxScale) and Compose / DataLoader plumbing.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

const T = nb.transforms;

test("Normalize subtracts the channel mean and divides by the channel std", () => {
  const x = nb.tensor([[[1, 2], [3, 4]], [[0, 0.5], [1, 1.5]]]);
  const t = new T.Normalize([1, 0.5], [2, 0.5]);
  assertClose(t.apply(x), [[[0, 0.5], [1, 1.5]], [[-1, 0], [1, 2]]]);
  // A batch uses the same per-channel statistics for every image.
  assertClose(t.apply(nb.stack([x, x.mul(2)])), [[[[0, 0.5], [1, 1.5]], [[-1, 0], [1, 2]]], [[[0.5, 1.5], [2.5, 3.5]], [[-1, 1], [3, 5]]]]);
  // One value applies to every channel; dtype is kept.
  assertClose(new T.Normalize([0.5], [0.25]).apply(x.to("float64")), [[[2, 6], [10, 14]], [[-2, 0], [2, 4]]]);
  assert.equal(new T.Normalize(0.5, 0.25).apply(x.to("float64")).dtype, "float64");
  // MNIST's usual constants.
  assertClose(new T.Normalize([0.1307], [0.3081]).apply(nb.ones([1, 1, 1])), [[[(1 - 0.1307) / 0.3081]]]);
});

test("Normalize rejects bad statistics and mismatched channels", () => {
  assertThrowsMatching(() => new T.Normalize([0.5, 0.5], [0.2, -0.1]), /Normalize: std must be positive, got \[0.2, -0.1\]/);
  assertThrowsMatching(() => new T.Normalize([0.5], [0]), /Normalize: std must be positive, got \[0\]/);
  assertThrowsMatching(() => new T.Normalize([], [1]), /Normalize: mean must be a non-empty array of finite numbers/);
  assertThrowsMatching(() => new T.Normalize([0.5, 0.5], [1, 1]).apply(nb.zeros([3, 2, 2])), /Normalize: mean has 2 values but the image has 3 channels \(shape \[3, 2, 2\]\)/);
  assertThrowsMatching(() => new T.Normalize([0.5], [1]).apply(nb.zeros([4, 4])), /Normalize: expected an image \[C, H, W\] or a batch \[N, C, H, W\], got shape \[4, 4\] \(rank 2\)/);
});

// Seed 000's house-price table: sqft and number of bedrooms of five houses.
const houses = nb.tensor([[1346, 2], [2765, 6], [2120, 4], [1776, 3], [2004, 4]]);

test("Standardize reproduces the course's z-scores (sample std, ddof 1)", () => {
  // The seed's z-scores divide by the sample std (ddof 1): 519.0 for sqft, 1.4832 for beds.
  // Its printed "Std 464.22" for sqft is the population std (ddof 0) while its "Std 1.48" for
  // beds is the sample std: the table mixes the two; the z-scores themselves are all ddof 1.
  const s = new T.Standardize({ ddof: 1 });
  const z = s.fitApply(houses);
  assertClose(z, [[-1.2643, -1.2136], [1.4697, 1.4832], [0.2270, 0.1348], [-0.4358, -0.5394], [0.0035, 0.1348]], { atol: 5e-5, rtol: 0 });
  assertClose(nb.tensor(s.mean!, { dtype: "float64" }), [2002.2, 3.8], { rtol: 1e-12 });
  assertClose(nb.tensor(s.std!, { dtype: "float64" }), [519.0156, 1.4832], { atol: 5e-5, rtol: 0 });
  // ddof 0 (the default, scikit-learn's) divides by the population std: 464.22 for sqft.
  const p = new T.Standardize();
  p.fit(houses);
  assertClose(nb.tensor(p.std!, { dtype: "float64" }), [464.2217, 1.3266], { atol: 5e-5, rtol: 0 });
  assertClose(p.apply(nb.tensor([[1346, 2]])), [[(1346 - 2002.2) / 464.22167, (2 - 3.8) / Math.sqrt(1.76)]], { rtol: 1e-5 });
  // A fitted scaler applies the training statistics to another split, and inverse undoes it.
  const test = nb.tensor([[3000, 5]]);
  assertClose(s.apply(test), [[(3000 - 2002.2) / 519.01561, (5 - 3.8) / Math.sqrt(2.2)]], { rtol: 1e-5 });
  assertClose(s.inverse(s.apply(test)), test, { rtol: 1e-6 });
});

test("MinMaxScale reproduces the course's min-max table and honours featureRange", () => {
  const m = new T.MinMaxScale();
  assertClose(m.fitApply(houses), [[0, 0], [1, 1], [0.5455, 0.5], [0.3030, 0.25], [0.4637, 0.5]], { atol: 5e-5, rtol: 0 });
  assert.deepEqual([m.min, m.max], [[1346, 2], [2765, 6]]);
  // Test data outside the training range maps outside [0, 1], as scikit-learn's does.
  assertClose(m.apply(nb.tensor([[1346 - 0.05 * 1419, 10]])), [[-0.05, 2]], { rtol: 1e-5 });
  const r = new T.MinMaxScale({ featureRange: [-1, 1] }).fit(houses);
  assertClose(r.apply(houses.narrow(0, 0, 2)), [[-1, -1], [1, 1]]);
  assertClose(r.inverse(r.apply(houses)), houses, { rtol: 1e-6 });
  // A constant feature goes to the range's low end rather than dividing by zero.
  assertClose(new T.MinMaxScale({ featureRange: [2, 3] }).fitApply(nb.tensor([[5, 1], [5, 2]])), [[2, 2], [2, 3]]);
});

test("scalers work per channel on images and per column on tables", () => {
  // Channel 0 holds 0..7, channel 1 holds 10 everywhere, over a batch of two 2x2 images.
  const imgs = nb.stack([nb.arange(8).reshape([2, 2, 2]), nb.full([2, 2, 2], 10)], 1);
  const s = new T.Standardize().fit(imgs);
  assertClose(nb.tensor(s.mean!, { dtype: "float64" }), [3.5, 10]);
  assertClose(nb.tensor(s.std!, { dtype: "float64" }), [Math.sqrt(5.25), 0]);
  const z = s.apply(imgs);
  assert.deepEqual(z.shape, [2, 2, 2, 2]);
  assertClose(z.narrow(1, 1, 1), nb.zeros([2, 1, 2, 2]));
  assertClose(z.narrow(1, 0, 1).flatten(), nb.arange(8).sub(3.5).div(Math.sqrt(5.25)), { rtol: 1e-6 });
  // Fitted on a batch, applied to one image [C, H, W].
  assertClose(s.apply(imgs.narrow(0, 1, 1).squeeze(0)), z.narrow(0, 1, 1).squeeze(0));
  // A single column [N].
  assertClose(new T.MinMaxScale().fitApply(nb.tensor([2, 4, 6])), [0, 0.5, 1]);
});

test("scalers reject use before fit, other feature counts and bad options", () => {
  assertThrowsMatching(() => new T.Standardize().apply(houses), /Standardize.apply: the scaler is not fitted yet; call fit\(trainingData\) first/);
  assertThrowsMatching(() => new T.MinMaxScale().fit(houses).apply(nb.zeros([3, 3])), /MinMaxScale.apply: fitted on 2 features but got 3 \(shape \[3, 3\]\)/);
  assertThrowsMatching(() => new T.Standardize({ ddof: -1 }), /Standardize: ddof must be a non-negative integer, got -1/);
  assertThrowsMatching(() => new T.Standardize({ ddof: 1 }).fit(nb.zeros([1, 3])), /Standardize.fit: ddof 1 needs more than 1 values per feature, got 1/);
  assertThrowsMatching(() => new T.MinMaxScale({ featureRange: [1, 0] }), /MinMaxScale: featureRange must be \[low, high\] with low < high, got \[1,0\]/);
  assertThrowsMatching(() => new T.Standardize().fit(nb.zeros([2, 2, 2, 2, 2])), /Standardize.fit: expected a table \[N, F\] \(or \[N\]\) or images .* got shape \[2, 2, 2, 2, 2\]/);
  assertThrowsMatching(() => new T.Standardize().fit(nb.zeros([3, 2], { dtype: "int32" })), /Standardize.fit: expected a float32 or float64 tensor, got int32/);
  assertThrowsMatching(() => new T.Standardize().fit(nb.zeros([0, 2])), /Standardize.fit: cannot fit on an empty tensor/);
});

test("Compose chains transforms and functions; .fn plugs into DataLoader", () => {
  const pipeline = new T.Compose([new T.RandomHorizontalFlip(1), (x: nb.Tensor) => x.mul(2), new T.Normalize([1], [2])]);
  const img = nb.tensor([[[1, 2, 3]]]);
  assertClose(pipeline.apply(img), [[[2.5, 1.5, 0.5]]]);
  assertClose(pipeline.fn(img), [[[2.5, 1.5, 0.5]]]);
  assertThrowsMatching(() => new T.Compose([new T.CenterCrop(1), 3 as unknown as nb.transforms.Transform]), /Compose: element 1 is not a transform \(an object with apply\(x\) or a function\), got number/);

  const x = nb.rand([10, 1, 6, 6], { generator: new nb.Generator(1) });
  const ds = new nb.data.TensorDataset(x, nb.arange(10, undefined, 1, { dtype: "int32" }));
  const augment = new T.Compose([new T.RandomCrop(4, { padding: 1 }), new T.RandomHorizontalFlip()]);
  const batches = (seed: number) => {
    nb.manualSeed(seed);
    const loader = new nb.data.DataLoader(ds, { batchSize: 4, transform: augment.fn, batchTransform: new T.Normalize([0.5], [0.5]).fn });
    return [...loader].map(([bx]) => bx);
  };
  const a = batches(3);
  assert.deepEqual(a.map((b) => b.shape), [[4, 1, 4, 4], [4, 1, 4, 4], [2, 1, 4, 4]]);
  assert.ok(Array.from(a[0].dataSync()).every((v) => v >= -1 && v <= 1));
  batches(3).forEach((b, i) => assertClose(b, a[i], { rtol: 0, atol: 0 }));
  assert.notDeepEqual(batches(4)[0].toArray(), a[0].toArray());
});
