// R-CNN end to end on a few synthetic shapes images (nb.datasets.shapes, 64×64): selective search,
// warped regions, a CNN trained from scratch on them, per-class SVMs and box regressors; Fast R-CNN
// on the same kind of images. Measured mAP@0.5: R-CNN 0.80, Fast R-CNN 0.91 (cpu backend); the bars
// leave room for other backends' rounding. Also the pipeline's errors.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

test("R-CNN trained on 24 shapes images reaches mAP@0.5 >= 0.6 on 8 others", () => {
  nb.manualSeed(0);
  const train = nb.datasets.shapes({ n: 24, imageSize: 64, maxObjects: 3, seed: 1 });
  const val = nb.datasets.shapes({ n: 8, imageSize: 64, maxObjects: 3, seed: 2 });
  const proposals = { mode: "fast", maxProposals: 100 } as const;
  const rcnn = new nb.detection.RCNN({ numClasses: 3, warpSize: 16, cnnEpochs: 10, proposals, svm: { steps: 150 } });
  const report = rcnn.fit(train);
  assert.equal(report.svmCaches.length, 3);
  assert.ok(report.regressionRegions.every((n) => n > 0), `regression regions ${report.regressionRegions}`);
  const preds = Array.from({ length: val.length }, (_, i) => rcnn.detect(val.get(i)[0]));
  const result = nb.detection.meanAveragePrecision(preds, Array.from({ length: val.length }, (_, i) => val.get(i)[1]));
  console.log(`R-CNN mAP@0.5 ${result.map50.toFixed(3)}, COCO mAP ${result.map.toFixed(3)}, stages ${JSON.stringify(report)}`);
  assert.ok(result.map50 >= 0.6, `mAP@0.5 ${result.map50}`);
  // Detections are sorted by score, labelled 1..3, inside the image.
  const d = preds[0];
  const s = Array.from(d.scores.dataSync());
  assert.deepEqual(s, [...s].sort((a, b) => b - a));
  assert.ok(Array.from(d.labels.dataSync()).every((l) => l >= 1 && l <= 3));
  assert.ok(Array.from(d.boxes.dataSync()).every((v) => v >= 0 && v <= 64));
});

test("R-CNN and Fast R-CNN: errors name the problem", () => {
  const image = nb.rand([3, 16, 16]);
  assertThrowsMatching(() => new nb.detection.RCNN({ numClasses: 0 }), /RCNN: numClasses must be a positive integer/);
  assertThrowsMatching(() => new nb.detection.RCNN({ numClasses: 2, warpSize: 20 }), /RegionCNN: size must be a multiple of 8, got 20/);
  assertThrowsMatching(() => new nb.detection.RCNN({ numClasses: 2, epochs: 3 } as never), /RCNN.*epochs/);
  assertThrowsMatching(() => new nb.detection.RCNN({ numClasses: 2 }).detect(image), /RCNN.detect: the model is not trained; call fit\(dataset\) first/);
  assertThrowsMatching(() => new nb.detection.FastRCNN({ numClasses: 2 }).detect(image), /FastRCNN.detect: the model is not trained/);
  assertThrowsMatching(() => new nb.detection.RCNN({ numClasses: 2 }).detect(nb.rand([1, 16, 16])), /RCNN.detect: image must be \[3, H, W\]/);
  const labelled = (label: number): nb.detection.DetectionDataset => ({
    length: 1, get: () => [image, { boxes: nb.tensor([[2, 2, 9, 9]]), labels: nb.tensor([label], { dtype: "int32" }) }],
  });
  assertThrowsMatching(() => new nb.detection.RCNN({ numClasses: 2 }).fit(labelled(3)), /RCNN.fit: sample 0 has label 3; labels must be in 1..numClasses = 1..2/);
  assertThrowsMatching(() => new nb.detection.FastRCNN({ numClasses: 2 }).fit(labelled(0)), /FastRCNN.fit: sample 0 has label 0/);
  assertThrowsMatching(() => new nb.detection.RCNN({ numClasses: 2 }).fit({ length: 0, get: () => { throw new Error("none"); } }), /RCNN.fit: the training set is empty/);
  assertThrowsMatching(() => new nb.detection.RCNN({ numClasses: 2 }).fit(labelled(1), []), /RCNN.fit: proposals must be one \[K, 4\] tensor per image \(1\), got 0/);
});

test("Fast R-CNN trained on 24 shapes images learns: losses fall and mAP@0.5 >= 0.5 on 8 others", () => {
  nb.manualSeed(0);
  const train = nb.datasets.shapes({ n: 24, imageSize: 64, maxObjects: 3, seed: 1 });
  const val = nb.datasets.shapes({ n: 8, imageSize: 64, maxObjects: 3, seed: 2 });
  const fast = new nb.detection.FastRCNN({ numClasses: 3, epochs: 8, lr: 2e-3, proposals: { mode: "fast", maxProposals: 100 } });
  const report = fast.fit(train);
  const first = report.epochs[0], last = report.epochs[report.epochs.length - 1];
  assert.ok(last.classifier < 0.6 * first.classifier, `classifier loss ${first.classifier} → ${last.classifier}`);
  const preds = Array.from({ length: val.length }, (_, i) => fast.detect(val.get(i)[0]));
  const result = nb.detection.meanAveragePrecision(preds, Array.from({ length: val.length }, (_, i) => val.get(i)[1]));
  console.log(`Fast R-CNN mAP@0.5 ${result.map50.toFixed(3)}, COCO mAP ${result.map.toFixed(3)}, losses ${JSON.stringify(last)}`);
  assert.ok(result.map50 >= 0.5, `mAP@0.5 ${result.map50}`);
});
