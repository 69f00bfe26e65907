// meanAveragePrecision on cases worked by hand (COCO's and VOC's definitions), with the
// arithmetic beside each expectation.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

const { meanAveragePrecision } = nb.detection;
const close = (a: number, e: number, msg: string): void => assert.ok(Math.abs(a - e) < 1e-9, `${msg}: got ${a}, expected ${e}`);

// One image, one class. Targets A = [0,0,10,10], B = [20,20,30,30]. Predictions by score:
//   p1 (0.9) = A exactly: IoU 1, a hit at every threshold;
//   p3 (0.8) = [50,50,60,60]: overlaps nothing, a false positive;
//   p2 (0.7) = [20,20,30,35]: IoU with B = 100 / 150 = 0.667: a hit for t ≤ 0.65, a miss from 0.70.
const oneImage = {
  preds: [{ boxes: nb.tensor([[0, 0, 10, 10], [20, 20, 30, 35], [50, 50, 60, 60]]), scores: nb.tensor([0.9, 0.7, 0.8]), labels: nb.tensor([1, 1, 1], { dtype: "int32" }) }],
  targets: [{ boxes: nb.tensor([[0, 0, 10, 10], [20, 20, 30, 30]]), labels: nb.tensor([1, 1], { dtype: "int32" }) }],
};

test("COCO: 101-point interpolated precision averaged over IoU 0.50:0.05:0.95", () => {
  const r = meanAveragePrecision(oneImage.preds, oneImage.targets);
  // t ≤ 0.65 (4 thresholds): hits T F T → recall .5 .5 1, precision 1 .5 .667, made monotone
  // 1 .667 .667. The 51 recall points 0 … 0.50 read precision 1, the 50 points 0.51 … 1 read 2/3:
  const low = (51 + 50 * (2 / 3)) / 101; // 0.83498
  // t ≥ 0.70 (6 thresholds): hits T F F → recall stays 0.5: 51 points read 1, the others 0.
  const high = 51 / 101; // 0.50495
  close(r.map50, low, "map50");
  close(r.map75, high, "map75");
  close(r.map, (4 * low + 6 * high) / 10, "map");
  assert.deepEqual(r.perClass.map((c) => [c.label, c.numTargets, c.numPredictions]), [[1, 2, 3]]);
  close(r.perClass[0].ap, r.map, "the only class's AP is the mAP");
});

test("VOC: all-point area under the precision envelope, and the 11-point variant", () => {
  // IoU 0.5: hits T F T → recall .5 .5 1, precision 1 .5 .667. Envelope with the sentinels:
  // recall 0 .5 .5 1 1, precision 1 1 .667 .667 0 → area .5·1 + .5·(2/3) = 0.8333.
  const r = meanAveragePrecision(oneImage.preds, oneImage.targets, { voc: true });
  close(r.map, 0.5 + 0.5 * (2 / 3), "VOC map");
  close(r.map50, r.map, "map50 = map at IoU 0.5");
  // 11 points: recall ≥ 0, .1, …, .5 (6 points) reach precision 1; .6 … 1 (5 points) reach 2/3.
  const eleven = meanAveragePrecision(oneImage.preds, oneImage.targets, { voc: true, elevenPoint: true });
  close(eleven.map, (6 + 5 * (2 / 3)) / 11, "11-point map");
});

test("greedy matching: COCO takes the best unmatched target, VOC counts a found target's second detection as false", () => {
  // Targets A = [0,0,10,10], B = [5,0,15,10]. p1 (0.9) = A (IoU 1). p2 (0.8) = [2,0,12,10]:
  // IoU with A = 80/120 = 0.667, with B = 70/130 = 0.538.
  const preds = [{ boxes: [[0, 0, 10, 10], [2, 0, 12, 10]], scores: [0.9, 0.8], labels: [0, 0] }];
  const targets = [{ boxes: [[0, 0, 10, 10], [5, 0, 15, 10]], labels: [0, 0] }];
  // COCO at 0.5: p2 goes to B (A is taken, 0.538 ≥ 0.5): two hits, AP 1. At 0.55 B is out of reach:
  // hits T F, recall .5 .5 → 51 of 101 points read precision 1.
  const coco = meanAveragePrecision(preds, targets, { iouThresholds: [0.5, 0.55] });
  close(coco.map50, 1, "COCO map50");
  close(coco.map, (1 + 51 / 101) / 2, "COCO map over [0.5, 0.55]");
  // VOC: p2's best target is A, already found: a false positive. Recall .5 .5, precision 1 .5 →
  // area .5·1 = 0.5.
  close(meanAveragePrecision(preds, targets, { voc: true }).map, 0.5, "VOC map");
});

test("images without objects, classes without predictions, classes without targets", () => {
  const preds = [
    { boxes: nb.tensor([[0, 0, 10, 10]]), scores: nb.tensor([0.9]), labels: nb.tensor([1], { dtype: "int32" }) },
    // The second image has no objects: its detection of class 1 is a false positive, ranked first
    // (0.95); class 3 is predicted but has no target anywhere.
    { boxes: nb.tensor([[0, 0, 5, 5], [1, 1, 4, 4]]), scores: nb.tensor([0.95, 0.5]), labels: nb.tensor([1, 3], { dtype: "int32" }) },
  ];
  const targets = [
    { boxes: nb.tensor([[0, 0, 10, 10], [40, 40, 50, 50]]), labels: nb.tensor([1, 2], { dtype: "int32" }) },
    { boxes: nb.zeros([0, 4]), labels: nb.zeros([0], { dtype: "int32" }) },
  ];
  const r = meanAveragePrecision(preds, targets);
  // Class 1: ranking F (0.95), T (0.9) → recall 0, 1; precision 0, .5, monotone .5 .5: every
  // recall point reads 0.5, at every threshold (the hit has IoU 1). Class 2: a target never
  // found, AP 0. Class 3: no targets, AP -1 and left out of the mean: map = (0.5 + 0) / 2.
  const byLabel = Object.fromEntries(r.perClass.map((c) => [c.label, c]));
  close(byLabel[1].ap, 0.5, "class 1");
  close(byLabel[2].ap, 0, "class 2");
  assert.equal(byLabel[3].ap, -1);
  assert.deepEqual([byLabel[3].numTargets, byLabel[3].numPredictions], [0, 1]);
  close(r.map, 0.25, "map");
  close(r.map50, 0.25, "map50");
  // Nothing to find and nothing found: no class has targets.
  assert.equal(meanAveragePrecision([{ boxes: [], scores: [], labels: [] }], [{ boxes: [], labels: [] }]).map, -1);
});

test("maxDetections keeps each image's highest-scoring detections", () => {
  // A false positive at 0.9 and the hit at 0.8: with one detection per image only the false
  // positive counts, and AP is 0; with both, the hit comes second: precision .5 at recall 1.
  const preds = [{ boxes: [[50, 50, 60, 60], [0, 0, 10, 10]], scores: [0.9, 0.8], labels: [0, 0] }];
  const targets = [{ boxes: [[0, 0, 10, 10]], labels: [0] }];
  close(meanAveragePrecision(preds, targets, { maxDetections: 1 }).map, 0, "one detection");
  close(meanAveragePrecision(preds, targets).map, 0.5, "both");
});

test("bad input: clear errors", () => {
  const t = [{ boxes: [[0, 0, 1, 1]], labels: [0] }];
  assertThrowsMatching(() => meanAveragePrecision([], t), /meanAveragePrecision: 0 predictions for 1 images/);
  assertThrowsMatching(() => meanAveragePrecision([{ boxes: [[0, 0, 1, 1]], scores: [1, 2], labels: [0] }], t), /preds\[0\].scores has 2 values for 1 boxes/);
  assertThrowsMatching(() => meanAveragePrecision([{ boxes: [[3, 0, 1, 1]], scores: [1], labels: [0] }], t), /preds\[0\].boxes\[0\] = \(3, 0, 1, 1\) has x2 < x1/);
  assertThrowsMatching(() => meanAveragePrecision(t.map((x) => ({ ...x, scores: [1] })), t, { iouThreshold: [0.5] } as never), /iouThresholds/);
  assertThrowsMatching(() => meanAveragePrecision(t.map((x) => ({ ...x, scores: [1] })), t, { elevenPoint: true }), /elevenPoint applies to VOC/);
});
