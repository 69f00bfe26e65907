// Detection transforms (nb.detection.transforms): the boxes move with the pixels.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

const T = nb.detection.transforms;
const int = (v: number[]): nb.Tensor => nb.tensor(v, { dtype: "int32" });

/** A [1, h, w] image whose pixel (x, y) is 100·y + x, so every move can be read back. */
function coordinates(h: number, w: number): nb.Tensor {
  return nb.tensor(Float32Array.from({ length: h * w }, (_, i) => 100 * Math.floor(i / w) + (i % w)), { shape: [1, h, w] });
}

function sample(h: number, w: number, boxes: number[][], labels: number[]): nb.data.DetectionSample {
  return [coordinates(h, w), { boxes: nb.tensor(boxes.length ? boxes : new Float32Array(0), { shape: [boxes.length, 4] }), labels: int(labels) }];
}

test("RandomHorizontalFlip: x1' = W − x2, x2' = W − x1 and the columns reverse; p = 0 leaves the sample alone", () => {
  const s = sample(4, 20, [[2, 1, 10, 3], [0, 0, 20, 4]], [1, 2]);
  const [image, target] = new T.RandomHorizontalFlip(1).apply(s);
  assert.deepEqual(target.boxes.toArray(), [[10, 1, 18, 3], [0, 0, 20, 4]]);
  assert.deepEqual(Array.from(target.labels.dataSync()), [1, 2]);
  assert.equal(image.dataSync()[0], 19);
  assert.equal(image.dataSync()[20 + 19], 100);
  assert.equal(new T.RandomHorizontalFlip(0).apply(s), s);
  // With a generator: flips exactly where its draw is below p.
  const draws = new nb.Generator(3);
  const flip = new T.RandomHorizontalFlip(0.5, { generator: new nb.Generator(3) });
  const seen = new Set<number>();
  for (let i = 0; i < 8; i++) {
    const x1 = flip.apply(s)[1].boxes.dataSync()[0];
    assert.equal(x1, draws.hostUniform(1)[0] < 0.5 ? 10 : 2);
    seen.add(x1);
  }
  assert.equal(seen.size, 2);
});

test("Resize: minSize/maxSize as GeneralizedRCNNTransform (scale min(min/short, max/long), floor), boxes scaled", () => {
  const s = sample(40, 80, [[8, 4, 40, 20]], [3]);
  const r = new T.Resize({ minSize: 20, maxSize: 30 });
  assert.deepEqual(r.outputSize(40, 80), [15, 30]); // min(20/40, 30/80) = 0.375
  const [image, target] = r.apply(s);
  assert.deepEqual(image.shape, [1, 15, 30]);
  assertClose(target.boxes, [[3, 1.5, 15, 7.5]]);
  // The pixels are F.interpolate's bilinear resize.
  assertClose(image, nb.nn.functional.interpolate(s[0].unsqueeze(0), { size: [15, 30], mode: "bilinear" }).squeeze(0));
  // The shorter side reaches minSize when the longer allows it.
  assert.deepEqual(new T.Resize({ minSize: 20, maxSize: 100 }).outputSize(40, 80), [20, 40]);
  // An exact size scales x and y separately.
  const [im2, t2] = new T.Resize({ size: [20, 20] }).apply(s);
  assert.deepEqual(im2.shape, [1, 20, 20]);
  assertClose(t2.boxes, [[2, 2, 10, 10]]);
});

test("RandomCrop: boxes shift by the window's corner, clip to it, and vanish with their labels when nothing is left", () => {
  const boxes = [[12, 12, 16, 16], [0, 0, 30, 30], [2, 2, 14, 5], [28, 28, 30, 30]];
  const s = sample(30, 30, boxes, [1, 2, 3, 4]);
  const [u, v] = new nb.Generator(9).hostUniform(2);
  const top = Math.floor(u * 21), left = Math.floor(v * 21);
  const [image, target] = new T.RandomCrop(10, { generator: new nb.Generator(9) }).apply(s);
  assert.deepEqual(image.shape, [1, 10, 10]);
  assert.equal(image.dataSync()[0], 100 * top + left);
  const expected: number[][] = [];
  const labels: number[] = [];
  boxes.forEach(([x1, y1, x2, y2], k) => {
    const c = (val: number): number => Math.min(10, Math.max(0, val));
    const b = [c(x1 - left), c(y1 - top), c(x2 - left), c(y2 - top)];
    if (b[2] > b[0] && b[3] > b[1]) {
      expected.push(b);
      labels.push(k + 1);
    }
  });
  assert.deepEqual(target.boxes.toArray(), expected);
  assert.deepEqual(Array.from(target.labels.dataSync()), labels);
  assert.ok(labels.includes(2) && labels.length < 4, `window (${left}, ${top}) keeps the covering box and loses the far corner's`);

  // A fixed window (the image is 12 wide: left 0..2), minVisible drops boxes mostly outside.
  const partial = sample(10, 12, [[0, 0, 4, 10], [9, 0, 12, 10]], [1, 2]);
  const gen = new nb.Generator(1);
  const [, v2] = new nb.Generator(1).hostUniform(2);
  const left2 = Math.floor(v2 * 3);
  const [, t3] = new T.RandomCrop([10, 10], { generator: gen, minVisible: 0.9 }).apply(partial);
  // Box 1 keeps 4 − left of its 4 columns, box 2 keeps 1 + left of its 3: 90% only at left 0 and left 2.
  assert.deepEqual(Array.from(t3.labels.dataSync()), left2 === 0 ? [1] : left2 === 2 ? [2] : []);
});

test("Compose runs the transforms in order", () => {
  const s = sample(10, 20, [[2, 2, 6, 4]], [1]);
  const [image, target] = new T.Compose([new T.Resize({ size: [20, 40] }), new T.RandomHorizontalFlip(1)]).apply(s);
  assert.deepEqual(image.shape, [1, 20, 40]);
  assert.deepEqual(target.boxes.toArray(), [[28, 4, 36, 8]]);
  // Functions of the sample compose too.
  const halve = ([im, t]: nb.data.DetectionSample): nb.data.DetectionSample => [im, { ...t, boxes: t.boxes.div(2) }];
  assert.deepEqual(new T.Compose([halve, new T.RandomHorizontalFlip(1)]).apply(s)[1].boxes.toArray(), [[17, 1, 19, 2]]);
});

test("detection transforms: bad samples and options are clear errors", () => {
  const bad = sample(10, 10, [[5, 0, 2, 4]], [1]);
  assertThrowsMatching(() => new T.RandomHorizontalFlip(1).apply(bad), /^RandomHorizontalFlip: boxes\[0\] = \(5, 0, 2, 4\) has x2 < x1 or y2 < y1$/);
  // @ts-expect-error not a sample
  assertThrowsMatching(() => new T.Resize({ size: 4 }).apply(nb.zeros([3, 4, 4])), /^Resize: expected a sample \[image, \{boxes, labels\}\]/);
  assertThrowsMatching(() => new T.RandomCrop(4).apply([nb.zeros([3, 4, 4]), { boxes: nb.zeros([2, 4]), labels: int([1]) }]), /^RandomCrop: target boxes must be \[K, 4\] and labels \[K\], got boxes \[2, 4\] and labels \[1\]$/);
  assertThrowsMatching(() => new T.Resize({}), /^Resize: give either size \(\[height, width\]\) or minSize \(with maxSize\)/);
  assertThrowsMatching(() => new T.Resize({ minSize: 30, maxSize: 20 }), /^Resize: need 0 < minSize <= maxSize, got minSize 30, maxSize 20$/);
  assertThrowsMatching(() => new T.RandomHorizontalFlip(2), /^RandomHorizontalFlip: p must be a probability in \[0, 1\], got 2$/);
  // @ts-expect-error not a transform
  assertThrowsMatching(() => new T.Compose([42]), /^Compose: element 0 is not a detection transform \(an object with apply\(\[image, target\]\) or a function\), got 42$/);
  // An image without objects is valid (torchvision trains on them).
  const empty = sample(8, 8, [], []);
  assert.deepEqual(new T.RandomHorizontalFlip(1).apply(empty)[1].boxes.shape, [0, 4]);
});
