// Geometric transforms on small hand-checked images, their shapes, and their seeding.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

const T = nb.transforms;
const g = (seed: number) => ({ generator: new nb.Generator(seed) });
// 1 2 3 / 4 5 6 / 7 8 9 and 0..15 in a 4 x 4, as one-channel images.
const img3 = nb.tensor([[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]);
const img4 = nb.arange(16).reshape([1, 4, 4]);
const rows = (t: nb.Tensor) => t.toArray();

test("flips reverse columns / rows with p = 1 and keep the image with p = 0", () => {
  assertClose(new T.RandomHorizontalFlip(1).apply(img3), [[[3, 2, 1], [6, 5, 4], [9, 8, 7]]]);
  assertClose(new T.RandomVerticalFlip(1).apply(img3), [[[7, 8, 9], [4, 5, 6], [1, 2, 3]]]);
  assertClose(new T.RandomHorizontalFlip(0).apply(img3), img3);
  // Every channel of a flipped image is flipped.
  const rgb = nb.stack([img3, img3.mul(10)], 1).reshape([2, 3, 3]);
  assertClose(new T.RandomHorizontalFlip(1).apply(rgb), [[[3, 2, 1], [6, 5, 4], [9, 8, 7]], [[30, 20, 10], [60, 50, 40], [90, 80, 70]]]);
});

test("a batch draws a flip per image; the same seed gives the same choices", () => {
  const batch = img3.unsqueeze(0).expand([16, 1, 3, 3]).contiguous();
  const flipped = (seed: number) => {
    const out = new T.RandomHorizontalFlip(0.5, g(seed)).apply(batch);
    assert.deepEqual(out.shape, [16, 1, 3, 3]);
    return (out.toArray() as number[][][][]).map((im) => im[0][0][0] === 3);
  };
  const a = flipped(1);
  assert.ok(a.some((f) => f) && a.some((f) => !f), `expected a mix of flipped and unflipped images, got ${a}`);
  assert.deepEqual(flipped(1), a);
  assert.notDeepEqual(flipped(2), a);
});

test("RandomRotation by 90° turns counter-clockwise, -90° clockwise, 180° reverses", () => {
  assertClose(new T.RandomRotation([90, 90]).apply(img3), [[[3, 6, 9], [2, 5, 8], [1, 4, 7]]]);
  assertClose(new T.RandomRotation([-90, -90]).apply(img3), [[[7, 4, 1], [8, 5, 2], [9, 6, 3]]]);
  // Even sizes rotate about the centre between pixels, so nothing is lost either.
  assertClose(new T.RandomRotation([90, 90]).apply(img4), [[[3, 7, 11, 15], [2, 6, 10, 14], [1, 5, 9, 13], [0, 4, 8, 12]]]);
  assertClose(new T.RandomRotation([180, 180], { interpolation: "bilinear" }).apply(img4), nb.arange(15, -1, -1).reshape([1, 4, 4]), { atol: 1e-5 });
  // 45°: the corners come from outside the image and read the fill.
  const r = rows(new T.RandomRotation([45, 45], { fill: -1 }).apply(nb.ones([1, 5, 5]))) as number[][][];
  assert.deepEqual([r[0][0][0], r[0][0][4], r[0][4][0], r[0][4][4], r[0][2][2]], [-1, -1, -1, -1, 1]);
});

test("translation by one pixel shifts and fills the uncovered border", () => {
  assertClose(T.affine(img3, { translate: [1, 0], fill: 0 }), [[[0, 1, 2], [0, 4, 5], [0, 7, 8]]]);
  assertClose(T.affine(img3, { translate: [0, -1], fill: [-1] }), [[[4, 5, 6], [7, 8, 9], [-1, -1, -1]]]);
  // RandomAffine's translate is a fraction of the size, rounded to whole pixels: here -1, 0 or +1 along x.
  const shifts = new Set<string>();
  for (let seed = 0; seed < 12; seed++) {
    const out = new T.RandomAffine({ translate: [1 / 3, 0], ...g(seed) }).apply(img3);
    const options = [-1, 0, 1].map((dx) => T.affine(img3, { translate: [dx, 0] }));
    const k = options.findIndex((o) => JSON.stringify(o.toArray()) === JSON.stringify(out.toArray()));
    assert.ok(k >= 0, `seed ${seed}: ${JSON.stringify(out.toArray())} is not a whole-pixel shift`);
    shifts.add(String(k));
  }
  assert.equal(shifts.size, 3);
});

test("scale 2 about the centre zooms into the middle 2 x 2 (nearest)", () => {
  assertClose(T.affine(img4, { scale: 2 }), [[[5, 5, 6, 6], [5, 5, 6, 6], [9, 9, 10, 10], [9, 9, 10, 10]]]);
  assertClose(new T.RandomAffine({ scale: [2, 2] }).apply(img4), T.affine(img4, { scale: 2 }));
});

test("CenterCrop picks the middle", () => {
  assertClose(new T.CenterCrop(1).apply(img3), [[[5]]]);
  assertClose(new T.CenterCrop(2).apply(img4), [[[5, 6], [9, 10]]]);
  assertClose(new T.CenterCrop([1, 3]).apply(img3), [[[4, 5, 6]]]);
  assert.deepEqual(new T.CenterCrop([2, 3]).apply(nb.zeros([5, 3, 8, 9])).shape, [5, 3, 2, 3]);
});

test("RandomCrop takes a window of the padded image at a seeded position", () => {
  const padded = nb.pad(img3, [1, 1, 1, 1]).toArray() as number[][][];
  const windows = new Set<string>();
  for (let seed = 0; seed < 30; seed++) {
    const out = rows(new T.RandomCrop(3, { padding: 1, ...g(seed) }).apply(img3)) as number[][][];
    let found = false;
    for (let t = 0; t < 3; t++) {
      for (let l = 0; l < 3; l++) {
        const win = padded[0].slice(t, t + 3).map((r) => r.slice(l, l + 3));
        if (JSON.stringify(win) === JSON.stringify(out[0])) {
          windows.add(`${t},${l}`);
          found = true;
        }
      }
    }
    assert.ok(found, `seed ${seed}: ${JSON.stringify(out)} is no window of the padded image`);
  }
  assert.ok(windows.size >= 6, `only ${windows.size} of 9 positions in 30 draws`);
  // Fill and edge padding read what they should.
  assertClose(new T.RandomCrop([3, 5], { padding: [1, 0], fill: -1 }).apply(img3), [[[-1, 1, 2, 3, -1], [-1, 4, 5, 6, -1], [-1, 7, 8, 9, -1]]]);
  assertClose(new T.RandomCrop([1, 5], { padding: [1, 0], paddingMode: "edge", ...g(3) }).apply(nb.tensor([[[1, 2, 3]]])), [[[1, 1, 2, 3, 3]]]);
  // padIfNeeded pads the shortfall on both sides, so a 2-wide image becomes 6 wide for size 4.
  const out = new T.RandomCrop([1, 4], { padIfNeeded: true, ...g(0) }).apply(nb.tensor([[[5, 6]]]));
  assert.deepEqual(out.shape, [1, 1, 4]);
  // The same size without padding is the identity.
  assertClose(new T.RandomCrop(3).apply(img3), img3);
});

test("RandomResizedCrop: the whole image at scale 1 and ratio 1, else seeded windows", () => {
  const x = nb.rand([3, 6, 6], g(4));
  assertClose(new T.RandomResizedCrop(4, { scale: [1, 1], ratio: [1, 1] }).apply(x), new T.Resize([4, 4]).apply(x), { atol: 1e-6 });
  const t = (seed: number) => new T.RandomResizedCrop([5, 7], g(seed)).apply(nb.rand([2, 3, 12, 10], g(9)));
  assert.deepEqual(t(1).shape, [2, 3, 5, 7]);
  assertClose(t(1), t(1));
  assert.notDeepEqual(t(1).toArray(), t(2).toArray());
  // When no draw fits (ratio range far from the image's), it falls back to a central crop of the nearest ratio.
  const rrc = new T.RandomResizedCrop(2, { scale: [0.9, 1], ratio: [4, 5] });
  assert.deepEqual(rrc.window(new Float64Array(40).fill(0.5), 8, 8), { top: 3, left: 0, height: 2, width: 8 });
});

test("Resize: [h, w] exactly, one number for the shorter edge, maxSize caps the longer", () => {
  const x = nb.rand([2, 3, 6, 10], g(1));
  assert.deepEqual(new T.Resize([3, 4]).apply(x).shape, [2, 3, 3, 4]);
  assert.deepEqual(new T.Resize(3).apply(x).shape, [2, 3, 3, 5]);
  assert.deepEqual(new T.Resize(3).apply(nb.zeros([1, 10, 6])).shape, [1, 5, 3]);
  assert.deepEqual(new T.Resize(3, { maxSize: 4 }).apply(x).shape, [2, 3, 2, 4]);
  // Downsampling by exactly 2 averages 2 x 2 blocks (bilinear, align_corners=False).
  assertClose(new T.Resize(2).apply(img4), [[[2.5, 4.5], [10.5, 12.5]]]);
  // A batch resizes each image like the single-image call.
  assertClose(new T.Resize([4, 4]).apply(x).narrow(0, 1, 1).squeeze(0), new T.Resize([4, 4]).apply(x.narrow(0, 1, 1).squeeze(0)));
});

test("random geometric transforms: shapes for [C,H,W] and [N,C,H,W], seeding, per-image draws", () => {
  const single = nb.rand([3, 8, 8], g(11));
  const batch = single.unsqueeze(0).expand([12, 3, 8, 8]).contiguous();
  const make: [string, (seed: number) => nb.transforms.Transform, number[]][] = [
    ["RandomHorizontalFlip", (s) => new T.RandomHorizontalFlip(0.5, g(s)), [8, 8]],
    ["RandomVerticalFlip", (s) => new T.RandomVerticalFlip(0.5, g(s)), [8, 8]],
    ["RandomRotation", (s) => new T.RandomRotation(30, g(s)), [8, 8]],
    ["RandomAffine", (s) => new T.RandomAffine({ degrees: 20, translate: [0.2, 0.2], scale: [0.8, 1.2], shear: [-10, 10, -5, 5], interpolation: "bilinear", ...g(s) }), [8, 8]],
    ["RandomCrop", (s) => new T.RandomCrop(6, { padding: 2, ...g(s) }), [6, 6]],
    ["RandomResizedCrop", (s) => new T.RandomResizedCrop(5, g(s)), [5, 5]],
  ];
  for (const [name, build, hw] of make) {
    const one = build(1).apply(single);
    assert.deepEqual(one.shape, [3, ...hw], name);
    assert.equal(one.dtype, "float32", name);
    const out = build(1).apply(batch);
    assert.deepEqual(out.shape, [12, 3, ...hw], name);
    assertClose(build(1).apply(batch), out, { rtol: 0, atol: 0, msg: `${name} same seed` });
    assert.notDeepEqual(build(2).apply(batch).toArray(), out.toArray(), `${name}: seeds 1 and 2 gave the same batch`);
    const images = (out.toArray() as unknown[]).map((im) => JSON.stringify(im));
    assert.ok(new Set(images).size > 1, `${name}: every image of the batch got the same parameters`);
  }
});

test("without a generator the global one is used, so nb.manualSeed reproduces a pipeline", () => {
  const pipeline = new T.Compose([new T.RandomRotation(25), new T.RandomHorizontalFlip(), new T.RandomCrop(6, { padding: 1 })]);
  const x = nb.rand([4, 1, 8, 8], g(3));
  nb.manualSeed(42);
  const a = pipeline.apply(x);
  const b = pipeline.apply(x);
  nb.manualSeed(42);
  assertClose(pipeline.apply(x), a, { rtol: 0, atol: 0 });
  assert.notDeepEqual(a.toArray(), b.toArray());
});

test("geometric transforms reject bad input naming the transform and what it got", () => {
  assertThrowsMatching(() => new T.RandomHorizontalFlip(1.5), /RandomHorizontalFlip: p must be a probability in \[0, 1\], got 1.5/);
  assertThrowsMatching(() => new T.RandomVerticalFlip(-0.1), /RandomVerticalFlip: p must be a probability in \[0, 1\], got -0.1/);
  assertThrowsMatching(() => new T.RandomHorizontalFlip().apply(nb.zeros([3, 4])), /RandomHorizontalFlip: expected an image \[C, H, W\] or a batch \[N, C, H, W\], got shape \[3, 4\] \(rank 2\)/);
  assertThrowsMatching(() => new T.RandomRotation(10).apply(nb.zeros([1, 1, 1, 2, 2])), /RandomRotation: .*got shape \[1, 1, 1, 2, 2\]/);
  assertThrowsMatching(() => new T.CenterCrop(2).apply(nb.zeros([1, 3, 3], { dtype: "int32" })), /CenterCrop: expected a float32 or float64 image, got int32/);
  assertThrowsMatching(() => new T.RandomCrop(5).apply(nb.zeros([1, 4, 6])), /RandomCrop: crop size \[5, 5\] is larger than the image \[1, 4, 6\]; pass padIfNeeded/);
  assertThrowsMatching(() => new T.RandomCrop(9, { padding: 2 }).apply(nb.zeros([1, 4, 6])), /RandomCrop: crop size \[9, 9\] is larger than the image \[1, 4, 6\] \(8 x 10 after padding\)/);
  assertThrowsMatching(() => new T.RandomCrop(0), /RandomCrop: size must be a positive integer or \[height, width\]/);
  assertThrowsMatching(() => new T.RandomCrop(2, { padding: -1 }), /RandomCrop: padding must be a non-negative integer/);
  assertThrowsMatching(() => new T.RandomResizedCrop(4, { scale: [0.5, 0.2] }), /RandomResizedCrop: scale must be \[min, max\].*got \[0.5,0.2\]/);
  assertThrowsMatching(() => new T.RandomAffine({ translate: [0.5, 2] }), /RandomAffine: translate must be \[a, b\] with fractions .* got \[0.5,2\]/);
  assertThrowsMatching(() => new T.RandomAffine({ scale: [0, 1] }), /RandomAffine: scale must be \[min, max\] of positive numbers/);
  assertThrowsMatching(() => new T.RandomAffine({ shear: [1, 2, 3] }), /RandomAffine: shear must be a number, \[min, max\] or \[xmin, xmax, ymin, ymax\]/);
  assertThrowsMatching(() => new T.RandomRotation(-5), /RandomRotation: degrees must be a non-negative number or a \[min, max\] pair, got -5/);
  assertThrowsMatching(() => new T.RandomRotation([10, -10]), /RandomRotation: degrees range \[10, -10\] has min > max/);
  assertThrowsMatching(() => new T.RandomRotation(10, { interpolation: "bicubic" as "nearest" }), /RandomRotation: interpolation must be "nearest" or "bilinear", got "bicubic"/);
  assertThrowsMatching(() => new T.RandomRotation(10, { fill: [1, 2] }).apply(nb.zeros([3, 4, 4])), /RandomRotation: fill has 2 values but the image has 3 channels/);
  assertThrowsMatching(() => new T.Resize([2, 0]), /Resize: size must be a positive integer or \[height, width\]/);
  assertThrowsMatching(() => new T.Resize(4, { maxSize: 4 }), /Resize: maxSize must be an integer greater than size 4, got 4/);
  assertThrowsMatching(() => new T.Resize(4).apply(nb.zeros([1, 0, 3])), /Resize: the image is empty \(shape \[1, 0, 3\]\)/);
  assertThrowsMatching(() => T.affine(img3, { scale: -1 }), /affine: scale must be positive, got -1/);
  assertThrowsMatching(() => new T.RandomHorizontalFlip().apply([1, 2] as unknown as nb.Tensor), /RandomHorizontalFlip: .*got an array \(wrap it with nb.tensor\)/);
});
