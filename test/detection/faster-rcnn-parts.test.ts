// Faster R-CNN's building blocks against torchvision 0.14 (scripts/fixtures/faster_rcnn.py):
// anchors, box coding (with the log(1000/16) clip), the matcher, the sampler, the transform.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import { assertClose } from "../helpers/assert.js";
import { decodeFixture, type Enc } from "../helpers/fixture-tensor.js";
import { AnchorGenerator } from "../../src/detection/anchor-generator.js";
import { BoxCoder } from "../../src/detection/box-coder.js";
import { Matcher } from "../../src/detection/matcher.js";
import { BalancedPositiveNegativeSampler } from "../../src/detection/balanced-sampler.js";
import { GeneralizedRCNNTransform } from "../../src/detection/transform.js";
import { FrozenBatchNorm2d } from "../../src/detection/frozen-batch-norm.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fx: any = JSON.parse(readFileSync(new URL("../fixtures/faster_rcnn.json", import.meta.url), "utf8"));
const dec = (e: Enc) => decodeFixture(e);

test("AnchorGenerator: anchors of two feature levels equal torchvision's, the same for every image", () => {
  const a = fx.anchors;
  const gen = new AnchorGenerator({ sizes: a.sizes, aspectRatios: a.aspectRatios });
  assert.deepEqual(gen.numAnchorsPerLocation(), a.numAnchorsPerLocation);
  const images = { tensors: nb.zeros(a.batchShape), imageSizes: [[60, 90], [64, 80]] as [number, number][] };
  const out = gen.forward(images, a.featureShapes.map((s: number[]) => nb.zeros(s)));
  assert.equal(out.length, a.numImages);
  for (const t of out) assertClose(t, dec(a.anchors), { atol: 0, rtol: 0 });
});

test("AnchorGenerator: the default FPN cell anchors are rounded half to even as torch.round", () => {
  const gen = new AnchorGenerator({ sizes: [[32], [64], [128], [256], [512]], aspectRatios: [0.5, 1, 2] });
  fx.anchors.defaultCellAnchors.forEach((e: Enc, i: number) => assertClose(gen.cellAnchors(i), dec(e), { atol: 0, rtol: 0, msg: `level ${i}` }));
});

test("AnchorGenerator: a feature-map count that does not match the sizes is an error", () => {
  const gen = new AnchorGenerator({ sizes: [[16], [32]] });
  assert.throws(() => gen.forward({ tensors: nb.zeros([1, 3, 32, 32]), imageSizes: [[32, 32]] }, [nb.zeros([1, 4, 4, 4])]), /got 1 feature maps but sizes\/aspectRatios describe 2/);
  assert.throws(() => new AnchorGenerator({ sizes: [[16]], aspectRatios: [[1], [2]] }), /sizes has 1 feature maps but aspectRatios has 2/);
});

for (const name of ["w10", "w1"]) {
  test(`BoxCoder ${name}: encode and decode (past the log(1000/16) clip) equal torchvision's`, () => {
    const c = fx.boxCoder[name];
    const coder = new BoxCoder({ weights: c.weights });
    const ref = dec(fx.boxCoder.reference), prop = dec(fx.boxCoder.proposals);
    assertClose(coder.encode(ref, prop), dec(c.encoded), { rtol: 2e-6, atol: 2e-6 });
    assertClose(coder.decode(dec(c.deltas), prop), dec(c.decoded), { rtol: 2e-6, atol: 1e-4 });
  });
}

test("BoxCoder: rows that do not pair up are an error", () => {
  const coder = new BoxCoder();
  assert.throws(() => coder.encode(nb.zeros([2, 4]), nb.zeros([3, 4])), /BoxCoder.encode: boxes \[2, 4\] and references \[3, 4\] must have the same number of rows/);
  assert.throws(() => coder.decode(nb.zeros([2, 5]), nb.zeros([2, 4])), /BoxCoder.decode: codes must be \[K, 4·C\]/);
});

test("Matcher(0.7, 0.3): matches with and without low-quality matches equal torchvision's (ties, exact thresholds)", () => {
  const iou = dec(fx.matcher.iou);
  assert.deepEqual(Array.from(new Matcher(0.7, 0.3).match(iou)), fx.matcher.plain.data);
  assert.deepEqual(Array.from(new Matcher(0.7, 0.3, true).match(iou)), fx.matcher.lowQuality.data);
  assert.throws(() => new Matcher(0.7, 0.3).match(nb.zeros([0, 5])), /no ground-truth boxes/);
  assert.throws(() => new Matcher(0.3, 0.7), /lowThreshold \(0.7\) must be <= highThreshold \(0.3\)/);
});

test("BalancedPositiveNegativeSampler: at most batch·fraction positives, the rest negatives, never an ignored one", () => {
  const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 10 ? 2 : i < 20 ? -1 : 0));
  const s = new BalancedPositiveNegativeSampler(16, 0.25, new nb.Generator(3));
  const [{ positive, negative }] = s.sample([labels]);
  assert.equal(positive.length, 4);
  assert.equal(negative.length, 12);
  assert.ok(positive.every((i) => i < 10) && negative.every((i) => i >= 20));
  assert.equal(new Set(negative).size, 12);
  // Too few positives: the negatives fill the batch.
  const [few] = new BalancedPositiveNegativeSampler(16, 0.5).sample([Int32Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]);
  assert.deepEqual([few.positive.length, few.negative.length], [1, 15]);
});

test("GeneralizedRCNNTransform: normalise, resize (float32 scale, floor), pad to 32, boxes scaled and mapped back", () => {
  const t = fx.transform;
  const tr = new GeneralizedRCNNTransform({ minSize: 16, maxSize: 20 });
  const { imageList, targets } = tr.forward([dec(t.image)], [{ boxes: dec(t.boxes), labels: nb.tensor([1, 2], { dtype: "int32" }) }]);
  assert.deepEqual(imageList.imageSizes, t.imageSizes);
  assertClose(imageList.tensors, dec(t.batched), { rtol: 1e-5, atol: 1e-5 });
  assertClose(targets![0].boxes, dec(t.resizedBoxes), { rtol: 1e-6, atol: 0 });
  tr.eval();
  const back = tr.postprocess([{ boxes: targets![0].boxes, labels: nb.zeros([2]), scores: nb.zeros([2]) }], imageList.imageSizes, [[10, 14]]);
  assertClose(back[0].boxes, dec(t.postprocessed), { rtol: 1e-6, atol: 0 });
});

test("GeneralizedRCNNTransform: images of different channel counts, non-float images and 2-d tensors are errors", () => {
  const tr = new GeneralizedRCNNTransform({ minSize: 16, maxSize: 20, imageMean: [0, 0, 0], imageStd: [1, 1, 1] });
  assert.throws(() => tr.forward([nb.zeros([3, 8, 8]), nb.zeros([1, 8, 8])]), /image 1 has 1 channels but image 0 has 3/);
  assert.throws(() => tr.forward([nb.zeros([3, 8, 8], { dtype: "int32" })]), /images must be floating point/);
  assert.throws(() => tr.forward([nb.zeros([8, 8])]), /images are expected to be \[C, H, W\] tensors, got \[8, 8\]/);
});

test("FrozenBatchNorm2d: (x − mean)/sqrt(var + eps)·weight + bias from buffers, nothing trainable; loads a BatchNorm2d's state", () => {
  const bn = new FrozenBatchNorm2d(2);
  assert.equal(bn.parameters().length, 0);
  bn.loadStateDict(new Map([
    ["weight", nb.tensor([2, 0.5])], ["bias", nb.tensor([1, -1])], ["running_mean", nb.tensor([0.5, -2])], ["running_var", nb.tensor([4, 0.25])],
  ]));
  const x = nb.tensor([1, 3, -1, 0], { shape: [1, 2, 2, 1] });
  const e = (v: number, m: number, va: number, w: number, b: number) => ((v - m) / Math.sqrt(va + 1e-5)) * w + b;
  assertClose(bn.forward(x).reshape([4]), [e(1, 0.5, 4, 2, 1), e(3, 0.5, 4, 2, 1), e(-1, -2, 0.25, 0.5, -1), e(0, -2, 0.25, 0.5, -1)], { rtol: 1e-6 });
  assert.throws(() => bn.forward(nb.zeros([1, 3, 2, 2])), /FrozenBatchNorm2d: expected input \[N, 2, H, W\], got \[1, 3, 2, 2\]/);
});
