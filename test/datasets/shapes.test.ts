// nb.datasets.shapes (seeded synthetic detection images) and the detection batches of nb.data
// (collateDetection, DetectionDataLoader).

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

/** Colour of pixel (x, y) of a [3, S, S] image as read by dataSync. */
const pixel = (d: ArrayLike<number>, s: number, x: number, y: number): number[] => [0, 1, 2].map((c) => d[c * s * s + y * s + x]);
/** Within the per-pixel noise (±0.04 around the flat colour) of each other, in every channel. */
const sameColour = (a: number[], b: number[]): boolean => a.every((v, i) => Math.abs(v - b[i]) <= 0.081);

test("shapes: images [3, S, S] in [0, 1], 1..maxObjects boxes with 1-based int32 labels, classes with the background first", () => {
  const ds = nb.datasets.shapes({ n: 20, imageSize: 64, maxObjects: 3, seed: 7 });
  assert.equal(ds.length, 20);
  assert.deepEqual(ds.classes, ["__background__", "rectangle", "circle", "triangle"]);
  const counts = new Set<number>();
  for (let i = 0; i < ds.length; i++) {
    const [image, { boxes, labels }] = ds.get(i);
    assert.deepEqual(image.shape, [3, 64, 64]);
    assert.equal(image.dtype, "float32");
    assert.ok(image.dataSync().every((v) => v >= 0 && v <= 1));
    const k = labels.shape[0];
    counts.add(k);
    assert.ok(k >= 1 && k <= 3, `sample ${i}: ${k} objects`);
    assert.deepEqual(boxes.shape, [k, 4]);
    assert.equal(boxes.dtype, "float32");
    assert.equal(labels.dtype, "int32");
    for (const l of labels.dataSync()) assert.ok(l >= 1 && l <= 3);
  }
  assert.ok(counts.size > 1, "the object count varies between images");
});

test("shapes: every box is tight around its shape's pixels (its edge lines touch the shape, the lines outside do not)", () => {
  const s = 64;
  const ds = nb.datasets.shapes({ n: 12, imageSize: s, seed: 3 });
  let checked = 0;
  for (let i = 0; i < ds.length; i++) {
    const [image, { boxes }] = ds.get(i);
    const d = image.dataSync(), b = boxes.dataSync();
    for (let k = 0; k < b.length; k += 4) {
      const [x1, y1, x2, y2] = b.subarray(k, k + 4);
      // Every shape contains its box's centre pixel (rectangles, circles, and triangles by construction).
      const colour = pixel(d, s, Math.floor((x1 + x2 - 1) / 2), Math.floor((y1 + y2) / 2));
      const lineHas = (xs: number[], ys: number[]): boolean => xs.some((x) => ys.some((y) => sameColour(pixel(d, s, x, y), colour)));
      const range = (a: number, z: number): number[] => Array.from({ length: z - a }, (_, j) => a + j);
      const where = `sample ${i} box (${x1}, ${y1}, ${x2}, ${y2})`;
      assert.ok(lineHas([x1], range(y1, y2)) && lineHas([x2 - 1], range(y1, y2)), `${where}: left/right edge`);
      assert.ok(lineHas(range(x1, x2), [y1]) && lineHas(range(x1, x2), [y2 - 1]), `${where}: top/bottom edge`);
      if (x1 > 0) assert.ok(!lineHas([x1 - 1], range(y1, y2)), `${where}: column left of the box`);
      if (x2 < s) assert.ok(!lineHas([x2], range(y1, y2)), `${where}: column right of the box`);
      if (y1 > 0) assert.ok(!lineHas(range(x1, x2), [y1 - 1]), `${where}: row above the box`);
      if (y2 < s) assert.ok(!lineHas(range(x1, x2), [y2]), `${where}: row below the box`);
      checked++;
    }
  }
  assert.ok(checked >= 12);
});

test("shapes: sample i depends only on (seed, i); classes picks the kinds and their labels", () => {
  const a = nb.datasets.shapes({ n: 5, imageSize: 32, seed: 11 }).get(3);
  const b = nb.datasets.shapes({ n: 100, imageSize: 32, seed: 11 }).get(3);
  assert.deepEqual(Array.from(a[0].dataSync()), Array.from(b[0].dataSync()));
  assert.deepEqual(Array.from(a[1].boxes.dataSync()), Array.from(b[1].boxes.dataSync()));
  assert.deepEqual(Array.from(a[1].labels.dataSync()), Array.from(b[1].labels.dataSync()));
  const c = nb.datasets.shapes({ n: 5, imageSize: 32, seed: 12 }).get(3);
  assert.notDeepEqual(Array.from(a[0].dataSync()), Array.from(c[0].dataSync()));

  const circles = nb.datasets.shapes({ n: 4, imageSize: 48, classes: ["circle"], minSize: 10, maxSize: 16, seed: 1 });
  assert.deepEqual(circles.classes, ["__background__", "circle"]);
  for (let i = 0; i < 4; i++) {
    const { boxes, labels } = circles.get(i)[1];
    assert.ok(labels.dataSync().every((l) => l === 1));
    const bx = boxes.dataSync();
    for (let k = 0; k < bx.length; k += 4) {
      // A circle's tight box is square, as wide as its diameter (10..16 pixels).
      assert.equal(bx[k + 2] - bx[k], bx[k + 3] - bx[k + 1]);
      assert.ok(bx[k + 2] - bx[k] >= 9 && bx[k + 2] - bx[k] <= 16);
    }
  }
});

test("shapes: bad options are clear errors", () => {
  // @ts-expect-error misspelt
  assertThrowsMatching(() => nb.datasets.shapes({ n: 2, imagesize: 32 }), /^shapes: unknown option "imagesize" \(did you mean "imageSize"\?\)/);
  // @ts-expect-error unknown kind
  assertThrowsMatching(() => nb.datasets.shapes({ n: 2, classes: ["square"] }), /^shapes: classes must be distinct names among "rectangle", "circle", "triangle", got \["square"\]$/);
  assertThrowsMatching(() => nb.datasets.shapes({ n: 2, imageSize: 32, minSize: 20, maxSize: 10 }), /^shapes: need minSize <= maxSize <= imageSize, got minSize 20, maxSize 10, imageSize 32$/);
  assertThrowsMatching(() => nb.datasets.shapes({ n: -1 }), /^shapes: n must be an integer >= 0, got -1$/);
  assertThrowsMatching(() => nb.datasets.shapes({ n: 2 }).get(2), /^shapes: index 2 is out of range for a dataset of 2 samples$/);
});

test("detection batches are lists: collateDetection and DetectionDataLoader give [images[], targets[]]", () => {
  const ds = nb.datasets.shapes({ n: 7, imageSize: 32, seed: 5 });
  const [images, targets] = nb.data.collateDetection([ds.get(0), ds.get(1)]);
  assert.equal(images.length, 2);
  assert.equal(targets.length, 2);
  assert.deepEqual(Array.from(targets[1].boxes.dataSync()), Array.from(ds.get(1)[1].boxes.dataSync()));
  assert.equal(nb.detection.collate, nb.data.collateDetection);

  const loader = new nb.data.DetectionDataLoader(ds, { batchSize: 3 });
  assert.equal(loader.length, 3);
  assert.deepEqual([...loader].map(([im, t]) => [im.length, t.length]), [[3, 3], [3, 3], [1, 1]]);
  // Shuffled with a seed: a permutation, the same for the same seed.
  const order = (seed: number): string[] =>
    [...new nb.data.DetectionDataLoader(ds, { batchSize: 7, shuffle: true, seed })][0][1].map((t) => Array.from(t.boxes.dataSync()).join(","));
  const all = Array.from({ length: 7 }, (_, i) => Array.from(ds.get(i)[1].boxes.dataSync()).join(","));
  assert.deepEqual(order(1), order(1));
  assert.deepEqual([...order(1)].sort(), [...all].sort());
  assert.notDeepEqual(order(1), all);
  // The per-sample transform sees [image, target].
  const flipped = new nb.data.DetectionDataLoader(ds, { batchSize: 2, dropLast: true, transform: new nb.detection.transforms.RandomHorizontalFlip(1) });
  assert.equal(flipped.length, 3);
  const [[img0], [t0]] = [...flipped][0];
  const x1 = ds.get(0)[1].boxes.dataSync()[0], x2 = ds.get(0)[1].boxes.dataSync()[2];
  assert.equal(t0.boxes.dataSync()[0], 32 - x2);
  assert.equal(t0.boxes.dataSync()[2], 32 - x1);
  assert.deepEqual(img0.shape, [3, 32, 32]);

  assertThrowsMatching(() => nb.data.collateDetection([]), /^collateDetection: cannot make a batch of zero samples$/);
  // @ts-expect-error a classification sample
  assertThrowsMatching(() => nb.data.collateDetection([[nb.zeros([3, 2, 2]), nb.zeros([1])]]), /^collateDetection: sample 0 must be \[image, \{boxes, labels\}\]/);
  // @ts-expect-error DataLoader's batchTransform stacks images
  assertThrowsMatching(() => new nb.data.DetectionDataLoader(ds, { batchTransform: (x: nb.Tensor) => x }), /^DetectionDataLoader: unknown option "batchTransform"/);
});
