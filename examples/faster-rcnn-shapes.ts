// Faster R-CNN trained from scratch on nb.datasets.shapes (64x64 images with 1–3 rectangles,
// circles and triangles): nb.detection.fasterrcnnSmall, Adam (lr 2e-3, torchvision's linear
// warm-up over the first epoch), batch 4. Prints the losses per epoch and the COCO mAP (@0.5,
// @0.75, @[.5:.95]) on held-out images, and writes:
//   <out>/predictions.png   predicted boxes (score ≥ 0.5, class colours) over the ground truth
//                           (white) on the first 8 validation images;
//   <out>/detect-128.png    the detector on a 128x128 shapes image with 5 objects (the model's
//                           transform resizes it to 64 and maps the boxes back);
//   <out>/model.safetensors the weights (`nabla detect --weights … --model fasterrcnn --classes 4`).
//
// Run: node --import tsx examples/faster-rcnn-shapes.ts [--limit 512] [--val 64] [--epochs 8] [--out runs/faster-rcnn] [--seed 0]
// (`nabla train --model fasterrcnn --dataset shapes --limit 512 --epochs 8 --out …` trains the same model.)

import { cpus } from "node:os";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as nb from "../src/index.js";

const { values: args } = parseArgs({
  options: {
    limit: { type: "string", default: "512" },
    val: { type: "string", default: "64" },
    epochs: { type: "string", default: "8" },
    out: { type: "string", default: "runs/faster-rcnn" },
    seed: { type: "string", default: "0" },
  },
});
const seed = Number(args.seed), out = args.out!;
nb.manualSeed(seed);
mkdirSync(out, { recursive: true });
const train = nb.datasets.shapes({ n: Number(args.limit), imageSize: 64, maxObjects: 3, seed: 2 * seed + 1 });
const val = nb.datasets.shapes({ n: Number(args.val), imageSize: 64, maxObjects: 3, seed: 2 * seed + 2 });
const model = nb.detection.fasterrcnnSmall({ numClasses: 4 });
console.log(`fasterrcnnSmall: ${model.parameters().reduce((s, p) => s + p.numel(), 0).toLocaleString("en-US")} parameters; ` +
  `${train.length} training and ${val.length} validation images; ${cpus()[0]?.model ?? "unknown CPU"}, backend ${nb.getBackend()}`);

const start = Date.now();
await nb.detection.trainDetector(model, train, {
  epochs: Number(args.epochs), batchSize: 4, optimizer: "adam", lr: 2e-3, seed,
  onEpoch: ({ epoch, losses }) => console.log(`epoch ${epoch + 1}: ${Object.entries(losses).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ")} (${((Date.now() - start) / 1000).toFixed(0)} s)`),
});
const result = nb.detection.evaluateDetector(model, val);
console.log(`validation: mAP@0.5 ${result.map50.toFixed(3)}, mAP@0.75 ${result.map75.toFixed(3)}, mAP@[.5:.95] ${result.map.toFixed(3)}; ` +
  `${((Date.now() - start) / 1000).toFixed(0)} s in all`);

/** Detections scoring at least 0.5: boxes as rows and labels. */
function confident(d: nb.detection.RCNNDetection): { rows: number[][]; labels: number[] } {
  const scores = d.scores.dataSync(), boxes = d.boxes.dataSync(), labels = d.labels.dataSync();
  const keep = Array.from(scores, Number).map((s, k) => (s >= 0.5 ? k : -1)).filter((k) => k >= 0);
  return { rows: keep.map((k) => Array.from(boxes.subarray(4 * k, 4 * k + 4), Number)), labels: keep.map((k) => Number(labels[k])) };
}

const pictures = Array.from({ length: Math.min(8, val.length) }, (_, i) => {
  const [image, target] = val.get(i);
  const { rows, labels } = confident(result.detections[i]);
  return nb.viz.drawBoxes(image, rows, { labels, reference: target.boxes, scale: 2 });
});
nb.viz.saveImageGrid(nb.stack(pictures), join(out, "predictions.png"), { nrow: 4, padding: 4, padValue: 1 });

const [big] = nb.datasets.shapes({ n: 1, imageSize: 128, maxObjects: 5, minSize: 16, maxSize: 40, seed: 99 }).get(0);
const [det] = nb.noGrad(() => model.eval().detect([big]));
const { rows, labels } = confident(det);
nb.viz.saveBoxes(join(out, "detect-128.png"), big, rows, { labels, scale: 2 });
await nb.save(model, join(out, "model.safetensors"));
console.log(`wrote ${join(out, "predictions.png")}, ${join(out, "detect-128.png")}, ${join(out, "model.safetensors")}`);
